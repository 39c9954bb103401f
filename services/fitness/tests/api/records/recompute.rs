//! Records follow every write that changes an exercise's sets: the set holding a record
//! edited or removed, its workout deleted, its exercise unlinked; a recompute touches only the
//! exercises whose sets changed, and an edit that beats no record and keeps every record's set
//! rewrites none.

use prost_types::FieldMask;
use shared::pb::fitness::v1 as pb;
use testkit::{Backend, backend_tests};

use super::{assert_records_match, exercise, records_of, replace};
use crate::helpers::{Stack, User, entry, weighted_set};

use pb::RecordKind::{BestEstimated1rm, HeaviestWeight, MostReps};

/// The heaviest weight of `exercise_id` and the set holding it, if any.
async fn heaviest(user: &mut User, exercise_id: &str) -> Option<(f64, String)> {
    records_of(user, exercise_id).await.remove(&HeaviestWeight)
}

async fn records_pass_on_when_their_set_changes_or_goes(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let bench = exercise(&mut ada, "Bench", pb::TrackingMode::WeightReps).await;
    let monday = ada.create_workout("Monday", "2026-03-02").await.id;
    let friday = ada.create_workout("Friday", "2026-03-06").await.id;
    let mon = replace(
        &mut ada,
        &monday,
        vec![entry(
            &bench,
            vec![weighted_set(100.0, 5), weighted_set(90.0, 3)],
        )],
    )
    .await;
    let fri = replace(
        &mut ada,
        &friday,
        vec![entry(&bench, vec![weighted_set(95.0, 5)])],
    )
    .await;
    let (top, second, friday_set) = (
        mon[0].sets[0].id.clone(),
        mon[0].sets[1].id.clone(),
        fri[0].sets[0].id.clone(),
    );
    assert_eq!(heaviest(&mut ada, &bench).await, Some((100.0, top.clone())));

    // Edited: the record-holding set, keeping its id, becomes lighter.
    let lighter = pb::WorkoutSet {
        id: top.clone(),
        ..weighted_set(80.0, 5)
    };
    let second_set = pb::WorkoutSet {
        id: second.clone(),
        ..weighted_set(90.0, 3)
    };
    replace(
        &mut ada,
        &monday,
        vec![entry(&bench, vec![lighter, second_set.clone()])],
    )
    .await;
    assert_eq!(
        heaviest(&mut ada, &bench).await,
        Some((95.0, friday_set.clone()))
    );
    assert_records_match(&stack, &ada).await;

    // Removed from its entry: the next best holds it.
    replace(&mut ada, &friday, vec![entry(&bench, vec![])]).await;
    assert_eq!(
        heaviest(&mut ada, &bench).await,
        Some((90.0, second.clone()))
    );
    assert_records_match(&stack, &ada).await;

    // Back on Friday, then Friday's workout deleted.
    let fri = replace(
        &mut ada,
        &friday,
        vec![entry(&bench, vec![weighted_set(120.0, 2)])],
    )
    .await;
    assert_eq!(
        heaviest(&mut ada, &bench).await,
        Some((120.0, fri[0].sets[0].id.clone()))
    );
    ada.workouts
        .delete_workout(pb::DeleteWorkoutRequest { id: friday })
        .await
        .expect("workout deleted");
    assert_eq!(heaviest(&mut ada, &bench).await, Some((90.0, second)));
    assert_records_match(&stack, &ada).await;

    // Unlinked from its last workout: no sets, no records.
    ada.exercises
        .update_exercise(pb::UpdateExerciseRequest {
            exercise: Some(pb::Exercise {
                id: bench.clone(),
                ..Default::default()
            }),
            update_mask: Some(FieldMask {
                paths: vec!["workout_ids".into()],
            }),
        })
        .await
        .expect("exercise unlinked");
    assert!(records_of(&mut ada, &bench).await.is_empty());
    assert_records_match(&stack, &ada).await;
    stack.stop().await;
}

