//! Every query is scoped by the caller: another user's rows behave exactly like missing ones.

use prost_types::FieldMask;
use shared::pb::fitness::v1 as pb;
use testkit::{Backend, backend_tests};
use tonic::{Code, Status};
use tonic_types::StatusExt;

use crate::helpers::{Stack, assert_code, exercise, workout};

/// Code, message and details of a status: what a caller can learn from it.
fn visible(status: &Status) -> (Code, String, Vec<String>) {
    let fields = status
        .get_error_details()
        .bad_request()
        .map(|b| {
            b.field_violations
                .iter()
                .map(|v| format!("{}: {}", v.field, v.description))
                .collect()
        })
        .unwrap_or_default();
    (status.code(), status.message().to_owned(), fields)
}

async fn another_users_rows_are_indistinguishable_from_missing_ones(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let mut bob = stack.user("bob").await;
    let ada_workout = ada.create_workout("Ada's legs", "2026-11-24").await;
    let ada_exercise = ada
        .create_exercise("Ada's squat", Some(30), &[&ada_workout.id])
        .await;
    let missing = uuid::Uuid::now_v7().to_string();

    for id in [&ada_workout.id, &missing] {
        assert_code(
            bob.workouts
                .get_workout(pb::GetWorkoutRequest {
                    id: id.clone(),
                    include_exercises: true,
                })
                .await,
            Code::NotFound,
        );
        assert_code(
            bob.workouts
                .update_workout(pb::UpdateWorkoutRequest {
                    workout: Some(pb::Workout {
                        id: id.clone(),
                        title: "mine now".into(),
                        ..Default::default()
                    }),
                    update_mask: None,
                })
                .await,
            Code::NotFound,
        );
        assert_code(
            bob.workouts
                .delete_workout(pb::DeleteWorkoutRequest { id: id.clone() })
                .await,
            Code::NotFound,
        );
    }
    for id in [&ada_exercise.id, &missing] {
        assert_code(
            bob.exercises
                .get_exercise(pb::GetExerciseRequest { id: id.clone() })
                .await,
            Code::NotFound,
        );
        assert_code(
            bob.exercises
                .update_exercise(pb::UpdateExerciseRequest {
                    exercise: Some(pb::Exercise {
                        id: id.clone(),
                        duration_minutes: Some(1),
                        ..Default::default()
                    }),
                    update_mask: Some(FieldMask {
                        paths: vec!["duration_minutes".into()],
                    }),
                })
                .await,
            Code::NotFound,
        );
        assert_code(
            bob.exercises
                .delete_exercise(pb::DeleteExerciseRequest { id: id.clone() })
                .await,
            Code::NotFound,
        );
    }
    // The answers for a foreign id and a missing id are identical, to the byte.
    let foreign = bob
        .workouts
        .get_workout(pb::GetWorkoutRequest {
            id: ada_workout.id.clone(),
            include_exercises: false,
        })
        .await
        .unwrap_err();
    let absent = bob
        .workouts
        .get_workout(pb::GetWorkoutRequest {
            id: missing.clone(),
            include_exercises: false,
        })
        .await
        .unwrap_err();
    assert_eq!(visible(&foreign), visible(&absent));

    // Bob cannot link Ada's workout, on create, batch create or update; the error is the one a
    // missing workout gets.
    let link = |ids: Vec<String>| pb::CreateExerciseRequest {
        exercise: Some(pb::Exercise {
            workout_ids: ids,
            ..exercise("Bob's lunge", Some(10), &[])
        }),
        request_id: String::new(),
    };
    let foreign = bob
        .exercises
        .create_exercise(link(vec![ada_workout.id.clone()]))
        .await
        .unwrap_err();
    let absent = bob
        .exercises
        .create_exercise(link(vec![missing.clone()]))
        .await
        .unwrap_err();
    assert_eq!(foreign.code(), Code::InvalidArgument);
    assert_eq!(visible(&foreign), visible(&absent));
    let batch = bob
        .exercises
        .batch_create_exercises(pb::BatchCreateExercisesRequest {
            requests: vec![link(vec![]), link(vec![ada_workout.id.clone()])],
            request_id: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(
        crate::helpers::bad_fields(&batch),
        ["requests[1].exercise.workout_ids"]
    );
    let bobs_workout = bob.create_workout("Bob's run", "2026-11-24").await;
    let bobs_exercise = bob
        .create_exercise("Bob's lunge", Some(10), &[&bobs_workout.id])
        .await;
    let relink = bob
        .exercises
        .update_exercise(pb::UpdateExerciseRequest {
            exercise: Some(pb::Exercise {
                id: bobs_exercise.id.clone(),
                workout_ids: vec![bobs_workout.id.clone(), ada_workout.id.clone()],
                ..Default::default()
            }),
            update_mask: None,
        })
        .await
        .unwrap_err();
    assert_eq!(
        crate::helpers::bad_fields(&relink),
        ["exercise.workout_ids"]
    );

    // Bob's lists never show Ada's rows, whatever the filters.
    let workouts = bob
        .workouts
        .list_workouts(pb::ListWorkoutsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        workouts.workouts.iter().map(|w| &w.id).collect::<Vec<_>>(),
        [&bobs_workout.id]
    );
    let titled = bob
        .workouts
        .list_workouts(pb::ListWorkoutsRequest {
            title_contains: "Ada".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(titled.workouts.is_empty());
    let exercises = bob
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
    let by_adas_workout = bob
        .exercises
        .list_exercises(pb::ListExercisesRequest {
            workout_id: ada_workout.id.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(by_adas_workout.exercises.is_empty());

    // Ada's rows are untouched by all of this, and her stats count only hers.
    assert_eq!(
        ada.get_workout(&ada_workout.id).await,
        ada_workout_after_link(&ada_workout)
    );
    let mine = ada
        .exercises
        .get_exercise(pb::GetExerciseRequest {
            id: ada_exercise.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(mine, ada_exercise);
    let stats = ada.my_stats().await;
    assert_eq!(
        (
            stats.total_workouts,
            stats.total_exercises,
            stats.total_duration_minutes
        ),
        (1, 1, 30)
    );
    let stats = bob.my_stats().await;
    assert_eq!(
        (
            stats.total_workouts,
            stats.total_exercises,
            stats.total_duration_minutes
        ),
        (1, 1, 10)
    );
    stack.stop().await;
}

/// Ada's workout as it stands after her own exercise was linked to it.
fn ada_workout_after_link(created: &pb::Workout) -> pb::Workout {
    pb::Workout {
        exercise_count: 1,
        total_duration_minutes: 30,
        ..created.clone()
    }
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
    another_users_rows_are_indistinguishable_from_missing_ones,
    the_same_request_id_from_another_user_is_another_request,
);
