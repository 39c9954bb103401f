//! Request ids (AIP-155): a retry returns the first result and writes nothing new.

use shared::pb::fitness::v1 as pb;
use testkit::{Backend, backend_tests};

use crate::helpers::{Stack, assert_bad, exercise, scalar, workout};

fn create(title: &str) -> pb::CreateWorkoutRequest {
    pb::CreateWorkoutRequest {
        workout: Some(workout(title, "2026-11-24", pb::WorkoutType::Strength)),
        request_id: "0b7e3c1e-create-1".into(),
    }
}

fn batch() -> pb::BatchCreateWorkoutsRequest {
    pb::BatchCreateWorkoutsRequest {
        requests: (0..3)
            .map(|i| pb::CreateWorkoutRequest {
                workout: Some(workout(
                    &format!("B{i}"),
                    "2026-11-25",
                    pb::WorkoutType::Cardio,
                )),
                request_id: String::new(),
            })
            .collect(),
        request_id: "batch-1".into(),
    }
}

const WORKOUTS: &str = "SELECT COUNT(*) FROM workouts WHERE user_id = $1";

async fn a_retried_create_returns_the_first_result_even_with_another_body(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let first = ada
        .workouts
        .create_workout(create("Legs"))
        .await
        .unwrap()
        .into_inner();
    // Even a retry whose body differs gets the original (the key names the request).
    let retry = ada
        .workouts
        .create_workout(create("Legs, again"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(retry, first);
    assert_eq!(scalar(&stack.fitness, WORKOUTS, &ada.id).await, 1);
    assert_eq!(ada.my_stats().await.total_workouts, 1);
    stack.stop().await;
}

async fn a_retried_batch_returns_the_first_result_and_creates_nothing(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let first_batch = ada
        .workouts
        .batch_create_workouts(batch())
        .await
        .unwrap()
        .into_inner();
    let retried_batch = ada
        .workouts
        .batch_create_workouts(batch())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(retried_batch, first_batch);
    assert_eq!(scalar(&stack.fitness, WORKOUTS, &ada.id).await, 3);
    stack.stop().await;
}

async fn retried_exercise_creates_and_batches_count_once_in_workouts_and_stats(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let legs = ada.create_workout("Legs", "2026-11-24").await;
    let make = || pb::CreateExerciseRequest {
        exercise: Some(exercise("Squat", Some(20), &[&legs.id])),
        request_id: "exercise-1".into(),
    };
    let e1 = ada
        .exercises
        .create_exercise(make())
        .await
        .unwrap()
        .into_inner();
    let e2 = ada
        .exercises
        .create_exercise(make())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(e1, e2);
    let ex_batch = || pb::BatchCreateExercisesRequest {
        requests: vec![make(), make()],
        request_id: "exercise-batch-1".into(),
    };
    let b1 = ada
        .exercises
        .batch_create_exercises(ex_batch())
        .await
        .unwrap()
        .into_inner();
    let b2 = ada
        .exercises
        .batch_create_exercises(ex_batch())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(b1, b2);
    let exercises = "SELECT COUNT(*) FROM exercises WHERE user_id = $1";
    assert_eq!(scalar(&stack.fitness, exercises, &ada.id).await, 3);
    let w = ada.get_workout(&legs.id).await;
    assert_eq!((w.exercise_count, w.total_duration_minutes), (3, 60));
    let stats = ada.my_stats().await;
    assert_eq!(
        (
            stats.total_workouts,
            stats.total_exercises,
            stats.total_duration_minutes
        ),
        (1, 3, 60)
    );
    stack.stop().await;
}

async fn a_request_id_used_by_another_method_is_refused_naming_the_field(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    ada.workouts.create_workout(create("Legs")).await.unwrap();
    assert_bad(
        ada.workouts
            .batch_create_workouts(pb::BatchCreateWorkoutsRequest {
                request_id: "0b7e3c1e-create-1".into(),
                ..batch()
            })
            .await,
        &["request_id"],
    );
    stack.stop().await;
}

async fn concurrent_retries_with_one_request_id_create_exactly_one_row(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let ada = stack.user("ada").await;
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let mut client = ada.workouts.clone();
        tasks.push(tokio::spawn(async move {
            client
                .create_workout(pb::CreateWorkoutRequest {
                    workout: Some(workout("Once", "2026-11-24", pb::WorkoutType::Cardio)),
                    request_id: "same-key".into(),
                })
                .await
                .unwrap()
                .into_inner()
        }));
    }
    let mut ids = Vec::new();
    for task in tasks {
        ids.push(task.await.unwrap().id);
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(
        scalar(
            &stack.fitness,
            "SELECT COUNT(*) FROM workouts WHERE user_id = $1",
            &ada.id
        )
        .await,
        1
    );
    stack.stop().await;
}

async fn the_same_request_id_from_another_user_is_another_request(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let mut bob = stack.user("bob").await;
    ada.workouts
        .create_workout(pb::CreateWorkoutRequest {
            workout: Some(workout("Ada only", "2026-01-01", pb::WorkoutType::Balance)),
            request_id: "shared-key".into(),
        })
        .await
        .unwrap();
    // The same request id from another user is another request.
    let bobs = bob
        .workouts
        .create_workout(pb::CreateWorkoutRequest {
            workout: Some(workout("Bob only", "2026-01-01", pb::WorkoutType::Balance)),
            request_id: "shared-key".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(bobs.title, "Bob only");
    stack.stop().await;
}

backend_tests!(
    a_retried_create_returns_the_first_result_even_with_another_body,
    a_retried_batch_returns_the_first_result_and_creates_nothing,
    retried_exercise_creates_and_batches_count_once_in_workouts_and_stats,
    a_request_id_used_by_another_method_is_refused_naming_the_field,
    concurrent_retries_with_one_request_id_create_exactly_one_row,
    the_same_request_id_from_another_user_is_another_request,
);