async fn an_entry_dropped_from_its_workout_takes_its_records(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let bench = exercise(&mut ada, "Bench", pb::TrackingMode::WeightReps).await;
    let squat = exercise(&mut ada, "Squat", pb::TrackingMode::WeightReps).await;
    let w = ada.create_workout("Both", "2026-03-02").await.id;
    let other = ada.create_workout("Squat only", "2026-03-03").await.id;
    replace(
        &mut ada,
        &w,
        vec![
            entry(&bench, vec![weighted_set(100.0, 5)]),
            entry(&squat, vec![weighted_set(140.0, 5)]),
        ],
    )
    .await;
    let kept = replace(
        &mut ada,
        &other,
        vec![entry(&squat, vec![weighted_set(120.0, 8)])],
    )
    .await;
    replace(
        &mut ada,
        &w,
        vec![entry(&bench, vec![weighted_set(100.0, 5)])],
    )
    .await;
    let squat_records = records_of(&mut ada, &squat).await;
    let set = kept[0].sets[0].id.clone();
    assert_eq!(squat_records[&HeaviestWeight], (120.0, set.clone()));
    assert_eq!(squat_records[&BestEstimated1rm], (152.0, set.clone()));
    assert_eq!(squat_records[&MostReps], (8.0, set));
    assert_records_match(&stack, &ada).await;

    // Deleting the exercise takes its records with it.
    ada.exercises
        .delete_exercise(pb::DeleteExerciseRequest { id: squat.clone() })
        .await
        .expect("exercise deleted");
    let rows = crate::helpers::scalar(
        &stack.fitness,
        "SELECT COUNT(*) FROM personal_records WHERE user_id = $1",
        &ada.id,
    )
    .await;
    assert_eq!(rows, 3, "only the bench's three records remain");
    assert_records_match(&stack, &ada).await;
    stack.stop().await;
}

/// One column of each of the user's records of `exercise_id`, by kind.
async fn by_kind<T>(stack: &Stack, user: &User, exercise_id: &str, column: &str) -> Vec<(String, T)>
where
    T: Send + Unpin + for<'r> sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    sqlx::query_as(&format!(
        "SELECT kind, {column} FROM personal_records WHERE user_id = $1 AND exercise_id = $2 \
         ORDER BY kind"
    ))
    .bind(&user.id)
    .bind(exercise_id)
    .fetch_all(stack.fitness.db.pool())
    .await
    .expect("records read")
}

/// The `updated_at` of each of the user's records of `exercise_id`, by kind.
async fn stamps(stack: &Stack, user: &User, exercise_id: &str) -> Vec<(String, i64)> {
    by_kind(stack, user, exercise_id, "updated_at").await
}

async fn a_recompute_touches_only_the_edited_exercise(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let bench = exercise(&mut ada, "Bench", pb::TrackingMode::WeightReps).await;
    let squat = exercise(&mut ada, "Squat", pb::TrackingMode::WeightReps).await;
    let upper = ada.create_workout("Upper", "2026-03-02").await.id;
    let lower = ada.create_workout("Lower", "2026-03-03").await.id;
    replace(
        &mut ada,
        &upper,
        vec![entry(&bench, vec![weighted_set(100.0, 5)])],
    )
    .await;
    replace(
        &mut ada,
        &lower,
        vec![entry(&squat, vec![weighted_set(140.0, 5)])],
    )
    .await;
    let squat_before = stamps(&stack, &ada, &squat).await;
    let bench_before = stamps(&stack, &ada, &bench).await;
    assert_eq!(squat_before.len(), 3);

    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    replace(
        &mut ada,
        &upper,
        vec![entry(&bench, vec![weighted_set(105.0, 5)])],
    )
    .await;
    assert_eq!(
        stamps(&stack, &ada, &squat).await,
        squat_before,
        "the squat's records were not rewritten"
    );
    let bench_after = stamps(&stack, &ada, &bench).await;
    assert_eq!(bench_after.len(), 3);
    for ((kind, before), (_, after)) in bench_before.iter().zip(&bench_after) {
        assert!(after > before, "the bench's {kind} was recomputed");
    }
    assert_records_match(&stack, &ada).await;
    stack.stop().await;
}

/// The set holding each of the user's records of `exercise_id`, by kind.
async fn holders(stack: &Stack, user: &User, exercise_id: &str) -> Vec<(String, String)> {
    by_kind(stack, user, exercise_id, "set_id").await
}

