//! `ListWorkouts` pages: every row once in either order, page tokens bound to their filters,
//! page sizes defaulted and capped.

use shared::pb::fitness::v1 as pb;
use testkit::{Backend, backend_tests};

use super::seed;
use crate::helpers::{Stack, User, assert_bad, workout};

/// Ada with seven workouts, several on the same date, so ties are broken by id.
async fn seven(backend: Backend) -> (Stack, User, Vec<pb::Workout>) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let dates = [
        "2026-01-01",
        "2026-01-02",
        "2026-01-02",
        "2026-01-02",
        "2026-01-03",
        "2026-01-04",
        "2026-01-04",
    ];
    let rows: Vec<(String, &str)> = dates
        .iter()
        .enumerate()
        .map(|(i, d)| (format!("W{i}"), *d))
        .collect();
    let spec: Vec<(&str, &str, pb::WorkoutType)> = rows
        .iter()
        .map(|(t, d)| (t.as_str(), *d, pb::WorkoutType::Balance))
        .collect();
    let created = seed(&mut ada, &spec).await;
    (stack, ada, created)
}

async fn pages_cover_every_row_once_in_either_order(backend: Backend) {
    let (stack, mut ada, created) = seven(backend).await;
    for order in [pb::WorkoutOrder::DateDesc, pb::WorkoutOrder::CreatedAtDesc] {
        let mut seen = Vec::new();
        let mut token = String::new();
        let mut pages = 0;
        loop {
            let page = ada
                .workouts
                .list_workouts(pb::ListWorkoutsRequest {
                    page_size: 3,
                    page_token: token.clone(),
                    order_by: order as i32,
                    ..Default::default()
                })
                .await
                .unwrap()
                .into_inner();
            pages += 1;
            assert!(page.workouts.len() <= 3);
            seen.extend(
                page.workouts
                    .into_iter()
                    .map(|w| (w.date, w.created_at, w.id)),
            );
            if page.next_page_token.is_empty() {
                break;
            }
            token = page.next_page_token;
        }
        assert_eq!(pages, 3, "{order:?}: 3 + 3 + 1");
        let mut expected: Vec<_> = created
            .iter()
            .map(|w| (w.date.clone(), w.created_at, w.id.clone()))
            .collect();
        match order {
            pb::WorkoutOrder::CreatedAtDesc => expected.sort_by(|a, b| {
                let key = |x: &(String, Option<prost_types::Timestamp>, String)| {
                    x.1.map(|t| (t.seconds, t.nanos))
                };
                key(b).cmp(&key(a)).then(b.2.cmp(&a.2))
            }),
            _ => expected.sort_by(|a, b| b.0.cmp(&a.0).then(b.2.cmp(&a.2))),
        }
        assert_eq!(seen, expected, "{order:?}");
    }
    stack.stop().await;
}

async fn a_page_ending_exactly_at_the_last_row_has_no_next_token(backend: Backend) {
    let (stack, mut ada, _) = seven(backend).await;
    let exact = ada
        .workouts
        .list_workouts(pb::ListWorkoutsRequest {
            page_size: 7,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(exact.workouts.len(), 7);
    assert!(exact.next_page_token.is_empty());
    stack.stop().await;
}

/// The first page of two of the workouts from 2026-01-02 on.
async fn first_page_from_the_second(ada: &mut User) -> pb::ListWorkoutsResponse {
    let first = ada
        .workouts
        .list_workouts(pb::ListWorkoutsRequest {
            page_size: 2,
            date_from: "2026-01-02".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!first.next_page_token.is_empty());
    first
}

async fn a_page_token_is_refused_with_other_filters_or_another_order(backend: Backend) {
    let (stack, mut ada, _) = seven(backend).await;
    let first = first_page_from_the_second(&mut ada).await;
    for reused in [
        pb::ListWorkoutsRequest {
            page_size: 2,
            date_from: "2026-01-03".into(),
            page_token: first.next_page_token.clone(),
            ..Default::default()
        },
        pb::ListWorkoutsRequest {
            page_size: 2,
            date_from: "2026-01-02".into(),
            title_contains: "W".into(),
            page_token: first.next_page_token.clone(),
            ..Default::default()
        },
        pb::ListWorkoutsRequest {
            page_size: 2,
            date_from: "2026-01-02".into(),
            order_by: pb::WorkoutOrder::CreatedAtDesc as i32,
            page_token: first.next_page_token.clone(),
            ..Default::default()
        },
    ] {
        assert_bad(ada.workouts.list_workouts(reused).await, &["page_token"]);
    }
    stack.stop().await;
}

async fn a_page_token_serves_the_same_filters_with_another_page_size(backend: Backend) {
    let (stack, mut ada, _) = seven(backend).await;
    let first = first_page_from_the_second(&mut ada).await;
    let second = ada
        .workouts
        .list_workouts(pb::ListWorkoutsRequest {
            page_size: 10,
            date_from: "2026-01-02".into(),
            page_token: first.next_page_token,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.workouts.len() + second.workouts.len(), 6);
    stack.stop().await;
}

async fn page_sizes_default_to_50_and_cap_at_500(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let item = |i: usize| pb::CreateWorkoutRequest {
        workout: Some(workout(
            &format!("W{i}"),
            "2026-01-01",
            pb::WorkoutType::Cardio,
        )),
        request_id: String::new(),
    };
    for chunk in 0..6 {
        ada.workouts
            .batch_create_workouts(pb::BatchCreateWorkoutsRequest {
                requests: (0..100).map(|i| item(chunk * 100 + i)).collect(),
                request_id: String::new(),
            })
            .await
            .unwrap();
    }
    let default = ada
        .workouts
        .list_workouts(pb::ListWorkoutsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(default.workouts.len(), 50);
    assert!(!default.next_page_token.is_empty());
    let capped = ada
        .workouts
        .list_workouts(pb::ListWorkoutsRequest {
            page_size: 10_000,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(capped.workouts.len(), 500);
    stack.stop().await;
}

backend_tests!(
    pages_cover_every_row_once_in_either_order,
    a_page_ending_exactly_at_the_last_row_has_no_next_token,
    a_page_token_is_refused_with_other_filters_or_another_order,
    a_page_token_serves_the_same_filters_with_another_page_size,
    page_sizes_default_to_50_and_cap_at_500,
);
