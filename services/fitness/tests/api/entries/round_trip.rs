//! Entries written and read back exactly: order, positions, supersets, every field of a set,
//! pounds converted once; a second replace keeps the ids it is given.

use shared::pb::fitness::v1 as pb;
use testkit::{Backend, backend_tests};

use super::sums;
use crate::helpers::{Stack, entry, weighted_set};

/// Entry `i` of the big workout: 5 sets, every other one in pounds, the third a warm-up with
/// RPE, rest and notes; pairs of entries form supersets.
fn big_entry(exercise_id: &str, i: usize) -> pb::WorkoutEntry {
    let sets = (0..5)
        .map(|j| {
            let mut set = weighted_set(20.0 + i as f64 + f64::from(j) * 0.5, 5 + j);
            if j % 2 == 1 {
                set.weight_unit = pb::WeightUnit::Lb as i32;
            }
            if j == 2 {
                set.set_type = pb::SetType::Warmup as i32;
                set.rpe = Some(7.5);
                set.rest_seconds = Some(90);
                set.notes = format!("entry {i} set {j}");
            }
            if j == 4 {
                set.rir = Some(2);
            }
            set
        })
        .collect();
    pb::WorkoutEntry {
        superset: (i / 2) as i32,
        notes: format!("entry {i}"),
        ..entry(exercise_id, sets)
    }
}

/// The set as the server should answer it: the request's fields plus id and weight_kg.
fn expected(mut sent: pb::WorkoutSet, got: &pb::WorkoutSet) -> pb::WorkoutSet {
    let grams = match pb::WeightUnit::try_from(sent.weight_unit) {
        Ok(pb::WeightUnit::Lb) => (sent.weight.unwrap() * 453.592_37).round(),
        _ => (sent.weight.unwrap() * 1000.0).round(),
    };
    sent.id = got.id.clone();
    sent.weight_kg = grams / 1000.0;
    if sent.set_type == 0 {
        sent.set_type = pb::SetType::Normal as i32;
    }
    sent
}

async fn thirty_entries_of_five_sets_are_stored_and_read_back_exactly(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let workout = ada.create_workout("Everything", "2026-03-04").await;
    let mut exercises = Vec::new();
    for i in 0..30 {
        let mode = if i == 7 {
            pb::TrackingMode::Bodyweight
        } else {
            pb::TrackingMode::WeightReps
        };
        exercises.push(
            ada.create_exercise_in_mode(&format!("Lift {i}"), mode)
                .await,
        );
    }
    let sent: Vec<pb::WorkoutEntry> = exercises
        .iter()
        .enumerate()
        .map(|(i, e)| big_entry(&e.id, i))
        .collect();
    let replaced = ada.replace_entries(&workout.id, sent.clone()).await;
    let read = ada.get_with_entries(&workout.id).await;
    assert_eq!(
        read.entries, replaced.entries,
        "GetWorkout reads what was written"
    );
    assert_eq!(read.workout, replaced.workout);
    assert_eq!(replaced.entries.len(), 30);
    let mut volume_g = 0i64;
    for (i, (got, sent)) in replaced.entries.iter().zip(&sent).enumerate() {
        assert_eq!(got.exercise_id, exercises[i].id, "entry order kept");
        assert_eq!(got.exercise_name, format!("Lift {i}"));
        assert_eq!(got.superset, (i / 2) as i32);
        assert_eq!(got.notes, format!("entry {i}"));
        let mode = if i == 7 {
            pb::TrackingMode::Bodyweight
        } else {
            pb::TrackingMode::WeightReps
        };
        assert_eq!(got.tracking_mode, mode as i32);
        assert_eq!(got.sets.len(), 5);
        for (got_set, sent_set) in got.sets.iter().zip(&sent.sets) {
            assert_eq!(
                uuid::Uuid::parse_str(&got_set.id)
                    .unwrap()
                    .get_version_num(),
                7
            );
            assert_eq!(*got_set, expected(sent_set.clone(), got_set));
            volume_g +=
                (got_set.weight_kg * 1000.0).round() as i64 * i64::from(got_set.reps.unwrap());
        }
    }
    // Positions as stored: entries 0..30, sets 0..5 within each.
    let positions: Vec<(i32, i32)> = sqlx::query_as(
        "SELECT l.position, s.position FROM sets s JOIN workout_exercises l \
         ON l.workout_id = s.workout_id AND l.exercise_id = s.exercise_id \
         WHERE s.workout_id = $1 ORDER BY l.position, s.position",
    )
    .bind(&workout.id)
    .fetch_all(stack.fitness.db.pool())
    .await
    .unwrap();
    let expected_positions: Vec<(i32, i32)> =
        (0..30).flat_map(|e| (0..5).map(move |s| (e, s))).collect();
    assert_eq!(positions, expected_positions);
    let w = replaced.workout.unwrap();
    assert_eq!((w.exercise_count, w.set_count), (30, 150));
    assert_eq!((w.volume_kg * 1000.0).round() as i64, volume_g);
    let reps: i64 = 30 * (5 + 6 + 7 + 8 + 9);
    let [rows, totals, weeks] = sums(&stack, &ada.id).await;
    assert_eq!(rows, (150, reps, volume_g, 0, 0));
    assert_eq!(totals, rows);
    assert_eq!(weeks, rows);
    let stats = ada.my_stats().await;
    assert_eq!((stats.total_sets, stats.total_reps), (150, reps));
    stack.stop().await;
}

