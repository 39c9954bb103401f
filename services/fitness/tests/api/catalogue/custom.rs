//! Custom catalogue entries: creating with every violation in one `BadRequest`, names unique
//! per user, reading built-in and own entries, isolation between users, and deletion rules.

use shared::pb::fitness::v1 as pb;
use shared::pb::fitness::v1::MuscleGroup as M;
use testkit::{Backend, backend_tests};
use tonic::Code;

use super::{entry, ids};
use crate::helpers::{Stack, assert_bad, assert_code, reason, scalar};

fn get(id: &str) -> pb::GetCatalogueEntryRequest {
    pb::GetCatalogueEntryRequest { id: id.to_owned() }
}

fn delete(id: &str) -> pb::DeleteCatalogueEntryRequest {
    pb::DeleteCatalogueEntryRequest { id: id.to_owned() }
}

fn create(entry: pb::CatalogueEntry) -> pb::CreateCatalogueEntryRequest {
    pb::CreateCatalogueEntryRequest { entry: Some(entry) }
}

async fn a_custom_entry_is_created_and_read_back_by_its_owner(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let created = ada
        .create_entry(pb::CatalogueEntry {
            id: "ignored".into(),
            custom: false,
            ..entry(
                "Landmine Squat",
                &[M::Quadriceps, M::Glutes],
                &[M::Abdominals],
            )
        })
        .await;
    assert!(uuid::Uuid::parse_str(&created.id).is_ok(), "{}", created.id);
    assert!(created.custom);
    assert_eq!(created.name, "Landmine Squat");
    assert_eq!(
        created.primary_muscles,
        [M::Quadriceps as i32, M::Glutes as i32]
    );
    assert_eq!(created.secondary_muscles, [M::Abdominals as i32]);
    assert_eq!(created.category, pb::ExerciseCategory::Strength as i32);
    assert_eq!(created.equipment, pb::Equipment::Barbell as i32);
    assert_eq!(created.tracking_mode, pb::TrackingMode::WeightReps as i32);
    let read = ada.catalogue.get_catalogue_entry(get(&created.id)).await;
    assert_eq!(read.unwrap().into_inner(), created);
    let upper = created.id.to_uppercase();
    let read = ada.catalogue.get_catalogue_entry(get(&upper)).await;
    assert_eq!(read.unwrap().into_inner(), created);
    stack.stop().await;
}

