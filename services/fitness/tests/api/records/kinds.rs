//! Each kind of record holds the best set by its measure: warm-ups never, assisted sets never
//! by weight, pounds in kilograms, ties to the earliest set.

use shared::pb::fitness::v1 as pb;
use testkit::{Backend, backend_tests};

use super::{all_records, assert_records_match, exercise, records_of, replace, warmup_set};
use crate::helpers::{Stack, distance_set, entry, reps_set, weighted_set};

use pb::RecordKind::{BestEstimated1rm, FastestPace, HeaviestWeight, LongestDistance, MostReps};

async fn every_kind_holds_the_best_set(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let bench = exercise(&mut ada, "Bench", pb::TrackingMode::WeightReps).await;
    let running = exercise(&mut ada, "Run", pb::TrackingMode::DistanceDuration).await;
    let w = ada.create_workout("Mixed", "2026-03-04").await.id;
    let stored = replace(
        &mut ada,
        &w,
        vec![
            entry(
                &bench,
                vec![
                    warmup_set(140.0, 20),
                    weighted_set(100.0, 5),
                    weighted_set(110.0, 1),
                    weighted_set(80.0, 10),
                ],
            ),
            entry(
                &running,
                vec![
                    distance_set(5000.0, Some(1500)),
                    distance_set(10_000.0, Some(3300)),
                    distance_set(12_000.0, None),
                    distance_set(400.0, Some(0)),
                ],
            ),
        ],
    )
    .await;
    let ids = |i: usize| -> Vec<String> { stored[i].sets.iter().map(|s| s.id.clone()).collect() };
    let (lifts, runs) = (ids(0), ids(1));

    let bench_records = records_of(&mut ada, &bench).await;
    assert_eq!(
        bench_records,
        [
            (HeaviestWeight, (110.0, lifts[2].clone())),
            // 100 kg × (30 + 5) / 30 = 116.666 kg, in whole grams.
            (BestEstimated1rm, (116.666, lifts[1].clone())),
            (MostReps, (10.0, lifts[3].clone())),
        ]
        .into_iter()
        .collect()
    );
    let run_records = records_of(&mut ada, &running).await;
    assert_eq!(
        run_records,
        [
            (LongestDistance, (12_000.0, runs[2].clone())),
            // 1500 s over 5 km: 300 s per km.
            (FastestPace, (300.0, runs[0].clone())),
        ]
        .into_iter()
        .collect()
    );

    // Each record carries its workout, date and the whole set.
    let records = all_records(&mut ada).await;
    let heaviest = records
        .iter()
        .find(|r| r.kind == HeaviestWeight as i32)
        .expect("a heaviest weight");
    assert_eq!(
        (heaviest.workout_id.as_str(), heaviest.date.as_str()),
        (w.as_str(), "2026-03-04")
    );
    let set = heaviest.set.as_ref().expect("the set");
    assert_eq!(
        (set.reps, set.weight, set.weight_kg, set.set_type),
        (Some(1), Some(110.0), 110.0, pb::SetType::Normal as i32)
    );
    let pace = records
        .iter()
        .find(|r| r.kind == FastestPace as i32)
        .and_then(|r| r.set.as_ref())
        .expect("a pace record with its set");
    assert_eq!(
        (pace.distance_meters, pace.duration_seconds),
        (Some(5000.0), Some(1500))
    );
    assert_records_match(&stack, &ada).await;
    stack.stop().await;
}

async fn a_single_is_its_own_estimate(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let bench = exercise(&mut ada, "Bench", pb::TrackingMode::WeightReps).await;
    let w = ada.create_workout("Heavy", "2026-03-04").await.id;
    // 120 × 1 is 120, not 124; 100 × 8 is 126.666.
    let stored = replace(
        &mut ada,
        &w,
        vec![entry(
            &bench,
            vec![weighted_set(120.0, 1), weighted_set(100.0, 8)],
        )],
    )
    .await;
    let records = records_of(&mut ada, &bench).await;
    assert_eq!(
        records[&BestEstimated1rm],
        (126.666, stored[0].sets[1].id.clone())
    );
    replace(
        &mut ada,
        &w,
        vec![entry(
            &bench,
            vec![weighted_set(120.0, 1), weighted_set(100.0, 2)],
        )],
    )
    .await;
    let records = records_of(&mut ada, &bench).await;
    assert_eq!(records[&BestEstimated1rm].0, 120.0);
    assert_records_match(&stack, &ada).await;
    stack.stop().await;
}

async fn warm_ups_never_hold_records(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let bench = exercise(&mut ada, "Bench", pb::TrackingMode::WeightReps).await;
    let w = ada.create_workout("Warm", "2026-03-04").await.id;
    replace(
        &mut ada,
        &w,
        vec![entry(
            &bench,
            vec![warmup_set(60.0, 10), warmup_set(80.0, 5)],
        )],
    )
    .await;
    assert!(records_of(&mut ada, &bench).await.is_empty());

    let stored = replace(
        &mut ada,
        &w,
        vec![entry(
            &bench,
            vec![warmup_set(90.0, 12), weighted_set(70.0, 3)],
        )],
    )
    .await;
    let working = stored[0].sets[1].id.clone();
    let records = records_of(&mut ada, &bench).await;
    assert_eq!(
        records,
        [
            (HeaviestWeight, (70.0, working.clone())),
            (BestEstimated1rm, (77.0, working.clone())),
            (MostReps, (3.0, working)),
        ]
        .into_iter()
        .collect()
    );
    assert_records_match(&stack, &ada).await;
    stack.stop().await;
}