async fn a_pound_weight_is_kept_as_entered_and_converted_to_the_gram_once(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let (workout, bench, _) = super::workout_and_two_lifts(&mut ada).await;
    let set = pb::WorkoutSet {
        weight_unit: pb::WeightUnit::Lb as i32,
        ..weighted_set(225.0, 5)
    };
    let replaced = ada
        .replace_entries(&workout.id, vec![entry(&bench.id, vec![set])])
        .await;
    let got = &replaced.entries[0].sets[0];
    assert_eq!(got.weight, Some(225.0));
    assert_eq!(got.weight_unit, pb::WeightUnit::Lb as i32);
    assert_eq!(got.weight_kg, 102.058);
    let stored: (i64, i64, String) =
        sqlx::query_as("SELECT weight_milli, weight_g, weight_unit FROM sets WHERE id = $1")
            .bind(&got.id)
            .fetch_one(stack.fitness.db.pool())
            .await
            .unwrap();
    assert_eq!(stored, (225_000, 102_058, "LB".to_owned()));
    assert_eq!(replaced.workout.unwrap().volume_kg, 510.29);
    stack.stop().await;
}

async fn a_second_replace_reorders_keeps_given_ids_and_unlinks_what_it_leaves_out(
    backend: Backend,
) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let (workout, bench, squat) = super::workout_and_two_lifts(&mut ada).await;
    let first = ada
        .replace_entries(
            &workout.id,
            vec![
                entry(
                    &bench.id,
                    vec![weighted_set(100.0, 5), weighted_set(100.0, 5)],
                ),
                entry(&squat.id, vec![weighted_set(140.0, 3)]),
            ],
        )
        .await;
    let kept_id = first.entries[0].sets[1].id.clone();
    let second = ada
        .replace_entries(
            &workout.id,
            vec![entry(
                &bench.id,
                vec![
                    pb::WorkoutSet {
                        id: kept_id.clone(),
                        ..weighted_set(105.0, 3)
                    },
                    weighted_set(90.0, 8),
                ],
            )],
        )
        .await;
    assert_eq!(second.entries.len(), 1);
    let sets = &second.entries[0].sets;
    assert_eq!(sets[0].id, kept_id, "a given id is kept");
    assert_ne!(
        sets[1].id, first.entries[0].sets[0].id,
        "other sets are new"
    );
    assert_eq!((sets[0].weight, sets[0].reps), (Some(105.0), Some(3)));
    let w = second.workout.unwrap();
    assert_eq!((w.exercise_count, w.set_count), (1, 2));
    assert_eq!(w.volume_kg, 105.0 * 3.0 + 90.0 * 8.0);
    let squat_now = ada
        .exercises
        .get_exercise(pb::GetExerciseRequest { id: squat.id })
        .await
        .unwrap()
        .into_inner();
    assert!(squat_now.workout_ids.is_empty(), "squat unlinked");
    let [rows, totals, weeks] = sums(&stack, &ada.id).await;
    assert_eq!(rows, (2, 11, 1_035_000, 0, 0));
    assert_eq!(totals, rows);
    assert_eq!(weeks, rows);
    stack.stop().await;
}

async fn an_exercise_linked_through_its_own_rpc_is_the_last_entry_without_sets(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let (workout, bench, squat) = super::workout_and_two_lifts(&mut ada).await;
    ada.replace_entries(
        &workout.id,
        vec![
            entry(&bench.id, vec![weighted_set(100.0, 5)]),
            entry(&squat.id, vec![]),
        ],
    )
    .await;
    let row = ada.create_exercise("Row", Some(5), &[&workout.id]).await;
    let read = ada.get_with_entries(&workout.id).await;
    let order: Vec<&str> = read
        .entries
        .iter()
        .map(|e| e.exercise_id.as_str())
        .collect();
    assert_eq!(
        order,
        [bench.id.as_str(), squat.id.as_str(), row.id.as_str()]
    );
    assert!(read.entries[2].sets.is_empty());
    let w = read.workout.unwrap();
    assert_eq!(
        (w.exercise_count, w.total_duration_minutes, w.set_count),
        (3, 5, 1)
    );
    stack.stop().await;
}

backend_tests!(
    thirty_entries_of_five_sets_are_stored_and_read_back_exactly,
    a_pound_weight_is_kept_as_entered_and_converted_to_the_gram_once,
    a_second_replace_reorders_keeps_given_ids_and_unlinks_what_it_leaves_out,
    an_exercise_linked_through_its_own_rpc_is_the_last_entry_without_sets,
);
