//! The training tables as sections of the JSON export: entries, sets, custom catalogue
//! entries, personal records and weekly summaries, each read in keyset pages along an index
//! that starts with `user_id`, so a page costs its rows, not the user's history. Sets, entries
//! and weeks are exported as stored.

use serde::Serialize;

use super::shapes::time;
use super::{PAGE_ROWS, Section};
use crate::store::catalogue::{self, CustomRow};
use crate::store::keyset::pair;
use crate::store::links::{self, LinkRow};
use crate::store::records::{self, BareRecordRow, RecordAfter};
use crate::store::sets::{self, SetAfter, SetRow};
use crate::store::weekly::{self, WeekRow};

section! {
    /// `sets`, along `sets_history_idx`: by exercise, date, workout, position; measures in
    /// their stored integer units.
    Sets = "sets": SetRow => SetRow,
    page(conn, user_id, after: SetAfter) sets::page(conn, user_id, after, PAGE_ROWS),
    key(row) (
        row.exercise_id.clone(),
        row.workout_date.clone(),
        row.workout_id.clone(),
        row.position,
    ),
}

section! {
    /// `workout_exercises` with their order, superset and notes, in key order.
    Entries = "entries": LinkRow => LinkRow,
    page(conn, user_id, after: (String, String))
        links::PAGES.page(conn, user_id, after.map(pair), PAGE_ROWS),
    key(row) (row.workout_id.clone(), row.exercise_id.clone()),
}

/// A custom catalogue entry, as exported: muscles as lists.
#[derive(Debug, Clone, Serialize)]
pub struct CatalogueOut {
    id: String,
    name: String,
    category: String,
    primary_muscles: Vec<String>,
    secondary_muscles: Vec<String>,
    equipment: String,
    tracking_mode: String,
    created_at: String,
}

impl From<CustomRow> for CatalogueOut {
    fn from(r: CustomRow) -> Self {
        let list = |s: &str| {
            s.split(',')
                .filter(|m| !m.is_empty())
                .map(str::to_owned)
                .collect()
        };
        Self {
            primary_muscles: list(&r.primary_muscles),
            secondary_muscles: list(&r.secondary_muscles),
            id: r.id,
            name: r.name,
            category: r.category,
            equipment: r.equipment,
            tracking_mode: r.tracking_mode,
            created_at: time(r.created_at),
        }
    }
}

section! {
    /// `catalogue_entries`, by lowercased name (unique per user).
    Catalogue = "catalogue_entries": CustomRow => CatalogueOut,
    page(conn, user_id, after: String)
        catalogue::PAGES.page(conn, user_id, after.map(|key| [key.as_str()]), PAGE_ROWS),
    key(row) row.name_key.clone(),
}

/// A personal record, as exported: `value` in its kind's stored unit (grams, reps,
/// millimetres, milliseconds per km).
#[derive(Debug, Clone, Serialize)]
pub struct RecordOut {
    exercise_id: String,
    kind: String,
    value: i64,
    set_id: String,
    workout_id: String,
    workout_date: String,
    updated_at: String,
}

impl From<BareRecordRow> for RecordOut {
    fn from(r: BareRecordRow) -> Self {
        Self {
            exercise_id: r.exercise_id,
            kind: r.kind,
            value: r.value,
            set_id: r.set_id,
            workout_id: r.workout_id,
            workout_date: r.workout_date,
            updated_at: time(r.updated_at),
        }
    }
}

section! {
    /// `personal_records`, in key order.
    Records = "personal_records": BareRecordRow => RecordOut,
    page(conn, user_id, after: RecordAfter)
        records::PAGES.page(conn, user_id, after.map(pair), PAGE_ROWS),
    key(row) (row.exercise_id.clone(), row.kind.clone()),
}

section! {
    /// `weekly_summaries`, oldest week first.
    Weeks = "weekly_summaries": WeekRow => WeekRow,
    page(conn, user_id, after: String)
        weekly::PAGES.page(conn, user_id, after.map(|week| [week.as_str()]), PAGE_ROWS),
    key(row) row.week_start.clone(),
}
