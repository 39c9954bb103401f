//! StatsService.ListPersonalRecords: the caller's records by exercise id then kind, filtered
//! by exercise and kind, paged by keyset; other users' exercises are NOT_FOUND.

use shared::pb::fitness::v1 as pb;
use testkit::{Backend, backend_tests};
use tonic::Code;

use super::{exercise, records_page, replace};
use crate::helpers::{Stack, User, assert_bad, assert_code, distance_set, entry, weighted_set};

/// (exercise id, kind) of every record of `request`'s listing, walking its pages.
async fn walk(user: &mut User, mut request: pb::ListPersonalRecordsRequest) -> Vec<(String, i32)> {
    let mut keys = Vec::new();
    loop {
        let page = records_page(user, request.clone())
            .await
            .expect("records listed");
        keys.extend(page.records.into_iter().map(|r| (r.exercise_id, r.kind)));
        if page.next_page_token.is_empty() {
            return keys;
        }
        request.page_token = page.next_page_token;
    }
}

/// Ada's records: three each of bench and squat, two of the run; returns their ids.
async fn records(backend: Backend) -> (Stack, User, [String; 3]) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let bench = exercise(&mut ada, "Bench", pb::TrackingMode::WeightReps).await;
    let squat = exercise(&mut ada, "Squat", pb::TrackingMode::WeightReps).await;
    let running = exercise(&mut ada, "Run", pb::TrackingMode::DistanceDuration).await;
    let w = ada.create_workout("All", "2026-03-04").await.id;
    replace(
        &mut ada,
        &w,
        vec![
            entry(&bench, vec![weighted_set(100.0, 5)]),
            entry(&squat, vec![weighted_set(140.0, 5)]),
            entry(&running, vec![distance_set(5000.0, Some(1500))]),
        ],
    )
    .await;
    (stack, ada, [bench, squat, running])
}

/// The stored names of the kinds sort as the listing orders them.
fn stored_name(kind: i32) -> &'static str {
    match pb::RecordKind::try_from(kind).expect("a known kind") {
        pb::RecordKind::HeaviestWeight => "HEAVIEST_WEIGHT",
        pb::RecordKind::BestEstimated1rm => "BEST_ESTIMATED_1RM",
        pb::RecordKind::MostReps => "MOST_REPS",
        pb::RecordKind::LongestDistance => "LONGEST_DISTANCE",
        pb::RecordKind::FastestPace => "FASTEST_PACE",
        pb::RecordKind::Unspecified => "",
    }
}

async fn records_page_by_exercise_then_kind(backend: Backend) {
    let (stack, mut ada, ids) = records(backend).await;
    let all = walk(&mut ada, pb::ListPersonalRecordsRequest::default()).await;
    assert_eq!(all.len(), 8);
    let mut sorted = all.clone();
    sorted.sort_by(|a, b| (&a.0, stored_name(a.1)).cmp(&(&b.0, stored_name(b.1))));
    assert_eq!(all, sorted, "by exercise id, then kind");
    for page_size in [1, 2, 3, 7, 8, 500] {
        let request = pb::ListPersonalRecordsRequest {
            page_size,
            ..Default::default()
        };
        assert_eq!(walk(&mut ada, request).await, all, "page size {page_size}");
    }

    // Filters, with their pages.
    let heaviest = pb::ListPersonalRecordsRequest {
        kind: pb::RecordKind::HeaviestWeight as i32,
        page_size: 1,
        ..Default::default()
    };
    let mut lifts = vec![ids[0].clone(), ids[1].clone()];
    lifts.sort();
    let expected: Vec<(String, i32)> = lifts
        .into_iter()
        .map(|id| (id, pb::RecordKind::HeaviestWeight as i32))
        .collect();
    assert_eq!(walk(&mut ada, heaviest.clone()).await, expected);
    let of_run = pb::ListPersonalRecordsRequest {
        exercise_id: ids[2].clone(),
        page_size: 1,
        ..Default::default()
    };
    let kinds: Vec<i32> = walk(&mut ada, of_run.clone())
        .await
        .into_iter()
        .map(|(_, kind)| kind)
        .collect();
    // FASTEST_PACE sorts before LONGEST_DISTANCE.
    assert_eq!(
        kinds,
        [
            pb::RecordKind::FastestPace as i32,
            pb::RecordKind::LongestDistance as i32
        ]
    );
    let both = pb::ListPersonalRecordsRequest {
        exercise_id: ids[2].clone(),
        kind: pb::RecordKind::HeaviestWeight as i32,
        ..Default::default()
    };
    assert!(walk(&mut ada, both).await.is_empty());

    // A token is bound to its filters.
    let token = records_page(&mut ada, heaviest)
        .await
        .expect("a page")
        .next_page_token;
    assert_bad(
        records_page(
            &mut ada,
            pb::ListPersonalRecordsRequest {
                page_token: token,
                ..of_run
            },
        )
        .await,
        &["page_token"],
    );
    stack.stop().await;
}

async fn records_refuse_what_is_not_the_callers(backend: Backend) {
    let (stack, mut ada, ids) = records(backend).await;
    let mut bob = stack.user("bob").await;
    let of = |exercise_id: &str| pb::ListPersonalRecordsRequest {
        exercise_id: exercise_id.to_owned(),
        ..Default::default()
    };
    assert_code(records_page(&mut bob, of(&ids[0])).await, Code::NotFound);
    let unknown = uuid::Uuid::now_v7().to_string();
    assert_code(records_page(&mut ada, of(&unknown)).await, Code::NotFound);
    assert!(
        walk(&mut bob, pb::ListPersonalRecordsRequest::default())
            .await
            .is_empty()
    );
    assert_bad(
        records_page(
            &mut ada,
            pb::ListPersonalRecordsRequest {
                exercise_id: "nope".into(),
                kind: 99,
                page_size: -1,
                page_token: "%%%".into(),
            },
        )
        .await,
        &["exercise_id", "kind", "page_size", "page_token"],
    );
    // An exercise of the caller's without sets has no records, and is no error.
    let idle = exercise(&mut ada, "Idle", pb::TrackingMode::WeightReps).await;
    assert!(walk(&mut ada, of(&idle)).await.is_empty());
    stack.stop().await;
}

backend_tests!(
    records_page_by_exercise_then_kind,
    records_refuse_what_is_not_the_callers,
);
