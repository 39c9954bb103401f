//! Another user's workouts can be neither linked nor listed.

use testkit::backend_tests;

use super::*;

async fn another_users_workout_cannot_be_linked_on_create_batch_create_or_update(backend: Backend) {
    let mut s = scene(backend).await;
    bob_links_adas_workout(&mut s).await;
    s.stack.stop().await;
}

async fn lists_never_show_another_users_rows_whatever_the_filters(backend: Backend) {
    let mut s = scene(backend).await;
    let (bobs_workout, bobs_exercise) = bob_links_adas_workout(&mut s).await;
    // Bob's lists never show Ada's rows, whatever the filters.
    let workouts = s
        .bob
        .workouts
        .list_workouts(pb::ListWorkoutsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        workouts.workouts.iter().map(|w| &w.id).collect::<Vec<_>>(),
        [&bobs_workout.id]
    );
    let titled = s
        .bob
        .workouts
        .list_workouts(pb::ListWorkoutsRequest {
            title_contains: "Ada".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(titled.workouts.is_empty());
    let exercises = s
        .bob
        .exercises
        .list_exercises(pb::ListExercisesRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        exercises
            .exercises
            .iter()
            .map(|e| &e.id)
            .collect::<Vec<_>>(),
        [&bobs_exercise.id]
    );
    let by_adas_workout = s
        .bob
        .exercises
        .list_exercises(pb::ListExercisesRequest {
            workout_id: s.ada_workout.id.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(by_adas_workout.exercises.is_empty());

    s.stack.stop().await;
}

backend_tests!(
    another_users_workout_cannot_be_linked_on_create_batch_create_or_update,
    lists_never_show_another_users_rows_whatever_the_filters,
);
