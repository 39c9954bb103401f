//! `ListCatalogue`: every built-in entry through pagination, the filters on built-in and
//! custom entries alike, the merged order, and tokens bound to their filters.

use std::collections::HashSet;

use shared::pb::fitness::v1 as pb;
use shared::pb::fitness::v1::MuscleGroup as M;
use testkit::{Backend, backend_tests};

use super::{entry, ids};
use crate::helpers::{Stack, assert_bad};

/// True when `e` trains `m`, primarily or secondarily.
fn trains(e: &pb::CatalogueEntry, m: M) -> bool {
    e.primary_muscles.contains(&(m as i32)) || e.secondary_muscles.contains(&(m as i32))
}

/// The listing's order: lowercased name, then id.
fn assert_ordered(entries: &[pb::CatalogueEntry]) {
    let keys: Vec<(String, &str)> = entries
        .iter()
        .map(|e| (e.name.to_lowercase(), e.id.as_str()))
        .collect();
    assert!(keys.windows(2).all(|w| w[0] < w[1]), "{keys:?}");
}

async fn every_built_in_entry_pages_through_once_in_name_order(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let whole = ada.list_all(pb::ListCatalogueRequest::default(), 500).await;
    assert!(whole.len() >= 100, "{} built-in entries", whole.len());
    assert!(whole.iter().all(|e| !e.custom && !e.id.is_empty()));
    assert_ordered(&whole);
    for size in [7, 50] {
        let paged = ada
            .list_all(pb::ListCatalogueRequest::default(), size)
            .await;
        assert_eq!(ids(&paged), ids(&whole), "pages of {size}");
    }
    let unique: HashSet<&str> = ids(&whole).into_iter().collect();
    assert_eq!(unique.len(), whole.len());
    // 0 means 50; above 500 is capped, which still fits every entry on one page.
    let first = ada
        .catalogue
        .list_catalogue(pb::ListCatalogueRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.entries.len(), 50);
    assert!(!first.next_page_token.is_empty());
    let huge = ada
        .catalogue
        .list_catalogue(pb::ListCatalogueRequest {
            page_size: 100_000,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ids(&huge.entries), ids(&whole));
    let bench = whole
        .iter()
        .find(|e| e.id == "barbell-bench-press")
        .unwrap();
    assert_eq!(bench.name, "Barbell Bench Press");
    assert_eq!(bench.category, pb::ExerciseCategory::Strength as i32);
    assert_eq!(bench.equipment, pb::Equipment::Barbell as i32);
    assert_eq!(bench.tracking_mode, pb::TrackingMode::WeightReps as i32);
    assert_eq!(bench.primary_muscles, [M::Chest as i32]);
    stack.stop().await;
}

async fn each_filter_narrows_built_in_and_custom_entries_alike(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let press = ada
        .create_entry(entry("Zercher Press", &[M::Shoulders], &[M::Triceps]))
        .await;
    let row = ada
        .create_entry(pb::CatalogueEntry {
            category: pb::ExerciseCategory::Cardio as i32,
            equipment: pb::Equipment::Kettlebell as i32,
            tracking_mode: pb::TrackingMode::DistanceDuration as i32,
            ..entry("Kettlebell Carry Sprint", &[M::Cardio], &[M::UpperBack])
        })
        .await;

    // Muscle: primary or secondary, never another.
    let triceps = pb::ListCatalogueRequest {
        muscle: M::Triceps as i32,
        ..Default::default()
    };
    let found = ada.list_all(triceps, 500).await;
    assert!(found.iter().all(|e| trains(e, M::Triceps)));
    let found = ids(&found);
    for id in ["barbell-bench-press", "skull-crusher", press.id.as_str()] {
        assert!(found.contains(&id), "{id}");
    }
    assert!(!found.contains(&"deadlift"));
    assert!(!found.contains(&row.id.as_str()));
    // A muscle whose stored name holds a LIKE wildcard matches itself only.
    let upper_back = pb::ListCatalogueRequest {
        muscle: M::UpperBack as i32,
        source: pb::CatalogueSource::Custom as i32,
        ..Default::default()
    };
    assert_eq!(ids(&ada.list_all(upper_back, 500).await), [row.id.as_str()]);

    let kettlebell = pb::ListCatalogueRequest {
        equipment: pb::Equipment::Kettlebell as i32,
        ..Default::default()
    };
    let found = ada.list_all(kettlebell, 500).await;
    assert!(
        found
            .iter()
            .all(|e| e.equipment == pb::Equipment::Kettlebell as i32)
    );
    let found = ids(&found);
    assert!(found.contains(&"kettlebell-swing") && found.contains(&row.id.as_str()));
    assert!(!found.contains(&press.id.as_str()));

    let olympic = pb::ListCatalogueRequest {
        category: pb::ExerciseCategory::Olympic as i32,
        ..Default::default()
    };
    let found = ada.list_all(olympic, 500).await;
    assert!(
        found
            .iter()
            .all(|e| e.category == pb::ExerciseCategory::Olympic as i32)
    );
    assert!(ids(&found).contains(&"snatch") && ids(&found).contains(&"power-clean"));

    let cardio = pb::ListCatalogueRequest {
        category: pb::ExerciseCategory::Cardio as i32,
        ..Default::default()
    };
    let found = ada.list_all(cardio, 500).await;
    for id in ["running", "rowing-machine", "swimming", row.id.as_str()] {
        assert!(ids(&found).contains(&id), "{id}");
    }
    assert!(!ids(&found).contains(&press.id.as_str()));

    // Filters combine.
    let combined = pb::ListCatalogueRequest {
        category: pb::ExerciseCategory::Cardio as i32,
        equipment: pb::Equipment::Kettlebell as i32,
        muscle: M::Cardio as i32,
        ..Default::default()
    };
    assert_eq!(ids(&ada.list_all(combined, 500).await), [row.id.as_str()]);

    // Source.
    let built_in = pb::ListCatalogueRequest {
        source: pb::CatalogueSource::BuiltIn as i32,
        ..Default::default()
    };
    let found = ada.list_all(built_in, 500).await;
    assert!(found.len() >= 100 && found.iter().all(|e| !e.custom));
    let custom = pb::ListCatalogueRequest {
        source: pb::CatalogueSource::Custom as i32,
        ..Default::default()
    };
    let found = ada.list_all(custom, 500).await;
    assert_eq!(ids(&found), [row.id.as_str(), press.id.as_str()]);
    assert!(found.iter().all(|e| e.custom));
    stack.stop().await;
}

async fn names_are_searched_literally_ignoring_case(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let mine = ada
        .create_entry(entry("My BENCH Press_50%", &[M::Chest], &[]))
        .await;
    let search = |text: &str| pb::ListCatalogueRequest {
        name_contains: text.to_owned(),
        ..Default::default()
    };
    let found = ada.list_all(search("bench PRESS"), 500).await;
    assert!(
        found
            .iter()
            .all(|e| e.name.to_lowercase().contains("bench press"))
    );
    let found = ids(&found);
    for id in [
        "barbell-bench-press",
        "dumbbell-bench-press",
        mine.id.as_str(),
    ] {
        assert!(found.contains(&id), "{id}");
    }
    assert!(!found.contains(&"deadlift"));
    // `_` and `%` are text, not wildcards.
    assert_eq!(
        ids(&ada.list_all(search("_"), 500).await),
        [mine.id.as_str()]
    );
    assert_eq!(
        ids(&ada.list_all(search("s_5"), 500).await),
        [mine.id.as_str()]
    );
    assert_eq!(
        ids(&ada.list_all(search("50%"), 500).await),
        [mine.id.as_str()]
    );
    assert!(
        ada.list_all(search("no such exercise"), 500)
            .await
            .is_empty()
    );
    assert_bad(
        ada.catalogue.list_catalogue(search(&"a".repeat(256))).await,
        &["name_contains"],
    );
    stack.stop().await;
}

async fn custom_entries_merge_into_the_name_order(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    // Same name as a built-in entry, one sorting first, one last, one in between.
    let mut created = Vec::new();
    for name in [
        "deadlift",
        "AAA Warm-up",
        "zzz Cool-down",
        "Lat Pulldown Deluxe",
    ] {
        created.push(ada.create_entry(entry(name, &[M::Lats], &[])).await.id);
    }
    let whole = ada.list_all(pb::ListCatalogueRequest::default(), 500).await;
    assert_ordered(&whole);
    assert_eq!(
        whole.first().map(|e| e.id.as_str()),
        Some(created[1].as_str())
    );
    assert_eq!(
        whole.last().map(|e| e.id.as_str()),
        Some(created[2].as_str())
    );
    let listed: HashSet<&str> = ids(&whole).into_iter().collect();
    assert!(created.iter().all(|id| listed.contains(id.as_str())));
    assert!(listed.contains("deadlift"));
    for size in [1, 3, 10] {
        let paged = ada
            .list_all(pb::ListCatalogueRequest::default(), size)
            .await;
        assert_eq!(ids(&paged), ids(&whole), "pages of {size}");
    }
    stack.stop().await;
}

async fn a_catalogue_page_token_is_refused_with_other_filters(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let first = ada
        .catalogue
        .list_catalogue(pb::ListCatalogueRequest {
            page_size: 5,
            category: pb::ExerciseCategory::Strength as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!first.next_page_token.is_empty());
    let reuse = |change: fn(&mut pb::ListCatalogueRequest)| {
        let mut request = pb::ListCatalogueRequest {
            page_size: 5,
            category: pb::ExerciseCategory::Strength as i32,
            page_token: first.next_page_token.clone(),
            ..Default::default()
        };
        change(&mut request);
        request
    };
    let changes: [fn(&mut pb::ListCatalogueRequest); 5] = [
        |r| r.category = pb::ExerciseCategory::Cardio as i32,
        |r| r.muscle = M::Chest as i32,
        |r| r.equipment = pb::Equipment::Barbell as i32,
        |r| r.name_contains = "press".into(),
        |r| r.source = pb::CatalogueSource::BuiltIn as i32,
    ];
    for change in changes {
        assert_bad(
            ada.catalogue.list_catalogue(reuse(change)).await,
            &["page_token"],
        );
    }
    // The same filters continue the listing.
    let next = ada.catalogue.list_catalogue(reuse(|_| {})).await.unwrap();
    assert_eq!(next.into_inner().entries.len(), 5);
    assert_bad(
        ada.catalogue
            .list_catalogue(pb::ListCatalogueRequest {
                page_size: -1,
                page_token: "garbage".into(),
                muscle: 99,
                equipment: 99,
                category: 99,
                source: 99,
                ..Default::default()
            })
            .await,
        &[
            "page_size",
            "page_token",
            "muscle",
            "equipment",
            "category",
            "source",
        ],
    );
    stack.stop().await;
}

backend_tests!(
    every_built_in_entry_pages_through_once_in_name_order,
    each_filter_narrows_built_in_and_custom_entries_alike,
    names_are_searched_literally_ignoring_case,
    custom_entries_merge_into_the_name_order,
    a_catalogue_page_token_is_refused_with_other_filters,
);
