//! Every violated field of a replace is named in one `BadRequest`: bounds of every field,
//! then what each exercise's tracking mode requires and refuses; nothing is written.

use shared::pb::fitness::v1 as pb;
use testkit::{Backend, backend_tests};

use crate::helpers::{Stack, assert_bad, distance_set, entry, reps_set, weighted_set};

async fn every_out_of_bounds_field_is_named_at_once(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let (workout, bench, squat) = super::workout_and_two_lifts(&mut ada).await;
    let bad_set = pb::WorkoutSet {
        id: "not-a-uuid".into(),
        set_type: 99,
        reps: Some(1001),
        weight: Some(2000.0001),
        weight_unit: pb::WeightUnit::Kg as i32,
        distance_meters: Some(-1.0),
        duration_seconds: Some(86_401),
        rpe: Some(6.25),
        rir: Some(11),
        rest_seconds: Some(3601),
        notes: "n".repeat(1001),
        ..Default::default()
    };
    let entries = vec![
        pb::WorkoutEntry {
            superset: 101,
            notes: "e".repeat(1001),
            ..entry(&bench.id, vec![weighted_set(100.0, 5), bad_set])
        },
        entry("nope", vec![]),
        entry(
            &squat.id,
            vec![pb::WorkoutSet {
                weight_unit: 7,
                rpe: Some(8.0),
                rir: Some(2),
                ..weighted_set(-5.0, -1)
            }],
        ),
    ];
    assert_bad(
        ada.try_replace_entries(&workout.id, entries).await,
        &[
            "entries[0].superset",
            "entries[0].notes",
            "entries[0].sets[1].id",
            "entries[0].sets[1].set_type",
            "entries[0].sets[1].reps",
            "entries[0].sets[1].weight",
            "entries[0].sets[1].distance_meters",
            "entries[0].sets[1].duration_seconds",
            "entries[0].sets[1].rpe",
            "entries[0].sets[1].rir",
            "entries[0].sets[1].rest_seconds",
            "entries[0].sets[1].notes",
            "entries[1].exercise_id",
            "entries[2].sets[0].reps",
            "entries[2].sets[0].weight_unit",
            "entries[2].sets[0].rir",
        ],
    );
    let weights = [1.2345, f64::NAN, f64::INFINITY];
    for w in weights {
        assert_bad(
            ada.try_replace_entries(
                &workout.id,
                vec![entry(&bench.id, vec![weighted_set(w, 1)])],
            )
            .await,
            &["entries[0].sets[0].weight"],
        );
    }
    assert_bad(ada.try_replace_entries("", vec![]).await, &["workout_id"]);
    let counts: (i64, i64) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM sets WHERE user_id = $1), \
         (SELECT COUNT(*) FROM workout_exercises WHERE user_id = $1)",
    )
    .bind(&ada.id)
    .fetch_one(stack.fitness.db.pool())
    .await
    .unwrap();
    assert_eq!(counts, (0, 0), "nothing written");
    stack.stop().await;
}

async fn too_many_entries_sets_and_sets_per_entry_are_refused(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let (workout, bench, _) = super::workout_and_two_lifts(&mut ada).await;
    let many = |n: usize| vec![weighted_set(10.0, 1); n];
    assert_bad(
        ada.try_replace_entries(&workout.id, vec![entry(&bench.id, many(101))])
            .await,
        &["entries[0].sets"],
    );
    // 11 entries of 100 sets: each entry is fine, the whole is above 1,000 sets.
    let ids: Vec<String> = (0..11).map(|_| uuid::Uuid::now_v7().to_string()).collect();
    let entries = ids.iter().map(|id| entry(id, many(100))).collect();
    assert_bad(
        ada.try_replace_entries(&workout.id, entries).await,
        &["entries"],
    );
    let entries = (0..101)
        .map(|_| entry(&uuid::Uuid::now_v7().to_string(), vec![]))
        .collect();
    assert_bad(
        ada.try_replace_entries(&workout.id, entries).await,
        &["entries"],
    );
    stack.stop().await;
}