async fn built_in_entries_are_read_by_slug(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let pull_up = ada
        .catalogue
        .get_catalogue_entry(get("pull-up"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(pull_up.name, "Pull-Up");
    assert!(!pull_up.custom);
    assert_eq!(pull_up.tracking_mode, pb::TrackingMode::Bodyweight as i32);
    assert_eq!(pull_up.equipment, pb::Equipment::None as i32);
    assert_eq!(pull_up.primary_muscles, [M::Lats as i32]);
    let running = ada.catalogue.get_catalogue_entry(get("running")).await;
    let running = running.unwrap().into_inner();
    assert_eq!(
        running.tracking_mode,
        pb::TrackingMode::DistanceDuration as i32
    );
    assert_eq!(running.category, pb::ExerciseCategory::Cardio as i32);
    for unknown in [
        "no-such-slug",
        "Pull-Up",
        "0190a3b4-0000-7000-8000-000000000001",
    ] {
        let status = assert_code(
            ada.catalogue.get_catalogue_entry(get(unknown)).await,
            Code::NotFound,
        );
        assert_eq!(reason(&status), "NOT_FOUND");
    }
    assert_bad(ada.catalogue.get_catalogue_entry(get("")).await, &["id"]);
    stack.stop().await;
}

async fn another_users_custom_entries_are_never_seen(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let mut bob = stack.user("bob").await;
    let mine = ada
        .create_entry(entry("Ada's Secret Lift", &[M::Chest], &[]))
        .await;
    assert_code(
        bob.catalogue.get_catalogue_entry(get(&mine.id)).await,
        Code::NotFound,
    );
    for source in [
        pb::CatalogueSource::Unspecified,
        pb::CatalogueSource::Custom,
    ] {
        let request = pb::ListCatalogueRequest {
            source: source as i32,
            ..Default::default()
        };
        let listed = bob.list_all(request, 500).await;
        assert!(!ids(&listed).contains(&mine.id.as_str()));
        assert!(listed.iter().all(|e| !e.custom));
    }
    let search = pb::ListCatalogueRequest {
        name_contains: "secret".into(),
        ..Default::default()
    };
    assert!(bob.list_all(search.clone(), 500).await.is_empty());
    assert_eq!(ids(&ada.list_all(search, 500).await), [mine.id.as_str()]);
    // Bob may use the name; deleting Ada's entry is NOT_FOUND and leaves it in place.
    bob.create_entry(entry("ada's secret lift", &[M::Chest], &[]))
        .await;
    assert_code(
        bob.catalogue.delete_catalogue_entry(delete(&mine.id)).await,
        Code::NotFound,
    );
    ada.catalogue
        .get_catalogue_entry(get(&mine.id))
        .await
        .expect("still there");
    stack.stop().await;
}

async fn every_violation_of_a_new_entry_is_reported_at_once(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let unspecified = pb::CatalogueEntry {
        name: "   ".into(),
        ..Default::default()
    };
    assert_bad(
        ada.catalogue
            .create_catalogue_entry(create(unspecified))
            .await,
        &[
            "entry.name",
            "entry.category",
            "entry.equipment",
            "entry.tracking_mode",
            "entry.primary_muscles",
        ],
    );
    let muddled = pb::CatalogueEntry {
        name: "x".repeat(256),
        category: 99,
        equipment: 99,
        tracking_mode: 99,
        primary_muscles: vec![M::Chest as i32, M::Chest as i32, 0, 99],
        secondary_muscles: vec![M::Triceps as i32, M::Chest as i32, M::Triceps as i32, 0],
        ..Default::default()
    };
    assert_bad(
        ada.catalogue.create_catalogue_entry(create(muddled)).await,
        &[
            "entry.name",
            "entry.category",
            "entry.equipment",
            "entry.tracking_mode",
            "entry.primary_muscles[1]",
            "entry.primary_muscles[2]",
            "entry.primary_muscles[3]",
            "entry.secondary_muscles[1]",
            "entry.secondary_muscles[2]",
            "entry.secondary_muscles[3]",
        ],
    );
    let too_many = pb::CatalogueEntry {
        primary_muscles: (1..=6).collect(),
        secondary_muscles: (7..=17).collect(),
        ..entry("Everything", &[], &[])
    };
    assert_bad(
        ada.catalogue.create_catalogue_entry(create(too_many)).await,
        &["entry.primary_muscles", "entry.secondary_muscles"],
    );
    assert_bad(
        ada.catalogue
            .create_catalogue_entry(pb::CreateCatalogueEntryRequest { entry: None })
            .await,
        &["entry"],
    );
    // At the bounds: 5 primary, 10 secondary, 255 characters.
    let widest = pb::CatalogueEntry {
        primary_muscles: (1..=5).collect(),
        secondary_muscles: (6..=15).collect(),
        ..entry(&"é".repeat(255), &[], &[])
    };
    ada.create_entry(widest).await;
    let custom = pb::ListCatalogueRequest {
        source: pb::CatalogueSource::Custom as i32,
        ..Default::default()
    };
    assert_eq!(ada.list_all(custom, 500).await.len(), 1);
    stack.stop().await;
}

async fn a_name_is_unique_among_a_users_custom_entries_ignoring_case(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    ada.create_entry(entry("Zombie Squat", &[M::Quadriceps], &[]))
        .await;
    for name in ["Zombie Squat", "ZOMBIE squat"] {
        let status = assert_code(
            ada.catalogue
                .create_catalogue_entry(create(entry(name, &[M::Chest], &[])))
                .await,
            Code::AlreadyExists,
        );
        assert_eq!(reason(&status), "CATALOGUE_NAME_TAKEN");
    }
    // A built-in entry's name is free for a custom entry.
    let own = ada.create_entry(entry("Deadlift", &[M::Glutes], &[])).await;
    assert!(own.custom && own.id != "deadlift");
    let custom = pb::ListCatalogueRequest {
        source: pb::CatalogueSource::Custom as i32,
        ..Default::default()
    };
    assert_eq!(ada.list_all(custom, 500).await.len(), 2);
    stack.stop().await;
}

async fn deleting_follows_ownership_and_use(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let status = assert_code(
        ada.catalogue
            .delete_catalogue_entry(delete("barbell-bench-press"))
            .await,
        Code::PermissionDenied,
    );
    assert_eq!(reason(&status), "PERMISSION_DENIED");
    for unknown in ["0190a3b4-0000-7000-8000-000000000001", "no-such-slug"] {
        assert_code(
            ada.catalogue.delete_catalogue_entry(delete(unknown)).await,
            Code::NotFound,
        );
    }
    assert_bad(
        ada.catalogue.delete_catalogue_entry(delete("")).await,
        &["id"],
    );

    let mine = ada
        .create_entry(entry("Cable Thing", &[M::Lats], &[]))
        .await;
    let exercise = ada
        .exercises
        .create_exercise(pb::CreateExerciseRequest {
            exercise: Some(pb::Exercise {
                name: "My cable thing".into(),
                catalogue_entry_id: mine.id.clone(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("exercise created")
        .into_inner();
    assert_eq!(exercise.catalogue_entry_id, mine.id);
    let status = assert_code(
        ada.catalogue.delete_catalogue_entry(delete(&mine.id)).await,
        Code::FailedPrecondition,
    );
    assert_eq!(reason(&status), "CATALOGUE_ENTRY_IN_USE");
    ada.catalogue
        .get_catalogue_entry(get(&mine.id))
        .await
        .expect("still there");

    ada.exercises
        .delete_exercise(pb::DeleteExerciseRequest {
            id: exercise.id.clone(),
        })
        .await
        .expect("exercise deleted");
    ada.catalogue
        .delete_catalogue_entry(delete(&mine.id))
        .await
        .expect("entry deleted");
    assert_code(
        ada.catalogue.get_catalogue_entry(get(&mine.id)).await,
        Code::NotFound,
    );
    assert_code(
        ada.catalogue.delete_catalogue_entry(delete(&mine.id)).await,
        Code::NotFound,
    );
    // The name is free again.
    ada.create_entry(entry("cable thing", &[M::Lats], &[]))
        .await;
    stack.stop().await;
}

async fn a_deleted_account_cannot_create_entries(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let kept = ada.create_entry(entry("Kept", &[M::Chest], &[])).await;
    // As if another replica had deleted ada, and this one had not yet heard of it.
    sqlx::query("INSERT INTO deleted_users (user_id, deleted_at) VALUES ($1, 0)")
        .bind(&ada.id)
        .execute(stack.fitness.db.pool())
        .await
        .unwrap();
    let refused = ada
        .catalogue
        .create_catalogue_entry(create(entry("Ghost Lift", &[M::Chest], &[])))
        .await;
    assert_eq!(
        reason(&assert_code(refused, Code::Unauthenticated)),
        "TOKEN_REVOKED"
    );
    let refused = ada.catalogue.delete_catalogue_entry(delete(&kept.id)).await;
    assert_code(refused, Code::Unauthenticated);
    let sql = "SELECT COUNT(*) FROM catalogue_entries WHERE user_id = $1";
    assert_eq!(scalar(&stack.fitness, sql, &ada.id).await, 1);
    stack.stop().await;
}

backend_tests!(
    a_deleted_account_cannot_create_entries,
    a_custom_entry_is_created_and_read_back_by_its_owner,
    built_in_entries_are_read_by_slug,
    another_users_custom_entries_are_never_seen,
    every_violation_of_a_new_entry_is_reported_at_once,
    a_name_is_unique_among_a_users_custom_entries_ignoring_case,
    deleting_follows_ownership_and_use,
);
