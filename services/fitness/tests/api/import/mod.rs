//! DataService.ImportWorkouts: Strong and Hevy CSV exports streamed in chunks, read back
//! through GetWorkout and the user's stats; idempotent re-imports; malformed files refused
//! whole.

mod hevy;
mod large;
mod refusals;
mod slots;
mod strong;

use shared::pb::fitness::v1 as pb;
use shared::pb::fitness::v1::import_workouts_request::Part;
use tonic::Status;
use tonic_types::StatusExt as _;

use crate::helpers::{User, scalar};

/// Strong's export in kilograms: three workouts with warm-up, drop and failure sets, a rest
/// timer row, quoted notes with a comma, quotes and a line break, a byte order mark and CRLF.
pub const STRONG_KG: &[u8] = include_bytes!("fixtures/strong_kg.csv");
/// Strong's export in pounds (and so miles).
pub const STRONG_LB: &[u8] = include_bytes!("fixtures/strong_lb.csv");
/// Strong's export with a weight that is no number on line 5.
pub const STRONG_MALFORMED: &[u8] = include_bytes!("fixtures/strong_malformed.csv");
/// Hevy's export in kilograms: a superset, every set type, a duration and a cardio workout.
pub const HEVY_KG: &[u8] = include_bytes!("fixtures/hevy_kg.csv");
/// Hevy's export in pounds and miles.
pub const HEVY_LB: &[u8] = include_bytes!("fixtures/hevy_lb.csv");

/// Import options.
pub fn options(
    source: pb::ImportSource,
    time_zone: &str,
    unit: pb::WeightUnit,
) -> pb::ImportOptions {
    pb::ImportOptions {
        source: source as i32,
        time_zone: time_zone.to_owned(),
        weight_unit: unit as i32,
    }
}

/// The messages of an import: `options`, then `file` in chunks of `size` bytes.
pub fn messages(
    options: pb::ImportOptions,
    file: &[u8],
    size: usize,
) -> Vec<pb::ImportWorkoutsRequest> {
    let mut messages = vec![pb::ImportWorkoutsRequest {
        part: Some(Part::Options(options)),
    }];
    messages.extend(file.chunks(size).map(|chunk| pb::ImportWorkoutsRequest {
        part: Some(Part::Chunk(chunk.to_vec())),
    }));
    messages
}

/// Sends `messages` as one import.
pub async fn send(
    user: &mut User,
    messages: Vec<pb::ImportWorkoutsRequest>,
) -> Result<pb::ImportWorkoutsResponse, Status> {
    user.data
        .import_workouts(tokio_stream::iter(messages))
        .await
        .map(tonic::Response::into_inner)
}

/// Imports `file` in chunks of `size` bytes.
pub async fn import(
    user: &mut User,
    options: pb::ImportOptions,
    file: &[u8],
    size: usize,
) -> Result<pb::ImportWorkoutsResponse, Status> {
    send(user, messages(options, file, size)).await
}

/// The user's workouts by title, each with its entries.
pub async fn workouts(user: &mut User) -> Vec<(pb::Workout, Vec<pb::WorkoutEntry>)> {
    let listed = user
        .workouts
        .list_workouts(pb::ListWorkoutsRequest {
            page_size: 500,
            ..Default::default()
        })
        .await
        .expect("workouts listed")
        .into_inner()
        .workouts;
    let mut out = Vec::new();
    for w in listed {
        let got = user
            .workouts
            .get_workout(pb::GetWorkoutRequest {
                id: w.id.clone(),
                include_exercises: false,
                include_entries: true,
            })
            .await
            .expect("workout found")
            .into_inner();
        out.push((got.workout.expect("a workout"), got.entries));
    }
    out.sort_by(|a, b| a.0.title.cmp(&b.0.title));
    out
}

/// A set as one readable line.
pub fn show(s: &pb::WorkoutSet) -> String {
    let kind = pb::SetType::try_from(s.set_type).expect("a set type");
    let mut parts = vec![
        kind.as_str_name()
            .trim_start_matches("SET_TYPE_")
            .to_owned(),
    ];
    if let Some(reps) = s.reps {
        parts.push(format!("{reps} reps"));
    }
    if let Some(weight) = s.weight {
        let unit = pb::WeightUnit::try_from(s.weight_unit).expect("a unit");
        let unit = unit.as_str_name().trim_start_matches("WEIGHT_UNIT_");
        parts.push(format!("{weight} {unit} = {} kg", s.weight_kg));
    }
    if let Some(m) = s.distance_meters {
        parts.push(format!("{m} m"));
    }
    if let Some(t) = s.duration_seconds {
        parts.push(format!("{t} s"));
    }
    if let Some(rpe) = s.rpe {
        parts.push(format!("rpe {rpe}"));
    }
    if !s.notes.is_empty() {
        parts.push(format!("{:?}", s.notes));
    }
    parts.join(", ")
}

/// An entry as (exercise name, superset, notes, its sets shown).
pub type Shown = (String, i32, String, Vec<String>);

/// An entry as (exercise name, superset, notes, its sets shown).
pub fn entry(e: &pb::WorkoutEntry) -> Shown {
    (
        e.exercise_name.clone(),
        e.superset,
        e.notes.clone(),
        e.sets.iter().map(show).collect(),
    )
}

/// Seconds since the epoch of an RFC 3339 time.
pub fn seconds(rfc3339: &str) -> i64 {
    rfc3339
        .parse::<jiff::Timestamp>()
        .expect("a time")
        .as_second()
}

/// How many rows of the user each table holds that an import writes.
pub async fn row_counts(stack: &crate::helpers::Stack, user_id: &str) -> Vec<i64> {
    let mut counts = Vec::new();
    for table in [
        "workouts",
        "exercises",
        "workout_exercises",
        "sets",
        "catalogue_entries",
    ] {
        let sql = format!("SELECT COUNT(*) FROM {table} WHERE user_id = $1");
        counts.push(scalar(&stack.fitness, &sql, user_id).await);
    }
    counts
}

/// The descriptions of the violations of an INVALID_ARGUMENT status: (field, description).
pub fn violations(status: &Status) -> Vec<(String, String)> {
    status
        .get_error_details()
        .bad_request()
        .map(|b| {
            b.field_violations
                .iter()
                .map(|v| (v.field.clone(), v.description.clone()))
                .collect()
        })
        .unwrap_or_default()
}
