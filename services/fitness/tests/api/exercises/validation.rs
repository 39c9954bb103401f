//! Every invalid exercise field is named in one `BadRequest`, on create, batch create,
//! update, get, delete and list.

use shared::pb::fitness::v1 as pb;
use testkit::{Backend, backend_tests};

use super::mask;
use crate::helpers::{Stack, User, assert_bad, exercise};

fn create(e: pb::Exercise) -> pb::CreateExerciseRequest {
    pb::CreateExerciseRequest {
        exercise: Some(e),
        request_id: String::new(),
    }
}

/// Ada with one workout, and a valid exercise linked to it.
async fn ada(backend: Backend) -> (Stack, User, String, pb::Exercise) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let w = ada.create_workout("Legs", "2026-11-24").await.id;
    let ok = exercise("Squat", Some(10), &[&w]);
    (stack, ada, w, ok)
}

async fn an_exercise_breaking_every_rule_names_every_field_at_once(backend: Backend) {
    let (stack, mut ada, w, _) = ada(backend).await;
    assert_bad(
        ada.exercises
            .create_exercise(create(pb::Exercise {
                name: String::new(),
                description: "d".repeat(10_001),
                duration_minutes: Some(1441),
                workout_ids: vec!["x".into(), w.clone(), w.clone()],
                ..Default::default()
            }))
            .await,
        &[
            "exercise.description",
            "exercise.duration_minutes",
            "exercise.name",
            "exercise.workout_ids[0]",
            "exercise.workout_ids[2]",
        ],
    );
    stack.stop().await;
}

async fn each_exercise_rule_broken_alone_names_its_field(backend: Backend) {
    let (stack, mut ada, w, ok) = ada(backend).await;
    for (bad, field) in [
        (
            pb::Exercise {
                name: "x".repeat(256),
                ..ok.clone()
            },
            "exercise.name",
        ),
        (
            pb::Exercise {
                duration_minutes: Some(-1),
                ..ok.clone()
            },
            "exercise.duration_minutes",
        ),
        (
            pb::Exercise {
                workout_ids: vec![String::new()],
                ..ok.clone()
            },
            "exercise.workout_ids[0]",
        ),
        (
            pb::Exercise {
                workout_ids: (0..101).map(|_| uuid::Uuid::now_v7().to_string()).collect(),
                ..ok.clone()
            },
            "exercise.workout_ids",
        ),
        // A well-formed id that is not one of the caller's workouts.
        (
            pb::Exercise {
                workout_ids: vec![w.clone(), uuid::Uuid::now_v7().to_string()],
                ..ok.clone()
            },
            "exercise.workout_ids",
        ),
    ] {
        assert_bad(ada.exercises.create_exercise(create(bad)).await, &[field]);
    }
    assert_bad(
        ada.exercises
            .create_exercise(pb::CreateExerciseRequest {
                exercise: None,
                request_id: String::new(),
            })
            .await,
        &["exercise"],
    );
    stack.stop().await;
}

async fn durations_of_zero_and_of_a_whole_day_are_accepted(backend: Backend) {
    let (stack, mut ada, _, ok) = ada(backend).await;
    for minutes in [0, 1440] {
        ada.exercises
            .create_exercise(create(pb::Exercise {
                duration_minutes: Some(minutes),
                ..ok.clone()
            }))
            .await
            .unwrap();
    }
    stack.stop().await;
}

async fn exercise_batches_are_bounded_and_name_the_failing_item(backend: Backend) {
    let (stack, mut ada, _, ok) = ada(backend).await;
    let mut requests: Vec<_> = (0..4).map(|_| create(ok.clone())).collect();
    requests[1].exercise.as_mut().unwrap().name = String::new();
    requests[3].exercise.as_mut().unwrap().duration_minutes = Some(2000);
    assert_bad(
        ada.exercises
            .batch_create_exercises(pb::BatchCreateExercisesRequest {
                requests,
                request_id: String::new(),
            })
            .await,
        &[
            "requests[1].exercise.name",
            "requests[3].exercise.duration_minutes",
        ],
    );
    assert_bad(
        ada.exercises
            .batch_create_exercises(pb::BatchCreateExercisesRequest {
                requests: (0..101).map(|_| create(ok.clone())).collect(),
                request_id: String::new(),
            })
            .await,
        &["requests"],
    );
    stack.stop().await;
}

async fn an_exercise_update_names_its_id_unknown_mask_paths_and_invalid_masked_fields(
    backend: Backend,
) {
    let (stack, mut ada, _, _) = ada(backend).await;
    assert_bad(
        ada.exercises
            .update_exercise(pb::UpdateExerciseRequest {
                exercise: Some(pb::Exercise {
                    id: "e".into(),
                    ..Default::default()
                }),
                update_mask: mask(&["name", "workout_id"]),
            })
            .await,
        &["exercise.id", "update_mask"],
    );
    assert_bad(
        ada.exercises
            .update_exercise(pb::UpdateExerciseRequest {
                exercise: Some(pb::Exercise {
                    id: uuid::Uuid::now_v7().to_string(),
                    duration_minutes: Some(-5),
                    ..Default::default()
                }),
                update_mask: mask(&["name", "duration_minutes"]),
            })
            .await,
        &["exercise.duration_minutes", "exercise.name"],
    );
    stack.stop().await;
}

async fn exercise_ids_that_are_not_uuids_are_named(backend: Backend) {
    let (stack, mut ada, _, _) = ada(backend).await;
    assert_bad(
        ada.exercises
            .get_exercise(pb::GetExerciseRequest { id: "nope".into() })
            .await,
        &["id"],
    );
    assert_bad(
        ada.exercises
            .delete_exercise(pb::DeleteExerciseRequest { id: "nope".into() })
            .await,
        &["id"],
    );
    stack.stop().await;
}

async fn invalid_exercise_list_parameters_are_named_together(backend: Backend) {
    let (stack, mut ada, _, _) = ada(backend).await;
    assert_bad(
        ada.exercises
            .list_exercises(pb::ListExercisesRequest {
                page_size: -5,
                workout_id: "w".into(),
                min_duration_minutes: Some(50),
                max_duration_minutes: Some(40),
                ..Default::default()
            })
            .await,
        &["max_duration_minutes", "page_size", "workout_id"],
    );
    assert_bad(
        ada.exercises
            .list_exercises(pb::ListExercisesRequest {
                min_duration_minutes: Some(-1),
                max_duration_minutes: Some(1441),
                name_contains: "n".repeat(256),
                ..Default::default()
            })
            .await,
        &[
            "max_duration_minutes",
            "min_duration_minutes",
            "name_contains",
        ],
    );
    stack.stop().await;
}

backend_tests!(
    an_exercise_breaking_every_rule_names_every_field_at_once,
    each_exercise_rule_broken_alone_names_its_field,
    durations_of_zero_and_of_a_whole_day_are_accepted,
    exercise_batches_are_bounded_and_name_the_failing_item,
    an_exercise_update_names_its_id_unknown_mask_paths_and_invalid_masked_fields,
    exercise_ids_that_are_not_uuids_are_named,
    invalid_exercise_list_parameters_are_named_together,
);
