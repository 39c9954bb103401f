//! Every query is scoped by the caller: another user's rows behave exactly like missing ones.

mod links;
mod rows;

use prost_types::FieldMask;
use shared::pb::fitness::v1 as pb;
use testkit::Backend;
use tonic::{Code, Status};
use tonic_types::StatusExt;

use crate::helpers::{Stack, User, assert_code, exercise};

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

/// Ada with a workout and a 30-minute exercise linked to it, Bob with nothing, and an id that
/// names no row at all.
struct Scene {
    stack: Stack,
    ada: User,
    bob: User,
    ada_workout: pb::Workout,
    ada_exercise: pb::Exercise,
    missing: String,
}

async fn scene(backend: Backend) -> Scene {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let bob = stack.user("bob").await;
    let ada_workout = ada.create_workout("Ada's legs", "2026-11-24").await;
    let ada_exercise = ada
        .create_exercise("Ada's squat", Some(30), &[&ada_workout.id])
        .await;
    // As it stands after the link (which changed its entries, and so its etag).
    let ada_workout = ada.get_workout(&ada_workout.id).await;
    Scene {
        stack,
        ada,
        bob,
        ada_workout,
        ada_exercise,
        missing: uuid::Uuid::now_v7().to_string(),
    }
}

/// Bob gets, updates and deletes Ada's workout and a missing one: NOT_FOUND every time.
async fn bob_reaches_for_the_workouts(s: &mut Scene) {
    for id in [&s.ada_workout.id, &s.missing] {
        assert_code(
            s.bob
                .workouts
                .get_workout(pb::GetWorkoutRequest {
                    include_entries: false,
                    id: id.clone(),
                    include_exercises: true,
                })
                .await,
            Code::NotFound,
        );
        assert_code(
            s.bob
                .workouts
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
            s.bob
                .workouts
                .delete_workout(pb::DeleteWorkoutRequest { id: id.clone() })
                .await,
            Code::NotFound,
        );
    }
}

/// Bob gets, updates and deletes Ada's exercise and a missing one: NOT_FOUND every time.
async fn bob_reaches_for_the_exercises(s: &mut Scene) {
    for id in [&s.ada_exercise.id, &s.missing] {
        assert_code(
            s.bob
                .exercises
                .get_exercise(pb::GetExerciseRequest { id: id.clone() })
                .await,
            Code::NotFound,
        );
        assert_code(
            s.bob
                .exercises
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
            s.bob
                .exercises
                .delete_exercise(pb::DeleteExerciseRequest { id: id.clone() })
                .await,
            Code::NotFound,
        );
    }
}

/// Bob tries to link Ada's workout to his exercises; returns his own workout and exercise.
async fn bob_links_adas_workout(s: &mut Scene) -> (pb::Workout, pb::Exercise) {
    // Bob cannot link Ada's workout, on create, batch create or update; the error is the one a
    // missing workout gets.
    let link = |ids: Vec<String>| pb::CreateExerciseRequest {
        exercise: Some(pb::Exercise {
            workout_ids: ids,
            ..exercise("Bob's lunge", Some(10), &[])
        }),
        request_id: String::new(),
    };
    let foreign = s
        .bob
        .exercises
        .create_exercise(link(vec![s.ada_workout.id.clone()]))
        .await
        .unwrap_err();
    let absent = s
        .bob
        .exercises
        .create_exercise(link(vec![s.missing.clone()]))
        .await
        .unwrap_err();
    assert_eq!(foreign.code(), Code::InvalidArgument);
    assert_eq!(visible(&foreign), visible(&absent));
    let batch = s
        .bob
        .exercises
        .batch_create_exercises(pb::BatchCreateExercisesRequest {
            requests: vec![link(vec![]), link(vec![s.ada_workout.id.clone()])],
            request_id: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(
        crate::helpers::bad_fields(&batch),
        ["requests[1].exercise.workout_ids"]
    );
    let bobs_workout = s.bob.create_workout("Bob's run", "2026-11-24").await;
    let bobs_exercise = s
        .bob
        .create_exercise("Bob's lunge", Some(10), &[&bobs_workout.id])
        .await;
    let relink = s
        .bob
        .exercises
        .update_exercise(pb::UpdateExerciseRequest {
            exercise: Some(pb::Exercise {
                id: bobs_exercise.id.clone(),
                workout_ids: vec![bobs_workout.id.clone(), s.ada_workout.id.clone()],
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

    (bobs_workout, bobs_exercise)
}

/// Ada's workout as it stands after her own exercise was linked to it: counting it.
fn ada_workout_after_link(linked: &pb::Workout) -> pb::Workout {
    assert_eq!(
        (linked.exercise_count, linked.total_duration_minutes),
        (1, 30)
    );
    linked.clone()
}