async fn assisted_sets_hold_no_weight_record(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let dip = exercise(&mut ada, "Assisted dip", pb::TrackingMode::Assisted).await;
    let pull = exercise(&mut ada, "Weighted pull-up", pb::TrackingMode::Bodyweight).await;
    let crunch = exercise(&mut ada, "Crunch", pb::TrackingMode::RepsOnly).await;
    let w = ada.create_workout("Body", "2026-03-04").await.id;
    let stored = replace(
        &mut ada,
        &w,
        vec![
            entry(&dip, vec![weighted_set(30.0, 8), weighted_set(40.0, 6)]),
            entry(&pull, vec![reps_set(12), weighted_set(20.0, 5)]),
            entry(&crunch, vec![reps_set(25), reps_set(30)]),
        ],
    )
    .await;
    let dip_records = records_of(&mut ada, &dip).await;
    assert_eq!(
        dip_records,
        [(MostReps, (8.0, stored[0].sets[0].id.clone()))]
            .into_iter()
            .collect()
    );
    // Bodyweight: added load is a weight; a set without one still counts by its reps.
    let pull_records = records_of(&mut ada, &pull).await;
    let loaded = stored[1].sets[1].id.clone();
    assert_eq!(
        pull_records,
        [
            (HeaviestWeight, (20.0, loaded.clone())),
            (BestEstimated1rm, (23.333, loaded)),
            (MostReps, (12.0, stored[1].sets[0].id.clone())),
        ]
        .into_iter()
        .collect()
    );
    let crunch_records = records_of(&mut ada, &crunch).await;
    assert_eq!(
        crunch_records,
        [(MostReps, (30.0, stored[2].sets[1].id.clone()))]
            .into_iter()
            .collect()
    );
    assert_records_match(&stack, &ada).await;
    stack.stop().await;
}

async fn a_pound_entry_counts_in_kilograms(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let bench = exercise(&mut ada, "Bench", pb::TrackingMode::WeightReps).await;
    let w = ada.create_workout("Pounds", "2026-03-04").await.id;
    let pounds = pb::WorkoutSet {
        weight_unit: pb::WeightUnit::Lb as i32,
        ..weighted_set(225.0, 1)
    };
    // 225 lb is 102.058 kg: heavier than 102 kg, lighter than 102.1 kg.
    let stored = replace(
        &mut ada,
        &w,
        vec![entry(&bench, vec![weighted_set(102.0, 1), pounds])],
    )
    .await;
    let records = records_of(&mut ada, &bench).await;
    assert_eq!(
        records[&HeaviestWeight],
        (102.058, stored[0].sets[1].id.clone())
    );
    let heaviest = all_records(&mut ada)
        .await
        .into_iter()
        .find(|r| r.kind == HeaviestWeight as i32)
        .and_then(|r| r.set)
        .expect("the record's set");
    assert_eq!(
        (heaviest.weight, heaviest.weight_unit, heaviest.weight_kg),
        (Some(225.0), pb::WeightUnit::Lb as i32, 102.058)
    );
    replace(
        &mut ada,
        &w,
        vec![entry(
            &bench,
            vec![weighted_set(102.1, 1), stored[0].sets[1].clone()],
        )],
    )
    .await;
    assert_eq!(records_of(&mut ada, &bench).await[&HeaviestWeight].0, 102.1);
    assert_records_match(&stack, &ada).await;
    stack.stop().await;
}

async fn ties_keep_the_earliest_set(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let bench = exercise(&mut ada, "Bench", pb::TrackingMode::WeightReps).await;
    // Created first but dated later: the date decides, not the creation.
    let later = ada.create_workout("Later", "2026-03-06").await.id;
    let earlier = ada.create_workout("Earlier", "2026-03-04").await.id;
    replace(
        &mut ada,
        &later,
        vec![entry(&bench, vec![weighted_set(100.0, 5)])],
    )
    .await;
    let stored = replace(
        &mut ada,
        &earlier,
        vec![entry(
            &bench,
            vec![
                weighted_set(100.0, 5),
                weighted_set(100.0, 5),
                weighted_set(90.0, 5),
            ],
        )],
    )
    .await;
    let first = stored[0].sets[0].id.clone();
    let records = records_of(&mut ada, &bench).await;
    assert_eq!(records[&HeaviestWeight], (100.0, first.clone()));
    assert_eq!(records[&BestEstimated1rm].1, first);
    assert_eq!(records[&MostReps].1, first);

    // Equal reps: the heavier set holds the record even when later.
    let stored = replace(
        &mut ada,
        &later,
        vec![entry(&bench, vec![weighted_set(105.0, 5)])],
    )
    .await;
    let records = records_of(&mut ada, &bench).await;
    assert_eq!(records[&MostReps], (5.0, stored[0].sets[0].id.clone()));
    assert_records_match(&stack, &ada).await;
    stack.stop().await;
}

backend_tests!(
    every_kind_holds_the_best_set,
    a_single_is_its_own_estimate,
    warm_ups_never_hold_records,
    assisted_sets_hold_no_weight_record,
    a_pound_entry_counts_in_kilograms,
    ties_keep_the_earliest_set,
);
