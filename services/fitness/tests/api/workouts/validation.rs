//! Every invalid workout field is named in one `BadRequest`, on create, update, get, delete
//! and list.

use shared::pb::fitness::v1 as pb;
use testkit::{Backend, backend_tests};

use super::mask;
use crate::helpers::{Stack, User, assert_bad, workout};

fn create(w: Option<pb::Workout>, request_id: &str) -> pb::CreateWorkoutRequest {
    pb::CreateWorkoutRequest {
        workout: w,
        request_id: request_id.to_owned(),
    }
}

fn ok() -> pb::Workout {
    workout("Legs", "2026-11-24", pb::WorkoutType::Strength)
}

async fn ada(backend: Backend) -> (Stack, User) {
    let stack = Stack::spawn(backend).await;
    let ada = stack.user("ada").await;
    (stack, ada)
}

async fn a_workout_breaking_every_rule_names_every_field_at_once(backend: Backend) {
    let (stack, mut ada) = ada(backend).await;
    let all_bad = pb::Workout {
        title: String::new(),
        date: "2026-02-30".into(),
        notes: "n".repeat(10_001),
        workout_type: 0,
        ..Default::default()
    };
    assert_bad(
        ada.workouts
            .create_workout(create(Some(all_bad), &"r".repeat(129)))
            .await,
        &[
            "request_id",
            "workout.date",
            "workout.notes",
            "workout.title",
            "workout.workout_type",
        ],
    );
    stack.stop().await;
}

async fn each_rule_broken_alone_names_its_field(backend: Backend) {
    let (stack, mut ada) = ada(backend).await;
    for (bad, field) in [
        (
            pb::Workout {
                title: "   ".into(),
                ..ok()
            },
            "workout.title",
        ),
        (
            pb::Workout {
                title: "x".repeat(256),
                ..ok()
            },
            "workout.title",
        ),
        (
            pb::Workout {
                date: "2023-02-29".into(),
                ..ok()
            },
            "workout.date",
        ),
        (
            pb::Workout {
                date: "24-11-2026".into(),
                ..ok()
            },
            "workout.date",
        ),
        (
            pb::Workout {
                date: String::new(),
                ..ok()
            },
            "workout.date",
        ),
        (
            pb::Workout {
                workout_type: 0,
                ..ok()
            },
            "workout.workout_type",
        ),
        (
            pb::Workout {
                workout_type: 99,
                ..ok()
            },
            "workout.workout_type",
        ),
    ] {
        assert_bad(
            ada.workouts.create_workout(create(Some(bad), "")).await,
            &[field],
        );
    }
    assert_bad(
        ada.workouts.create_workout(create(None, "")).await,
        &["workout"],
    );
    stack.stop().await;
}

async fn a_title_of_255_characters_is_accepted_whatever_its_bytes(backend: Backend) {
    let (stack, mut ada) = ada(backend).await;
    let long = pb::Workout {
        title: "é".repeat(255),
        ..ok()
    };
    ada.workouts
        .create_workout(create(Some(long), ""))
        .await
        .unwrap();
    stack.stop().await;
}

async fn ids_that_are_not_uuids_are_named(backend: Backend) {
    let (stack, mut ada) = ada(backend).await;
    assert_bad(
        ada.workouts
            .get_workout(pb::GetWorkoutRequest {
                include_entries: false,
                id: "42".into(),
                include_exercises: false,
            })
            .await,
        &["id"],
    );
    assert_bad(
        ada.workouts
            .delete_workout(pb::DeleteWorkoutRequest { id: String::new() })
            .await,
        &["id"],
    );
    stack.stop().await;
}

async fn an_update_names_its_id_unknown_mask_paths_and_invalid_masked_fields(backend: Backend) {
    let (stack, ada) = ada(backend).await;
    let update = |workout: Option<pb::Workout>, update_mask| {
        let mut client = ada.workouts.clone();
        async move {
            client
                .update_workout(pb::UpdateWorkoutRequest {
                    workout,
                    update_mask,
                })
                .await
        }
    };
    assert_bad(
        update(
            Some(pb::Workout {
                id: "nope".into(),
                ..Default::default()
            }),
            mask(&["title", "owner"]),
        )
        .await,
        &["update_mask", "workout.id"],
    );
    assert_bad(
        update(
            Some(pb::Workout {
                id: uuid::Uuid::now_v7().to_string(),
                notes: "n".repeat(10_001),
                ..Default::default()
            }),
            mask(&["title", "notes"]),
        )
        .await,
        &["workout.notes", "workout.title"],
    );
    assert_bad(
        update(
            Some(pb::Workout {
                id: uuid::Uuid::now_v7().to_string(),
                ..Default::default()
            }),
            mask(&["date", "workout_type"]),
        )
        .await,
        &["workout.date", "workout.workout_type"],
    );
    assert_bad(update(None, None).await, &["workout"]);
    stack.stop().await;
}

async fn invalid_list_parameters_are_named_together(backend: Backend) {
    let (stack, mut ada) = ada(backend).await;
    assert_bad(
        ada.workouts
            .list_workouts(pb::ListWorkoutsRequest {
                page_size: -1,
                date_from: "2026-05-01".into(),
                date_to: "2026-04-30".into(),
                workout_type: 42,
                order_by: 9,
                ..Default::default()
            })
            .await,
        &["date_to", "order_by", "page_size", "workout_type"],
    );
    assert_bad(
        ada.workouts
            .list_workouts(pb::ListWorkoutsRequest {
                date_from: "2026-13-01".into(),
                page_token: "garbage!".into(),
                ..Default::default()
            })
            .await,
        &["date_from", "page_token"],
    );
    stack.stop().await;
}

backend_tests!(
    a_workout_breaking_every_rule_names_every_field_at_once,
    each_rule_broken_alone_names_its_field,
    a_title_of_255_characters_is_accepted_whatever_its_bytes,
    ids_that_are_not_uuids_are_named,
    an_update_names_its_id_unknown_mask_paths_and_invalid_masked_fields,
    invalid_list_parameters_are_named_together,
);
