//! Strong's exports: kilograms and pounds, every kind of row, any chunking, re-imports.

use shared::pb::fitness::v1 as pb;
use testkit::{Backend, backend_tests};

use super::{STRONG_KG, STRONG_LB, Shown, entry, import, options, row_counts, seconds, workouts};
use crate::helpers::{Stack, scalar};

fn strong(time_zone: &str, unit: pb::WeightUnit) -> pb::ImportOptions {
    options(pb::ImportSource::Strong, time_zone, unit)
}

fn sets(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

async fn a_strong_export_becomes_workouts_with_their_entries_and_sets(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let summary = import(
        &mut ada,
        strong("Europe/Berlin", pb::WeightUnit::Unspecified),
        STRONG_KG,
        64 * 1024,
    )
    .await
    .expect("the file imports");
    assert_eq!(
        (
            summary.workouts_created,
            summary.workouts_skipped,
            summary.sets_created,
            summary.exercises_created,
            summary.catalogue_entries_created,
            summary.skipped_rows,
        ),
        (3, 0, 10, 5, 1, 2)
    );
    let skipped: Vec<(i64, &str)> = summary
        .skipped
        .iter()
        .map(|s| (s.line, s.reason.as_str()))
        .collect();
    assert_eq!(
        skipped,
        [
            (5, "a rest timer, not a set"),
            (13, "no reps, weight, distance or duration")
        ]
    );

    let all = workouts(&mut ada).await;
    let titles: Vec<&str> = all.iter().map(|(w, _)| w.title.as_str()).collect();
    assert_eq!(titles, ["Legs", "Morning Run", "Push Day"]);
    let (legs, legs_entries) = &all[0];
    let (run, run_entries) = &all[1];
    let (push, push_entries) = &all[2];

    // Local times in Berlin (UTC+1 in March 2024), the date their local date.
    assert_eq!(push.date, "2024-03-26");
    assert_eq!(push.time_zone, "Europe/Berlin");
    let start = push.started_at.expect("a start").seconds;
    assert_eq!(start, seconds("2024-03-26T07:12:45Z"));
    assert_eq!(push.ended_at.expect("an end").seconds, start + 3900);
    assert_eq!(push.elapsed_seconds, 3900);
    assert_eq!(push.notes, "Felt good, \"strong\"\r\nslept 8h");
    assert_eq!(push.workout_type, pb::WorkoutType::Strength as i32);
    assert_eq!((push.set_count, push.volume_kg), (6, 2215.0));
    assert_eq!(
        legs.started_at.unwrap().seconds,
        seconds("2024-03-28T17:00:00Z")
    );
    assert_eq!(legs.elapsed_seconds, 2700);
    assert_eq!(run.date, "2024-03-30");
    assert_eq!(run.workout_type, pb::WorkoutType::Cardio as i32);
    assert_eq!(run.elapsed_seconds, 1800);

    let push_entries: Vec<_> = push_entries.iter().map(entry).collect();
    assert_eq!(
        push_entries,
        [
            (
                "Bench Press (Barbell)".to_owned(),
                0,
                String::new(),
                sets(&[
                    "WARMUP, 10 reps, 40 KG = 40 kg",
                    "NORMAL, 8 reps, 80 KG = 80 kg, rpe 8.5, \"Paused, 1s\"",
                    "NORMAL, 6 reps, 82.5 KG = 82.5 kg, rpe 9",
                    "DROP, 10 reps, 60 KG = 60 kg",
                ])
            ),
            // A body-weight exercise: Strong's 0 kg is no added weight.
            (
                "Pull Up".to_owned(),
                0,
                String::new(),
                sets(&["NORMAL, 12 reps", "NORMAL, 8 reps, 10 KG = 10 kg"])
            ),
        ]
    );
    let legs_entries: Vec<_> = legs_entries.iter().map(entry).collect();
    assert_eq!(
        legs_entries,
        [
            (
                "Squat (Barbell)".to_owned(),
                0,
                String::new(),
                sets(&[
                    "NORMAL, 5 reps, 100 KG = 100 kg",
                    "FAILURE, 3 reps, 100 KG = 100 kg, rpe 10"
                ])
            ),
            (
                "Wobble Board Lunge".to_owned(),
                0,
                String::new(),
                sets(&["NORMAL, 10 reps, 20 KG = 20 kg"])
            ),
        ]
    );
    let run_entries: Vec<_> = run_entries.iter().map(entry).collect();
    assert_eq!(
        run_entries,
        [(
            "Running".to_owned(),
            0,
            String::new(),
            sets(&["NORMAL, 5250 m, 1800 s"])
        )]
    );
    let modes: Vec<i32> = push_entries_modes(&all);
    assert_eq!(
        modes,
        [
            pb::TrackingMode::WeightReps as i32,
            pb::TrackingMode::Bodyweight as i32,
        ]
    );

    let stat = ada.my_stats().await;
    assert_eq!(
        (
            stat.total_workouts,
            stat.total_exercises,
            stat.total_sets,
            stat.total_reps,
            stat.total_volume_kg,
            stat.total_distance_meters,
            stat.total_set_seconds,
        ),
        (3, 5, 10, 72, 3215.0, 5250.0, 1800)
    );

    // The unknown name became a custom catalogue entry its exercise references; the known
    // ones reference built-in entries.
    let exercises = ada
        .exercises
        .list_exercises(pb::ListExercisesRequest {
            page_size: 100,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .exercises;
    let wobble = exercises
        .iter()
        .find(|e| e.name == "Wobble Board Lunge")
        .expect("the exercise");
    let custom = ada
        .catalogue
        .get_catalogue_entry(pb::GetCatalogueEntryRequest {
            id: wobble.catalogue_entry_id.clone(),
        })
        .await
        .expect("its catalogue entry")
        .into_inner();
    assert!(custom.custom);
    assert_eq!(custom.name, "Wobble Board Lunge");
    assert_eq!(custom.tracking_mode, pb::TrackingMode::WeightReps as i32);
    let bench = exercises
        .iter()
        .find(|e| e.name == "Bench Press (Barbell)")
        .expect("the exercise");
    assert_eq!(bench.catalogue_entry_id, "barbell-bench-press");
    stack.stop().await;
}

/// The tracking modes of the entries of "Push Day".
fn push_entries_modes(all: &[(pb::Workout, Vec<pb::WorkoutEntry>)]) -> Vec<i32> {
    all.iter()
        .find(|(w, _)| w.title == "Push Day")
        .map(|(_, entries)| entries.iter().map(|e| e.tracking_mode).collect())
        .unwrap_or_default()
}

async fn a_second_import_of_the_same_file_creates_nothing(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let options = strong("Europe/Berlin", pb::WeightUnit::Kg);
    import(&mut ada, options.clone(), STRONG_KG, 4096)
        .await
        .unwrap();
    let counts = row_counts(&stack, &ada.id).await;
    let stat = ada.my_stats().await;
    let again = import(&mut ada, options, STRONG_KG, 4096).await.unwrap();
    assert_eq!(
        (
            again.workouts_created,
            again.workouts_skipped,
            again.sets_created,
            again.exercises_created,
            again.catalogue_entries_created,
            again.skipped_rows,
        ),
        (0, 3, 0, 0, 0, 0)
    );
    assert_eq!(row_counts(&stack, &ada.id).await, counts);
    let after = ada.my_stats().await;
    assert_eq!(
        (
            after.total_workouts,
            after.total_sets,
            after.total_volume_kg
        ),
        (stat.total_workouts, stat.total_sets, stat.total_volume_kg)
    );
    stack.stop().await;
}

async fn chunk_boundaries_anywhere_even_inside_quoted_fields_read_the_same(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut whole = stack.user("whole").await;
    import(
        &mut whole,
        strong("Europe/Berlin", pb::WeightUnit::Kg),
        STRONG_KG,
        1 << 20,
    )
    .await
    .unwrap();
    let expected = shown(&workouts(&mut whole).await);
    for size in [1, 7] {
        let mut user = stack.user(&format!("chunks{size}")).await;
        let summary = import(
            &mut user,
            strong("Europe/Berlin", pb::WeightUnit::Kg),
            STRONG_KG,
            size,
        )
        .await
        .unwrap();
        assert_eq!((summary.workouts_created, summary.sets_created), (3, 10));
        assert_eq!(
            shown(&workouts(&mut user).await),
            expected,
            "{size}-byte chunks"
        );
    }
    stack.stop().await;
}

/// A workout without its ids: (title, date, start, notes, entries).
type Workout = (String, String, i64, String, Vec<Shown>);

/// Workouts without their ids.
fn shown(all: &[(pb::Workout, Vec<pb::WorkoutEntry>)]) -> Vec<Workout> {
    all.iter()
        .map(|(w, entries)| {
            (
                w.title.clone(),
                w.date.clone(),
                w.started_at.map_or(0, |t| t.seconds),
                w.notes.clone(),
                entries.iter().map(entry).collect(),
            )
        })
        .collect()
}

async fn pounds_are_kept_as_entered_and_distances_read_as_miles(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let summary = import(&mut ada, strong("", pb::WeightUnit::Lb), STRONG_LB, 100)
        .await
        .unwrap();
    assert_eq!((summary.workouts_created, summary.sets_created), (1, 2));
    let all = workouts(&mut ada).await;
    let (upper, entries) = &all[0];
    assert_eq!(upper.time_zone, "UTC");
    assert_eq!(
        upper.started_at.unwrap().seconds,
        seconds("2024-04-02T06:30:00Z")
    );
    // A workout with a weighted exercise stays strength training.
    assert_eq!(upper.workout_type, pb::WorkoutType::Strength as i32);
    let entries: Vec<_> = entries.iter().map(entry).collect();
    assert_eq!(entries[0].3, ["NORMAL, 5 reps, 225 LB = 102.058 kg"]);
    assert_eq!(entries[1].3, ["NORMAL, 4988.966 m, 1500 s"]);
    stack.stop().await;
}

async fn a_name_the_caller_already_has_is_their_exercise_whatever_its_case(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let mine = ada
        .create_exercise("bench press (BARBELL)", None, &[])
        .await;
    let summary = import(
        &mut ada,
        strong("UTC", pb::WeightUnit::Kg),
        STRONG_KG,
        1 << 20,
    )
    .await
    .unwrap();
    assert_eq!(summary.exercises_created, 4);
    let all = workouts(&mut ada).await;
    let push = &all.iter().find(|(w, _)| w.title == "Push Day").unwrap().1;
    assert_eq!(push[0].exercise_id, mine.id);
    assert_eq!(push[0].exercise_name, "bench press (BARBELL)");
    assert_eq!(push[0].sets.len(), 4);
    let named = scalar(
        &stack.fitness,
        "SELECT COUNT(*) FROM exercises WHERE user_id = $1 AND lower(name) = 'bench press (barbell)'",
        &ada.id,
    )
    .await;
    assert_eq!(named, 1);
    stack.stop().await;
}

backend_tests!(
    a_strong_export_becomes_workouts_with_their_entries_and_sets,
    a_second_import_of_the_same_file_creates_nothing,
    chunk_boundaries_anywhere_even_inside_quoted_fields_read_the_same,
    pounds_are_kept_as_entered_and_distances_read_as_miles,
    a_name_the_caller_already_has_is_their_exercise_whatever_its_case,
);
