//! What a replace never does: reveal or touch another user's rows, write part of a request,
//! apply a retry twice, or overwrite a change its caller has not seen.

use shared::pb::fitness::v1 as pb;
use testkit::{Backend, backend_tests};
use tonic::Code;

use super::sums;
use crate::helpers::{
    Stack, assert_bad, assert_code, bad_fields, entry, reason, reps_set, weighted_set,
};

async fn another_users_workout_is_not_found_and_their_exercise_is_just_invalid(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let mut bob = stack.user("bob").await;
    let (workout, bench, _) = super::workout_and_two_lifts(&mut ada).await;
    ada.replace_entries(
        &workout.id,
        vec![entry(&bench.id, vec![weighted_set(80.0, 5)])],
    )
    .await;
    let bobs = bob.create_workout("Bob", "2026-03-04").await;
    // Ada's workout does not exist for Bob, whatever he sends.
    let status = assert_code(
        bob.try_replace_entries(&workout.id, vec![]).await,
        Code::NotFound,
    );
    assert!(!status.message().contains(&ada.id));
    let read = bob
        .workouts
        .get_workout(pb::GetWorkoutRequest {
            id: workout.id.clone(),
            include_exercises: false,
            include_entries: true,
        })
        .await;
    assert_code(read, Code::NotFound);
    // Ada's exercise in Bob's workout reads exactly like an unknown one.
    let foreign = bob
        .try_replace_entries(&bobs.id, vec![entry(&bench.id, vec![weighted_set(1.0, 1)])])
        .await
        .unwrap_err();
    let unknown = bob
        .try_replace_entries(
            &bobs.id,
            vec![entry(
                &uuid::Uuid::now_v7().to_string(),
                vec![weighted_set(1.0, 1)],
            )],
        )
        .await
        .unwrap_err();
    assert_eq!(foreign.code(), Code::InvalidArgument);
    assert_eq!(foreign.message(), unknown.message());
    assert_eq!(bad_fields(&foreign), bad_fields(&unknown));
    // Nothing of Ada's changed.
    let mine = ada.get_with_entries(&workout.id).await;
    assert_eq!(mine.entries.len(), 1);
    assert_eq!(mine.entries[0].sets.len(), 1);
    assert_eq!(sums(&stack, &bob.id).await[1], (0, 0, 0, 0, 0));
    stack.stop().await;
}

async fn a_replace_with_one_bad_entry_writes_nothing(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let (workout, bench, squat) = super::workout_and_two_lifts(&mut ada).await;
    let before = ada
        .replace_entries(
            &workout.id,
            vec![entry(&bench.id, vec![weighted_set(80.0, 5)])],
        )
        .await;
    let sums_before = sums(&stack, &ada.id).await;
    // The first entries are fine; the last breaks its mode.
    let mut entries = vec![
        entry(&squat.id, vec![weighted_set(100.0, 5); 10]),
        entry(&bench.id, vec![weighted_set(90.0, 3); 10]),
    ];
    entries[1].sets[9] = reps_set(3);
    assert_bad(
        ada.try_replace_entries(&workout.id, entries).await,
        &["entries[1].sets[9].weight"],
    );
    let after = ada.get_with_entries(&workout.id).await;
    assert_eq!(after.entries, before.entries);
    assert_eq!(after.workout, before.workout, "not even the etag moved");
    assert_eq!(sums(&stack, &ada.id).await, sums_before);
    stack.stop().await;
}

async fn a_retry_with_the_request_id_returns_the_first_answer_and_writes_nothing(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let (workout, bench, _) = super::workout_and_two_lifts(&mut ada).await;
    let request = |kg: f64| pb::ReplaceWorkoutEntriesRequest {
        workout_id: workout.id.clone(),
        entries: vec![entry(&bench.id, vec![weighted_set(kg, 5)])],
        etag: String::new(),
        request_id: "replace-1".into(),
    };
    let first = ada
        .workouts
        .replace_workout_entries(request(100.0))
        .await
        .unwrap()
        .into_inner();
    let sums_after_first = sums(&stack, &ada.id).await;
    // The retry (even with other content) gets the first answer and changes nothing.
    let retry = ada
        .workouts
        .replace_workout_entries(request(120.0))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(retry, first);
    assert_eq!(
        ada.get_with_entries(&workout.id).await.entries,
        first.entries
    );
    assert_eq!(sums(&stack, &ada.id).await, sums_after_first);
    // The key names one request: another method cannot reuse it.
    let reused = ada
        .workouts
        .create_workout(pb::CreateWorkoutRequest {
            workout: Some(crate::helpers::workout(
                "W",
                "2026-03-04",
                pb::WorkoutType::Cardio,
            )),
            request_id: "replace-1".into(),
        })
        .await;
    assert_bad(reused, &["request_id"]);
    stack.stop().await;
}

async fn a_stale_etag_is_a_failed_precondition_and_the_current_one_passes(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let (workout, bench, _) = super::workout_and_two_lifts(&mut ada).await;
    assert_eq!(workout.etag, ada.get_workout(&workout.id).await.etag);
    let with_etag = |etag: &str, kg: f64| pb::ReplaceWorkoutEntriesRequest {
        workout_id: workout.id.clone(),
        entries: vec![entry(&bench.id, vec![weighted_set(kg, 5)])],
        etag: etag.to_owned(),
        request_id: String::new(),
    };
    let first = ada
        .workouts
        .replace_workout_entries(with_etag(&workout.etag, 100.0))
        .await
        .unwrap()
        .into_inner();
    let new_etag = first.workout.unwrap().etag;
    assert_ne!(new_etag, workout.etag, "a replace changes the etag");
    let stale = ada
        .workouts
        .replace_workout_entries(with_etag(&workout.etag, 50.0))
        .await;
    let status = assert_code(stale, Code::FailedPrecondition);
    assert_eq!(reason(&status), "ETAG_MISMATCH");
    let read = ada.get_with_entries(&workout.id).await;
    assert_eq!(read.entries[0].sets[0].weight, Some(100.0), "unchanged");
    // Every other write to the workout or its entries moves the etag too.
    let renamed = ada
        .workouts
        .update_workout(pb::UpdateWorkoutRequest {
            workout: Some(pb::Workout {
                id: workout.id.clone(),
                title: "Renamed".into(),
                ..Default::default()
            }),
            update_mask: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert_ne!(renamed.etag, new_etag);
    ada.create_exercise("Row", None, &[&workout.id]).await;
    let linked = ada.get_workout(&workout.id).await.etag;
    assert_ne!(
        linked, renamed.etag,
        "linking an exercise is a change of entries"
    );
    ada.workouts
        .replace_workout_entries(with_etag(&linked, 110.0))
        .await
        .expect("the current etag passes");
    stack.stop().await;
}

backend_tests!(
    another_users_workout_is_not_found_and_their_exercise_is_just_invalid,
    a_replace_with_one_bad_entry_writes_nothing,
    a_retry_with_the_request_id_returns_the_first_answer_and_writes_nothing,
    a_stale_etag_is_a_failed_precondition_and_the_current_one_passes,
);
