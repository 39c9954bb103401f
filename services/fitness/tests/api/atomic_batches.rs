//! All-or-nothing batches: a batch with one bad item writes nothing, and its request id stays
//! free for the corrected batch.

use shared::pb::fitness::v1 as pb;
use testkit::{Backend, backend_tests};

use crate::helpers::{Stack, User, assert_bad, exercise, scalar, workout};

/// A 15-minute squat linked to `ids`.
fn item(ids: &[&str]) -> pb::CreateExerciseRequest {
    pb::CreateExerciseRequest {
        exercise: Some(exercise("Squat", Some(15), ids)),
        request_id: String::new(),
    }
}

/// Ada with one workout, after a batch of three exercises whose last links a workout that does
/// not exist was refused. Items 0 and 1 are fine: valid on their own, they reach the database
/// before the batch fails.
async fn failed_batch(backend: Backend) -> (Stack, User, pb::Workout, pb::Stat) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let legs = ada.create_workout("Legs", "2026-11-24").await;
    let before = ada.my_stats().await;
    let missing = uuid::Uuid::now_v7().to_string();
    let failing = pb::BatchCreateExercisesRequest {
        requests: vec![item(&[&legs.id]), item(&[]), item(&[&legs.id, &missing])],
        request_id: "batch-that-fails".into(),
    };
    assert_bad(
        ada.exercises.batch_create_exercises(failing).await,
        &["requests[2].exercise.workout_ids"],
    );
    (stack, ada, legs, before)
}

async fn a_failing_exercise_batch_writes_nothing(backend: Backend) {
    let (stack, mut ada, _, before) = failed_batch(backend).await;
    let fitness = &stack.fitness;
    for (sql, expected) in [
        ("SELECT COUNT(*) FROM exercises WHERE user_id = $1", 0),
        (
            "SELECT COUNT(*) FROM workout_exercises WHERE user_id = $1",
            0,
        ),
        ("SELECT COUNT(*) FROM request_ids WHERE user_id = $1", 0),
        (
            "SELECT CAST(SUM(exercise_count) AS BIGINT) FROM workouts WHERE user_id = $1",
            0,
        ),
    ] {
        assert_eq!(scalar(fitness, sql, &ada.id).await, expected, "{sql}");
    }
    let after = ada.my_stats().await;
    assert_eq!(
        (after.total_exercises, after.total_duration_minutes),
        (before.total_exercises, before.total_duration_minutes)
    );
    stack.stop().await;
}

async fn a_failed_batch_leaves_its_request_id_free_for_the_corrected_batch(backend: Backend) {
    let (stack, mut ada, legs, _) = failed_batch(backend).await;
    // The failed attempt did not burn the request id: the corrected batch goes through.
    let fixed = pb::BatchCreateExercisesRequest {
        requests: vec![item(&[&legs.id]), item(&[]), item(&[&legs.id])],
        request_id: "batch-that-fails".into(),
    };
    let created = ada
        .exercises
        .batch_create_exercises(fixed)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(created.exercises.len(), 3);
    let w = ada.get_workout(&legs.id).await;
    assert_eq!((w.exercise_count, w.total_duration_minutes), (2, 30));

    stack.stop().await;
}

async fn a_workout_batch_failing_validation_writes_nothing(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    ada.create_workout("Legs", "2026-11-24").await;
    let fitness = &stack.fitness;
    let mut requests: Vec<_> = (0..3)
        .map(|i| pb::CreateWorkoutRequest {
            workout: Some(workout(
                &format!("W{i}"),
                "2026-11-24",
                pb::WorkoutType::Cardio,
            )),
            request_id: String::new(),
        })
        .collect();
    requests[2].workout.as_mut().unwrap().workout_type = 0;
    assert_bad(
        ada.workouts
            .batch_create_workouts(pb::BatchCreateWorkoutsRequest {
                requests,
                request_id: String::new(),
            })
            .await,
        &["requests[2].workout.workout_type"],
    );
    assert_eq!(
        scalar(
            fitness,
            "SELECT COUNT(*) FROM workouts WHERE user_id = $1",
            &ada.id
        )
        .await,
        1
    );
    stack.stop().await;
}

backend_tests!(
    a_failing_exercise_batch_writes_nothing,
    a_failed_batch_leaves_its_request_id_free_for_the_corrected_batch,
    a_workout_batch_failing_validation_writes_nothing,
);
