//! Hevy's exports: supersets, set types, durations, kilograms and pounds.

use shared::pb::fitness::v1 as pb;
use testkit::{Backend, backend_tests};

use super::{HEVY_KG, HEVY_LB, entry, import, options, seconds, workouts};
use crate::helpers::Stack;

fn hevy() -> pb::ImportOptions {
    options(pb::ImportSource::Hevy, "", pb::WeightUnit::Unspecified)
}

fn sets(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

async fn a_hevy_export_keeps_supersets_set_types_and_durations(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let summary = import(&mut ada, hevy(), HEVY_KG, 7)
        .await
        .expect("the file imports");
    assert_eq!(
        (
            summary.workouts_created,
            summary.sets_created,
            summary.exercises_created,
            summary.catalogue_entries_created,
            summary.skipped_rows,
        ),
        (2, 7, 4, 0, 0)
    );
    let all = workouts(&mut ada).await;
    let (cardio, cardio_entries) = &all[0];
    let (upper, upper_entries) = &all[1];
    assert_eq!(upper.title, "Upper A");
    assert_eq!(
        upper.started_at.unwrap().seconds,
        seconds("2024-03-26T08:12:00Z")
    );
    assert_eq!(upper.elapsed_seconds, 68 * 60);
    assert_eq!(upper.notes, "Gym, early");
    assert_eq!(upper.workout_type, pb::WorkoutType::Strength as i32);
    let upper_entries: Vec<_> = upper_entries.iter().map(entry).collect();
    assert_eq!(
        upper_entries,
        [
            (
                "Bench Press (Barbell)".to_owned(),
                1,
                "Elbows in".to_owned(),
                sets(&[
                    "WARMUP, 10 reps, 40 KG = 40 kg",
                    "NORMAL, 8 reps, 80 KG = 80 kg, rpe 8",
                    "DROP, 12 reps, 60 KG = 60 kg",
                ])
            ),
            (
                "Pull Up".to_owned(),
                1,
                String::new(),
                sets(&["NORMAL, 10 reps"])
            ),
            (
                "Plank".to_owned(),
                0,
                String::new(),
                sets(&["NORMAL, 60 s", "FAILURE, 75 s"])
            ),
        ]
    );
    assert_eq!(cardio.title, "Cardio");
    assert_eq!(cardio.workout_type, pb::WorkoutType::Cardio as i32);
    assert_eq!(cardio.date, "2024-03-27");
    assert_eq!(cardio.elapsed_seconds, 40 * 60);
    let cardio_entries: Vec<_> = cardio_entries.iter().map(entry).collect();
    assert_eq!(cardio_entries[0].3, ["NORMAL, 6500 m, 2400 s"]);

    let stat = ada.my_stats().await;
    assert_eq!(
        (
            stat.total_workouts,
            stat.total_sets,
            stat.total_reps,
            stat.total_volume_kg,
            stat.total_distance_meters,
            stat.total_set_seconds,
        ),
        (2, 7, 40, 1760.0, 6500.0, 2535)
    );
    let again = import(&mut ada, hevy(), HEVY_KG, 1 << 20).await.unwrap();
    assert_eq!((again.workouts_created, again.workouts_skipped), (0, 2));
    stack.stop().await;
}

async fn a_hevy_export_in_pounds_and_miles_converts_once(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    // Hevy's header names its units: the weight_unit option is ignored.
    let options = options(
        pb::ImportSource::Hevy,
        "America/New_York",
        pb::WeightUnit::Kg,
    );
    import(&mut ada, options, HEVY_LB, 1 << 20).await.unwrap();
    let all = workouts(&mut ada).await;
    let (lower, entries) = &all[0];
    // 17:05 in New York on 3 April 2024 (daylight time, UTC-4).
    assert_eq!(
        lower.started_at.unwrap().seconds,
        seconds("2024-04-03T21:05:00Z")
    );
    let entries: Vec<_> = entries.iter().map(entry).collect();
    assert_eq!(
        entries[0].3,
        ["NORMAL, 5 reps, 315 LB = 142.882 kg, rpe 9.5"]
    );
    assert_eq!(entries[1].3, ["NORMAL, 1609.344 m, 600 s"]);
    stack.stop().await;
}

backend_tests!(
    a_hevy_export_keeps_supersets_set_types_and_durations,
    a_hevy_export_in_pounds_and_miles_converts_once,
);
