//! `BatchCreateWorkouts`: at most 100 items, all or nothing, each failure named by its index.

use shared::pb::fitness::v1 as pb;
use testkit::{Backend, backend_tests};

use crate::helpers::{Stack, assert_bad, workout};

async fn batches_are_bounded_and_name_the_failing_item(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let item = |title: &str| pb::CreateWorkoutRequest {
        workout: Some(workout(title, "2026-11-24", pb::WorkoutType::Cardio)),
        request_id: String::new(),
    };
    let mut requests: Vec<_> = (0..5).map(|i| item(&format!("Run {i}"))).collect();
    requests[3].workout.as_mut().unwrap().title = String::new();
    requests[4].workout.as_mut().unwrap().date = "2026-11-31".into();
    assert_bad(
        ada.workouts
            .batch_create_workouts(pb::BatchCreateWorkoutsRequest {
                requests,
                request_id: String::new(),
            })
            .await,
        &["requests[3].workout.title", "requests[4].workout.date"],
    );
    assert_bad(
        ada.workouts
            .batch_create_workouts(pb::BatchCreateWorkoutsRequest {
                requests: (0..101).map(|i| item(&format!("Run {i}"))).collect(),
                request_id: String::new(),
            })
            .await,
        &["requests"],
    );
    assert_bad(
        ada.workouts
            .batch_create_workouts(pb::BatchCreateWorkoutsRequest::default())
            .await,
        &["requests"],
    );
    let created = ada
        .workouts
        .batch_create_workouts(pb::BatchCreateWorkoutsRequest {
            requests: (0..100).map(|i| item(&format!("Run {i:03}"))).collect(),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .workouts;
    assert_eq!(created.len(), 100);
    let titles: Vec<_> = created.iter().map(|w| w.title.clone()).collect();
    let expected: Vec<_> = (0..100).map(|i| format!("Run {i:03}")).collect();
    assert_eq!(titles, expected, "in request order");
    assert_eq!(ada.my_stats().await.total_workouts, 100);
    stack.stop().await;
}

backend_tests!(batches_are_bounded_and_name_the_failing_item);
