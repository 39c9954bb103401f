//! A workout created, read, updated through field masks, and deleted.

use shared::pb::fitness::v1 as pb;
use testkit::{Backend, backend_tests};
use tonic::Code;

use super::mask;
use crate::helpers::{Stack, User, assert_code, workout};

/// Ada, and her workout "Legs" on 2026-11-24 with notes.
async fn created(backend: Backend) -> (Stack, User, pb::Workout) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let created = ada
        .workouts
        .create_workout(pb::CreateWorkoutRequest {
            workout: Some(pb::Workout {
                notes: "felt strong".into(),
                ..workout("Legs", "2026-11-24", pb::WorkoutType::Strength)
            }),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    (stack, ada, created)
}

/// Updates Ada's workout with `workout` (its id set) and `update_mask`.
async fn update(
    ada: &mut User,
    id: &str,
    workout: pb::Workout,
    update_mask: Option<prost_types::FieldMask>,
) -> pb::Workout {
    ada.workouts
        .update_workout(pb::UpdateWorkoutRequest {
            workout: Some(pb::Workout {
                id: id.to_owned(),
                ..workout
            }),
            update_mask,
        })
        .await
        .unwrap()
        .into_inner()
}

async fn a_created_workout_has_a_v7_id_its_fields_and_zero_counters(backend: Backend) {
    let (stack, mut ada, created) = created(backend).await;
    assert_eq!(
        uuid::Uuid::parse_str(&created.id)
            .unwrap()
            .get_version_num(),
        7
    );
    assert_eq!(
        (
            created.title.as_str(),
            created.date.as_str(),
            created.notes.as_str()
        ),
        ("Legs", "2026-11-24", "felt strong")
    );
    assert_eq!(created.workout_type, pb::WorkoutType::Strength as i32);
    assert_eq!(
        (created.exercise_count, created.total_duration_minutes),
        (0, 0)
    );
    assert!(created.created_at.is_some() && created.created_at == created.updated_at);
    assert_eq!(ada.get_workout(&created.id).await, created);
    stack.stop().await;
}

async fn an_explicit_mask_changes_only_its_paths(backend: Backend) {
    let (stack, mut ada, created) = created(backend).await;
    let updated = update(
        &mut ada,
        &created.id,
        pb::Workout {
            title: "Legs and core".into(),
            notes: "ignored: not in the mask".into(),
            ..Default::default()
        },
        mask(&["title"]),
    )
    .await;
    assert_eq!(updated.title, "Legs and core");
    assert_eq!(updated.notes, "felt strong");
    assert_eq!(updated.date, "2026-11-24");
    let micros = |t: Option<prost_types::Timestamp>| t.map(|t| (t.seconds, t.nanos));
    assert!(micros(updated.updated_at) > micros(created.updated_at));
    stack.stop().await;
}

async fn without_a_mask_the_populated_fields_are_updated(backend: Backend) {
    let (stack, mut ada, created) = created(backend).await;
    let updated = update(
        &mut ada,
        &created.id,
        pb::Workout {
            date: "2026-11-25".into(),
            workout_type: pb::WorkoutType::Cardio as i32,
            ..Default::default()
        },
        None,
    )
    .await;
    assert_eq!(updated.title, "Legs");
    assert_eq!(updated.date, "2026-11-25");
    assert_eq!(updated.workout_type, pb::WorkoutType::Cardio as i32);
    stack.stop().await;
}

async fn a_mask_naming_an_empty_field_clears_it(backend: Backend) {
    let (stack, mut ada, created) = created(backend).await;
    let updated = update(
        &mut ada,
        &created.id,
        pb::Workout::default(),
        mask(&["notes"]),
    )
    .await;
    assert_eq!(updated.notes, "");
    stack.stop().await;
}

async fn a_deleted_workout_is_not_found_to_get_or_delete_again(backend: Backend) {
    let (stack, mut ada, created) = created(backend).await;
    ada.workouts
        .delete_workout(pb::DeleteWorkoutRequest {
            id: created.id.clone(),
        })
        .await
        .unwrap();
    assert_code(
        ada.workouts
            .get_workout(pb::GetWorkoutRequest {
                include_entries: false,
                id: created.id.clone(),
                include_exercises: false,
            })
            .await,
        Code::NotFound,
    );
    assert_code(
        ada.workouts
            .delete_workout(pb::DeleteWorkoutRequest { id: created.id })
            .await,
        Code::NotFound,
    );
    stack.stop().await;
}

backend_tests!(
    a_created_workout_has_a_v7_id_its_fields_and_zero_counters,
    an_explicit_mask_changes_only_its_paths,
    without_a_mask_the_populated_fields_are_updated,
    a_mask_naming_an_empty_field_clears_it,
    a_deleted_workout_is_not_found_to_get_or_delete_again,
);