async fn each_tracking_mode_requires_and_refuses_its_measures_all_named_at_once(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let workout = ada.create_workout("Mixed", "2026-03-04").await;
    let mut ids = Vec::new();
    for mode in [
        pb::TrackingMode::WeightReps,
        pb::TrackingMode::RepsOnly,
        pb::TrackingMode::Bodyweight,
        pb::TrackingMode::Assisted,
        pb::TrackingMode::Duration,
        pb::TrackingMode::DistanceDuration,
    ] {
        ids.push(
            ada.create_exercise_in_mode(mode.as_str_name(), mode)
                .await
                .id,
        );
    }
    let duration = |s: i32| pb::WorkoutSet {
        duration_seconds: Some(s),
        ..Default::default()
    };
    // Every set below breaks its exercise's mode.
    let wrong = vec![
        entry(&ids[0], vec![reps_set(5), distance_set(100.0, None)]),
        entry(&ids[1], vec![weighted_set(10.0, 5)]),
        entry(&ids[2], vec![duration(30), pb::WorkoutSet::default()]),
        entry(&ids[3], vec![distance_set(5.0, None)]),
        entry(&ids[4], vec![reps_set(5)]),
        entry(&ids[5], vec![weighted_set(10.0, 5), duration(60)]),
    ];
    assert_bad(
        ada.try_replace_entries(&workout.id, wrong).await,
        &[
            "entries[0].sets[0].weight",
            "entries[0].sets[1].reps",
            "entries[0].sets[1].weight",
            "entries[0].sets[1].distance_meters",
            "entries[1].sets[0].weight",
            "entries[2].sets[0].reps",
            "entries[2].sets[0].duration_seconds",
            "entries[2].sets[1].reps",
            "entries[3].sets[0].reps",
            "entries[3].sets[0].distance_meters",
            "entries[4].sets[0].reps",
            "entries[4].sets[0].duration_seconds",
            "entries[5].sets[0].reps",
            "entries[5].sets[0].weight",
            "entries[5].sets[0].distance_meters",
            "entries[5].sets[1].distance_meters",
        ],
    );
    // And each mode's valid shapes pass, assisted weight counting no volume.
    let right = vec![
        entry(&ids[0], vec![weighted_set(100.0, 5)]),
        entry(&ids[1], vec![reps_set(20)]),
        entry(&ids[2], vec![reps_set(10), weighted_set(20.0, 5)]),
        entry(&ids[3], vec![weighted_set(30.0, 8)]),
        entry(&ids[4], vec![duration(60)]),
        entry(
            &ids[5],
            vec![distance_set(5000.0, Some(1500)), distance_set(400.0, None)],
        ),
    ];
    let replaced = ada.replace_entries(&workout.id, right).await;
    let w = replaced.workout.unwrap();
    assert_eq!(w.set_count, 8);
    assert_eq!(w.volume_kg, 500.0 + 100.0, "assisted weight is no volume");
    let stats = ada.my_stats().await;
    assert_eq!(stats.total_reps, 5 + 20 + 10 + 5 + 8);
    assert_eq!(stats.total_distance_meters, 5400.0);
    assert_eq!(stats.total_set_seconds, 1560);
    stack.stop().await;
}

async fn duplicate_exercises_foreign_set_ids_and_repeated_set_ids_are_refused(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let (workout, bench, squat) = super::workout_and_two_lifts(&mut ada).await;
    let other = ada.create_workout("Other", "2026-03-05").await;
    let elsewhere = ada
        .replace_entries(
            &other.id,
            vec![entry(&bench.id, vec![weighted_set(50.0, 5)])],
        )
        .await
        .entries[0]
        .sets[0]
        .id
        .clone();
    let mine = ada
        .replace_entries(
            &workout.id,
            vec![entry(&bench.id, vec![weighted_set(60.0, 5)])],
        )
        .await
        .entries[0]
        .sets[0]
        .id
        .clone();
    let with_id = |id: &str| pb::WorkoutSet {
        id: id.to_owned(),
        ..weighted_set(70.0, 5)
    };
    assert_bad(
        ada.try_replace_entries(
            &workout.id,
            vec![
                entry(&bench.id, vec![with_id(&mine), with_id(&elsewhere)]),
                entry(&squat.id, vec![with_id(&mine)]),
                entry(&bench.id, vec![]),
            ],
        )
        .await,
        &[
            "entries[0].sets[1].id",
            "entries[1].sets[0].id",
            "entries[2].exercise_id",
        ],
    );
    stack.stop().await;
}

backend_tests!(
    every_out_of_bounds_field_is_named_at_once,
    too_many_entries_sets_and_sets_per_entry_are_refused,
    each_tracking_mode_requires_and_refuses_its_measures_all_named_at_once,
    duplicate_exercises_foreign_set_ids_and_repeated_set_ids_are_refused,
);
