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
}

impl From<StatRow> for StatOut {
    fn from(s: StatRow) -> Self {
        Self {
            total_workouts: s.total_workouts,
            total_exercises: s.total_exercises,
            total_duration_minutes: s.total_duration_minutes,
            evaluation: s.evaluation,
            updated_at: time(s.updated_at),
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