async fn an_edit_that_beats_no_record_leaves_the_records_unwritten(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let bench = exercise(&mut ada, "Bench", pb::TrackingMode::WeightReps).await;
    let monday = ada.create_workout("Monday", "2026-03-02").await.id;
    let friday = ada.create_workout("Friday", "2026-03-06").await.id;
    let mon = replace(
        &mut ada,
        &monday,
        vec![entry(&bench, vec![weighted_set(100.0, 8)])],
    )
    .await;
    let record_set = mon[0].sets[0].id.clone();
    let before = stamps(&stack, &ada, &bench).await;
    assert_eq!(before.len(), 3);

    // A lighter, shorter set in another workout takes nothing: the records are not rewritten
    // (a recompute would have deleted and written them again).
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let fri = replace(
        &mut ada,
        &friday,
        vec![entry(&bench, vec![weighted_set(80.0, 5)])],
    )
    .await;
    assert_eq!(stamps(&stack, &ada, &bench).await, before, "left alone");
    assert_records_match(&stack, &ada).await;

    // The same set kept by id while another is added: still nothing to rewrite.
    let kept = pb::WorkoutSet {
        id: fri[0].sets[0].id.clone(),
        ..weighted_set(80.0, 5)
    };
    replace(
        &mut ada,
        &friday,
        vec![entry(&bench, vec![kept, weighted_set(90.0, 6)])],
    )
    .await;
    assert_eq!(
        stamps(&stack, &ada, &bench).await,
        before,
        "still left alone"
    );

    // A heavier set takes the weight records, and only those that it beats.
    let fri = replace(
        &mut ada,
        &friday,
        vec![entry(&bench, vec![weighted_set(120.0, 1)])],
    )
    .await;
    let heavier = fri[0].sets[0].id.clone();
    let now_held = holders(&stack, &ada, &bench).await;
    assert_eq!(
        now_held,
        [
            ("BEST_ESTIMATED_1RM".to_owned(), record_set.clone()),
            ("HEAVIEST_WEIGHT".to_owned(), heavier.clone()),
            ("MOST_REPS".to_owned(), record_set.clone()),
        ],
        "120 × 1 (1RM 120) beats 100 kg but not 100 × 8 (1RM 126.666)"
    );
    assert_records_match(&stack, &ada).await;

    // The heavier set goes: its record falls back to the older set, found by a recompute.
    replace(
        &mut ada,
        &friday,
        vec![entry(&bench, vec![weighted_set(60.0, 5)])],
    )
    .await;
    assert!(
        holders(&stack, &ada, &bench)
            .await
            .iter()
            .all(|(_, set)| *set == record_set),
        "every record back on Monday's set"
    );
    assert_records_match(&stack, &ada).await;
    stack.stop().await;
}

async fn another_users_sets_never_count(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let mut bob = stack.user("bob").await;
    let ada_bench = exercise(&mut ada, "Bench", pb::TrackingMode::WeightReps).await;
    let bob_bench = exercise(&mut bob, "Bench", pb::TrackingMode::WeightReps).await;
    let ada_w = ada.create_workout("Ada", "2026-03-02").await.id;
    let bob_w = bob.create_workout("Bob", "2026-03-02").await.id;
    replace(
        &mut ada,
        &ada_w,
        vec![entry(&ada_bench, vec![weighted_set(60.0, 5)])],
    )
    .await;
    replace(
        &mut bob,
        &bob_w,
        vec![entry(&bob_bench, vec![weighted_set(200.0, 5)])],
    )
    .await;
    assert_eq!(
        heaviest(&mut ada, &ada_bench).await.map(|r| r.0),
        Some(60.0)
    );
    assert_eq!(
        heaviest(&mut bob, &bob_bench).await.map(|r| r.0),
        Some(200.0)
    );
    assert_eq!(super::all_records(&mut ada).await.len(), 3);
    assert_records_match(&stack, &ada).await;
    assert_records_match(&stack, &bob).await;
    stack.stop().await;
}

backend_tests!(
    records_pass_on_when_their_set_changes_or_goes,
    an_entry_dropped_from_its_workout_takes_its_records,
    a_recompute_touches_only_the_edited_exercise,
    an_edit_that_beats_no_record_leaves_the_records_unwritten,
    another_users_sets_never_count,
);
