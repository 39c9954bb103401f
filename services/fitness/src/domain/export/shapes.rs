//! The caller's rows as the export shows them: stored times (microseconds) as RFC 3339.

use serde::Serialize;
use shared::time::{Micros, to_timestamp};

use crate::store::exercises::ExerciseRow;
use crate::store::stats::StatRow;
use crate::store::workouts::WorkoutRow;

/// A stored time as RFC 3339.
pub fn time(micros: Micros) -> String {
    to_timestamp(micros).to_string()
}

/// The caller's statistics, as exported.
#[derive(Serialize)]
pub struct StatOut {
    total_workouts: i64,
    total_exercises: i64,
    total_duration_minutes: i64,
    evaluation: Option<i32>,
    updated_at: String,
    total_sets: i64,
    total_reps: i64,
    total_volume_g: i64,
    total_distance_mm: i64,
    total_set_seconds: i64,
}

impl From<StatRow> for StatOut {
    fn from(s: StatRow) -> Self {
        Self {
            total_workouts: s.total_workouts,
            total_exercises: s.total_exercises,
            total_duration_minutes: s.total_duration_minutes,
            evaluation: s.evaluation,
            updated_at: time(s.updated_at),
            total_sets: s.total_sets,
            total_reps: s.total_reps,
            total_volume_g: s.total_volume_g,
            total_distance_mm: s.total_distance_mm,
            total_set_seconds: s.total_set_seconds,
        }
    }
}

/// A workout, as exported.
#[derive(Serialize)]
pub struct WorkoutOut {
    id: String,
    title: String,
    date: String,
    notes: String,
    workout_type: String,
    exercise_count: i64,
    total_duration_minutes: i64,
    created_at: String,
    updated_at: String,
    started_at: Option<String>,
    ended_at: Option<String>,
    time_zone: String,
    set_count: i64,
    total_reps: i64,
    volume_g: i64,
    distance_mm: i64,
    set_seconds: i64,
    import_key: Option<String>,
}

impl From<WorkoutRow> for WorkoutOut {
    fn from(w: WorkoutRow) -> Self {
        Self {
            id: w.id,
            title: w.title,
            date: w.workout_date,
            notes: w.notes,
            workout_type: w.workout_type,
            exercise_count: w.exercise_count,
            total_duration_minutes: w.total_duration_minutes,
            created_at: time(w.created_at),
            updated_at: time(w.updated_at),
            started_at: w.started_at.map(time),
            ended_at: w.ended_at.map(time),
            time_zone: w.time_zone,
            set_count: w.set_count,
            total_reps: w.total_reps,
            volume_g: w.volume_g,
            distance_mm: w.distance_mm,
            set_seconds: w.set_seconds,
            import_key: w.import_key,
        }
    }
}

/// An exercise, as exported (its links are in `workout_exercises`).
#[derive(Serialize)]
pub struct ExerciseOut {
    id: String,
    name: String,
    description: String,
    duration_minutes: Option<i32>,
    created_at: String,
    updated_at: String,
    catalogue_entry_id: Option<String>,
    tracking_mode: String,
}

impl From<ExerciseRow> for ExerciseOut {
    fn from(e: ExerciseRow) -> Self {
        Self {
            id: e.id,
            name: e.name,
            description: e.description,
            duration_minutes: e.duration_minutes,
            created_at: time(e.created_at),
            updated_at: time(e.updated_at),
            catalogue_entry_id: e.catalogue_entry_id,
            tracking_mode: e.tracking_mode,
        }
    }
}

/// A link between one of the caller's workouts and one of their exercises, as exported.
#[derive(Serialize)]
pub struct LinkOut {
    workout_id: String,
    exercise_id: String,
}

impl From<(String, String)> for LinkOut {
    fn from((workout_id, exercise_id): (String, String)) -> Self {
        Self {
            workout_id,
            exercise_id,
        }
    }
}
