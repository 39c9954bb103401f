//! StatsService.GetMyStats: a user's totals start at zero and follow every write. (The
//! leaderboard and evaluations are in `leaderboard`, the invariant under concurrent writes in
//! `invariant`.)

use shared::pb::fitness::v1 as pb;
use testkit::{Backend, backend_tests};

use crate::helpers::{Stack, User};

/// A user's (workouts, exercises, minutes).
async fn totals(user: &mut User) -> (i64, i64, i64) {
    let s = user.my_stats().await;
    (
        s.total_workouts,
        s.total_exercises,
        s.total_duration_minutes,
    )
}

async fn stats_start_at_zero_and_unevaluated(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let fresh = ada.my_stats().await;
    assert_eq!(fresh.user_id, ada.id);
    assert_eq!(
        (
            fresh.total_workouts,
            fresh.total_exercises,
            fresh.total_duration_minutes,
            fresh.evaluation
        ),
        (0, 0, 0, None)
    );
    stack.stop().await;
}

/// Ada's workout and a 25-minute exercise on it, and an unlinked exercise without duration.
async fn with_rows(backend: Backend) -> (Stack, User, String, String) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let w = ada.create_workout("Legs", "2026-11-24").await.id;
    let e = ada.create_exercise("Squat", Some(25), &[&w]).await.id;
    ada.create_exercise("Plank", None, &[]).await;
    (stack, ada, w, e)
}

async fn stats_count_created_rows_and_their_minutes(backend: Backend) {
    let (stack, mut ada, _, _) = with_rows(backend).await;
    assert_eq!(totals(&mut ada).await, (1, 2, 25));
    stack.stop().await;
}

async fn stats_follow_a_duration_change(backend: Backend) {
    let (stack, mut ada, _, e) = with_rows(backend).await;
    ada.exercises
        .update_exercise(pb::UpdateExerciseRequest {
            exercise: Some(pb::Exercise {
                id: e,
                duration_minutes: Some(40),
                ..Default::default()
            }),
            update_mask: None,
        })
        .await
        .unwrap();
    assert_eq!(ada.my_stats().await.total_duration_minutes, 40);
    stack.stop().await;
}

async fn stats_follow_deletions(backend: Backend) {
    let (stack, mut ada, w, e) = with_rows(backend).await;
    ada.exercises
        .delete_exercise(pb::DeleteExerciseRequest { id: e })
        .await
        .unwrap();
    ada.workouts
        .delete_workout(pb::DeleteWorkoutRequest { id: w })
        .await
        .unwrap();
    assert_eq!(totals(&mut ada).await, (0, 1, 0));
    stack.stop().await;
}

backend_tests!(
    stats_start_at_zero_and_unevaluated,
    stats_count_created_rows_and_their_minutes,
    stats_follow_a_duration_change,
    stats_follow_deletions,
);
