//! An exercise's catalogue reference decides its tracking mode; unknown references are
//! invalid, and an exercise with sets keeps its mode.

use shared::pb::fitness::v1 as pb;
use testkit::{Backend, backend_tests};
use tonic::Code;

use super::mask;
use crate::helpers::{Stack, assert_bad, assert_code, entry, exercise, reason, weighted_set};

async fn a_referenced_entry_gives_its_mode_and_an_unknown_one_is_invalid(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let create = |catalogue_entry_id: &str, mode: pb::TrackingMode| pb::CreateExerciseRequest {
        exercise: Some(pb::Exercise {
            catalogue_entry_id: catalogue_entry_id.to_owned(),
            tracking_mode: mode as i32,
            ..exercise("Walk", None, &[])
        }),
        request_id: String::new(),
    };
    let walk = ada
        .exercises
        .create_exercise(create("farmers-walk", pb::TrackingMode::RepsOnly))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(walk.catalogue_entry_id, "farmers-walk");
    assert_eq!(
        walk.tracking_mode,
        pb::TrackingMode::DistanceDuration as i32,
        "the entry's mode wins over the given one"
    );
    let plain = ada
        .exercises
        .create_exercise(create("", pb::TrackingMode::Unspecified))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (plain.catalogue_entry_id.as_str(), plain.tracking_mode),
        ("", pb::TrackingMode::WeightReps as i32)
    );
    assert_bad(
        ada.exercises
            .create_exercise(create("no-such-lift", pb::TrackingMode::Unspecified))
            .await,
        &["exercise.catalogue_entry_id"],
    );
    assert_bad(
        ada.exercises
            .batch_create_exercises(pb::BatchCreateExercisesRequest {
                requests: vec![
                    create("", pb::TrackingMode::Unspecified),
                    create("no-such-lift", pb::TrackingMode::Unspecified),
                ],
                request_id: String::new(),
            })
            .await,
        &["requests[1].exercise.catalogue_entry_id"],
    );
    let odd = pb::CreateExerciseRequest {
        exercise: Some(pb::Exercise {
            tracking_mode: 42,
            ..exercise("Odd", None, &[])
        }),
        request_id: String::new(),
    };
    assert_bad(
        ada.exercises.create_exercise(odd).await,
        &["exercise.tracking_mode"],
    );
    stack.stop().await;
}

async fn referencing_an_entry_of_another_mode_is_refused_while_the_exercise_has_sets(
    backend: Backend,
) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let workout = ada.create_workout("Legs", "2026-03-04").await;
    let lift = ada
        .create_exercise_in_mode("Lift", pb::TrackingMode::WeightReps)
        .await;
    ada.replace_entries(
        &workout.id,
        vec![entry(&lift.id, vec![weighted_set(50.0, 5)])],
    )
    .await;
    let reference = |id: &str| pb::UpdateExerciseRequest {
        exercise: Some(pb::Exercise {
            id: lift.id.clone(),
            catalogue_entry_id: id.to_owned(),
            ..Default::default()
        }),
        update_mask: mask(&["catalogue_entry_id"]),
    };
    let status = assert_code(
        ada.exercises
            .update_exercise(reference("farmers-walk"))
            .await,
        Code::FailedPrecondition,
    );
    assert_eq!(reason(&status), "EXERCISE_HAS_SETS");
    // An entry of the same mode is fine, and so is dropping the reference again.
    let benched = ada
        .exercises
        .update_exercise(reference("barbell-bench-press"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(benched.catalogue_entry_id, "barbell-bench-press");
    let dropped = ada
        .exercises
        .update_exercise(reference(""))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (dropped.catalogue_entry_id.as_str(), dropped.tracking_mode),
        ("", pb::TrackingMode::WeightReps as i32)
    );
    assert_bad(
        ada.exercises
            .update_exercise(reference("no-such-lift"))
            .await,
        &["exercise.catalogue_entry_id"],
    );
    stack.stop().await;
}

backend_tests!(
    a_referenced_entry_gives_its_mode_and_an_unknown_one_is_invalid,
    referencing_an_entry_of_another_mode_is_refused_while_the_exercise_has_sets,
);
