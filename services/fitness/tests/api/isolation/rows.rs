//! Another user's workouts and exercises: not found, answered as missing ones are, and
//! left untouched.

use testkit::backend_tests;

use super::*;

async fn another_users_workouts_are_not_found_to_get_update_or_delete(backend: Backend) {
    let mut s = scene(backend).await;
    bob_reaches_for_the_workouts(&mut s).await;
    s.stack.stop().await;
}

async fn another_users_exercises_are_not_found_to_get_update_or_delete(backend: Backend) {
    let mut s = scene(backend).await;
    bob_reaches_for_the_exercises(&mut s).await;
    s.stack.stop().await;
}

async fn a_foreign_id_and_a_missing_id_get_identical_answers(backend: Backend) {
    let mut s = scene(backend).await;
    // The answers for a foreign id and a missing id are identical, to the byte.
    let foreign = s
        .bob
        .workouts
        .get_workout(pb::GetWorkoutRequest {
            include_entries: false,
            id: s.ada_workout.id.clone(),
            include_exercises: false,
        })
        .await
        .unwrap_err();
    let absent = s
        .bob
        .workouts
        .get_workout(pb::GetWorkoutRequest {
            include_entries: false,
            id: s.missing.clone(),
            include_exercises: false,
        })
        .await
        .unwrap_err();
    assert_eq!(visible(&foreign), visible(&absent));

    s.stack.stop().await;
}

async fn another_users_attempts_leave_the_rows_and_stats_untouched(backend: Backend) {
    let mut s = scene(backend).await;
    bob_reaches_for_the_workouts(&mut s).await;
    bob_reaches_for_the_exercises(&mut s).await;
    bob_links_adas_workout(&mut s).await;
    // Ada's rows are untouched by all of this, and her stats count only hers.
    assert_eq!(
        s.ada.get_workout(&s.ada_workout.id).await,
        ada_workout_after_link(&s.ada_workout)
    );
    let mine = s
        .ada
        .exercises
        .get_exercise(pb::GetExerciseRequest {
            id: s.ada_exercise.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(mine, s.ada_exercise);
    let stats = s.ada.my_stats().await;
    assert_eq!(
        (
            stats.total_workouts,
            stats.total_exercises,
            stats.total_duration_minutes
        ),
        (1, 1, 30)
    );
    let stats = s.bob.my_stats().await;
    assert_eq!(
        (
            stats.total_workouts,
            stats.total_exercises,
            stats.total_duration_minutes
        ),
        (1, 1, 10)
    );
    s.stack.stop().await;
}

backend_tests!(
    another_users_workouts_are_not_found_to_get_update_or_delete,
    another_users_exercises_are_not_found_to_get_update_or_delete,
    a_foreign_id_and_a_missing_id_get_identical_answers,
    another_users_attempts_leave_the_rows_and_stats_untouched,
);
