//! Every path that removes entries or sets keeps the derived sums exact: unlinking an
//! exercise, deleting an exercise, deleting a workout; and an exercise with sets keeps its
//! tracking mode.

use shared::pb::fitness::v1 as pb;
use testkit::{Backend, backend_tests};
use tonic::Code;

use super::assert_sums_match_rows;
use crate::helpers::{Stack, User, assert_code, entry, reason, weighted_set};

/// Two workouts in different weeks, each with bench (5 × 100 kg, 3 × 110 kg) and squat
/// (5 × 140 kg); returns (workouts, bench, squat).
async fn two_workouts(ada: &mut User) -> ([pb::Workout; 2], pb::Exercise, pb::Exercise) {
    let (first, bench, squat) = super::workout_and_two_lifts(ada).await;
    let second = ada.create_workout("Pull", "2026-03-11").await;
    for w in [&first, &second] {
        ada.replace_entries(
            &w.id,
            vec![
                entry(
                    &bench.id,
                    vec![weighted_set(100.0, 5), weighted_set(110.0, 3)],
                ),
                entry(&squat.id, vec![weighted_set(140.0, 5)]),
            ],
        )
        .await;
    }
    ([first, second], bench, squat)
}

async fn unlinking_an_exercise_takes_its_sets_out_of_every_sum(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let ([first, second], bench, _) = two_workouts(&mut ada).await;
    let etag = ada.get_workout(&first.id).await.etag;
    assert_eq!(assert_sums_match_rows(&stack, &ada.id).await.0, 6);
    ada.exercises
        .update_exercise(pb::UpdateExerciseRequest {
            exercise: Some(pb::Exercise {
                id: bench.id.clone(),
                workout_ids: vec![second.id.clone()],
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["workout_ids".into()],
            }),
        })
        .await
        .unwrap();
    let sums = assert_sums_match_rows(&stack, &ada.id).await;
    assert_eq!(sums.0, 4, "the first workout's bench sets are gone");
    let read = ada.get_with_entries(&first.id).await;
    assert_eq!(read.entries.len(), 1);
    let w = read.workout.unwrap();
    assert_eq!((w.exercise_count, w.set_count, w.volume_kg), (1, 1, 700.0));
    assert_ne!(w.etag, etag, "unlinking changes the workout's entries");
    stack.stop().await;
}

async fn deleting_an_exercise_takes_its_sets_out_of_every_workout_and_sum(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let ([first, second], bench, _) = two_workouts(&mut ada).await;
    ada.exercises
        .delete_exercise(pb::DeleteExerciseRequest { id: bench.id })
        .await
        .unwrap();
    let sums = assert_sums_match_rows(&stack, &ada.id).await;
    assert_eq!(sums, (2, 10, 1_400_000, 0, 0));
    for w in [&first, &second] {
        let w = ada.get_workout(&w.id).await;
        assert_eq!((w.exercise_count, w.set_count, w.volume_kg), (1, 1, 700.0));
    }
    let stats = ada.my_stats().await;
    assert_eq!((stats.total_sets, stats.total_volume_kg), (2, 1400.0));
    stack.stop().await;
}

async fn deleting_a_workout_takes_its_sets_and_itself_out_of_its_week(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let ([first, second], _, _) = two_workouts(&mut ada).await;
    ada.workouts
        .delete_workout(pb::DeleteWorkoutRequest { id: first.id })
        .await
        .unwrap();
    let sums = assert_sums_match_rows(&stack, &ada.id).await;
    assert_eq!(sums.0, 3);
    let weeks: Vec<(String, i64)> = sqlx::query_as(
        "SELECT week_start, workouts FROM weekly_summaries WHERE user_id = $1 ORDER BY week_start",
    )
    .bind(&ada.id)
    .fetch_all(stack.fitness.db.pool())
    .await
    .unwrap();
    assert_eq!(
        weeks,
        [("2026-03-09".to_owned(), 1)],
        "the emptied week is gone"
    );
    ada.workouts
        .delete_workout(pb::DeleteWorkoutRequest { id: second.id })
        .await
        .unwrap();
    assert_eq!(
        assert_sums_match_rows(&stack, &ada.id).await,
        (0, 0, 0, 0, 0)
    );
    stack.stop().await;
}

async fn an_exercise_with_sets_keeps_its_tracking_mode(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let (_, bench, _) = two_workouts(&mut ada).await;
    let to_mode = |id: &str, mode: pb::TrackingMode| pb::UpdateExerciseRequest {
        exercise: Some(pb::Exercise {
            id: id.to_owned(),
            tracking_mode: mode as i32,
            ..Default::default()
        }),
        update_mask: Some(prost_types::FieldMask {
            paths: vec!["tracking_mode".into()],
        }),
    };
    let refused = ada
        .exercises
        .update_exercise(to_mode(&bench.id, pb::TrackingMode::Duration))
        .await;
    let status = assert_code(refused, Code::FailedPrecondition);
    assert_eq!(reason(&status), "EXERCISE_HAS_SETS");
    // The same mode is no change; an exercise without sets may change its mode.
    ada.exercises
        .update_exercise(to_mode(&bench.id, pb::TrackingMode::WeightReps))
        .await
        .expect("same mode");
    let fresh = ada
        .create_exercise_in_mode("Plank", pb::TrackingMode::WeightReps)
        .await;
    let changed = ada
        .exercises
        .update_exercise(to_mode(&fresh.id, pb::TrackingMode::Duration))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(changed.tracking_mode, pb::TrackingMode::Duration as i32);
    stack.stop().await;
}

backend_tests!(
    unlinking_an_exercise_takes_its_sets_out_of_every_sum,
    deleting_an_exercise_takes_its_sets_out_of_every_workout_and_sum,
    deleting_a_workout_takes_its_sets_and_itself_out_of_its_week,
    an_exercise_with_sets_keeps_its_tracking_mode,
);
