//! The training tables as sections of the JSON export: entries, sets, custom catalogue
//! entries, personal records and weekly summaries, each read in keyset pages along an index
//! that starts with `user_id`, so a page costs its rows, not the user's history.

use serde::Serialize;
use sqlx::AnyConnection;

use super::shapes::time;
use super::{PAGE_ROWS, Section};

/// A set as stored, and as exported: measures in their stored integer units.
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct SetOut {
    id: String,
    workout_id: String,
    exercise_id: String,
    workout_date: String,
    position: i32,
    set_type: String,
    reps: Option<i32>,
    /// As entered, in thousandths of `weight_unit`.
    weight_milli: Option<i64>,
    weight_unit: String,
    weight_g: Option<i64>,
    distance_mm: Option<i64>,
    duration_s: Option<i32>,
    /// RPE × 2.
    rpe_half: Option<i32>,
    rir: Option<i32>,
    rest_s: Option<i32>,
    notes: String,
}

/// `sets`, along `sets_history_idx`: by exercise, date, workout, position.
pub struct Sets;

impl Section for Sets {
    const NAME: &'static str = "sets";
    type Row = SetOut;
    type Key = (String, String, String, i32);
    type Out = SetOut;

    async fn page<'a>(
        conn: &'a mut AnyConnection,
        user_id: &'a str,
        after: Option<&'a Self::Key>,
    ) -> sqlx::Result<Vec<SetOut>> {
        const COLUMNS: &str = "id, workout_id, exercise_id, workout_date, position, set_type, \
             reps, weight_milli, weight_unit, weight_g, distance_mm, duration_s, rpe_half, rir, \
             rest_s, notes";
        const ORDER: &str = "ORDER BY exercise_id, workout_date, workout_id, position LIMIT $2";
        match after {
            None => {
                let sql = format!("SELECT {COLUMNS} FROM sets WHERE user_id = $1 {ORDER}");
                sqlx::query_as(&sql)
                    .bind(user_id)
                    .bind(PAGE_ROWS)
                    .fetch_all(conn)
                    .await
            }
            Some((exercise, date, workout, position)) => {
                let sql = format!(
                    "SELECT {COLUMNS} FROM sets WHERE user_id = $1 AND exercise_id >= $3 AND \
                     (exercise_id > $3 OR (workout_date > $4 OR (workout_date = $4 AND \
                     (workout_id > $5 OR (workout_id = $5 AND position > $6))))) {ORDER}"
                );
                sqlx::query_as(&sql)
                    .bind(user_id)
                    .bind(PAGE_ROWS)
                    .bind(exercise)
                    .bind(date)
                    .bind(workout)
                    .bind(*position)
                    .fetch_all(conn)
                    .await
            }
        }
    }

    fn key(row: &SetOut) -> Self::Key {
        (
            row.exercise_id.clone(),
            row.workout_date.clone(),
            row.workout_id.clone(),
            row.position,
        )
    }
}

/// An entry (a workout's exercise, in order), as exported.
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct EntryOut {
    workout_id: String,
    exercise_id: String,
    position: i32,
    superset: i32,
    notes: String,
}

/// `workout_exercises` with their order, superset and notes, in key order.
pub struct Entries;

impl Section for Entries {
    const NAME: &'static str = "entries";
    type Row = EntryOut;
    type Key = (String, String);
    type Out = EntryOut;

    async fn page<'a>(
        conn: &'a mut AnyConnection,
        user_id: &'a str,
        after: Option<&'a Self::Key>,
    ) -> sqlx::Result<Vec<EntryOut>> {
        const SELECT: &str = "SELECT workout_id, exercise_id, position, superset, notes \
             FROM workout_exercises WHERE user_id = $1";
        const ORDER: &str = "ORDER BY workout_id, exercise_id LIMIT $2";
        match after {
            None => {
                sqlx::query_as(&format!("{SELECT} {ORDER}"))
                    .bind(user_id)
                    .bind(PAGE_ROWS)
                    .fetch_all(conn)
                    .await
            }
            Some((workout, exercise)) => {
                let sql = format!(
                    "{SELECT} AND (workout_id > $3 OR (workout_id = $3 AND exercise_id > $4)) \
                     {ORDER}"
                );
                sqlx::query_as(&sql)
                    .bind(user_id)
                    .bind(PAGE_ROWS)
                    .bind(workout)
                    .bind(exercise)
                    .fetch_all(conn)
                    .await
            }
        }
    }

    fn key(row: &EntryOut) -> Self::Key {
        (row.workout_id.clone(), row.exercise_id.clone())
    }
}

/// A stored custom catalogue entry.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CatalogueRow {
    id: String,
    name: String,
    name_key: String,
    category: String,
    primary_muscles: String,
    secondary_muscles: String,
    equipment: String,
    tracking_mode: String,
    created_at: i64,
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

impl From<CatalogueRow> for CatalogueOut {
    fn from(r: CatalogueRow) -> Self {
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

/// `catalogue_entries`, by lowercased name (unique per user).
pub struct Catalogue;

impl Section for Catalogue {
    const NAME: &'static str = "catalogue_entries";
    type Row = CatalogueRow;
    type Key = String;
    type Out = CatalogueOut;

    async fn page<'a>(
        conn: &'a mut AnyConnection,
        user_id: &'a str,
        after: Option<&'a String>,
    ) -> sqlx::Result<Vec<CatalogueRow>> {
        const SELECT: &str = "SELECT id, name, name_key, category, primary_muscles, \
             secondary_muscles, equipment, tracking_mode, created_at \
             FROM catalogue_entries WHERE user_id = $1";
        let sql = match after {
            None => format!("{SELECT} ORDER BY name_key LIMIT $2"),
            Some(_) => format!("{SELECT} AND name_key > $3 ORDER BY name_key LIMIT $2"),
        };
        let mut query = sqlx::query_as(&sql).bind(user_id).bind(PAGE_ROWS);
        if let Some(key) = after {
            query = query.bind(key);
        }
        query.fetch_all(conn).await
    }

    fn key(row: &CatalogueRow) -> String {
        row.name_key.clone()
    }
}

/// A stored personal record.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RecordRow {
    exercise_id: String,
    kind: String,
    value: i64,
    set_id: String,
    workout_id: String,
    workout_date: String,
    updated_at: i64,
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

impl From<RecordRow> for RecordOut {
    fn from(r: RecordRow) -> Self {
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

/// `personal_records`, in key order.
pub struct Records;

impl Section for Records {
    const NAME: &'static str = "personal_records";
    type Row = RecordRow;
    type Key = (String, String);
    type Out = RecordOut;

    async fn page<'a>(
        conn: &'a mut AnyConnection,
        user_id: &'a str,
        after: Option<&'a Self::Key>,
    ) -> sqlx::Result<Vec<RecordRow>> {
        const SELECT: &str = "SELECT exercise_id, kind, value, set_id, workout_id, \
             workout_date, updated_at FROM personal_records WHERE user_id = $1";
        const ORDER: &str = "ORDER BY exercise_id, kind LIMIT $2";
        match after {
            None => {
                sqlx::query_as(&format!("{SELECT} {ORDER}"))
                    .bind(user_id)
                    .bind(PAGE_ROWS)
                    .fetch_all(conn)
                    .await
            }
            Some((exercise, kind)) => {
                let sql = format!(
                    "{SELECT} AND (exercise_id > $3 OR (exercise_id = $3 AND kind > $4)) {ORDER}"
                );
                sqlx::query_as(&sql)
                    .bind(user_id)
                    .bind(PAGE_ROWS)
                    .bind(exercise)
                    .bind(kind)
                    .fetch_all(conn)
                    .await
            }
        }
    }

    fn key(row: &RecordRow) -> Self::Key {
        (row.exercise_id.clone(), row.kind.clone())
    }
}

/// A week's sums, as stored and exported.
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct WeekOut {
    week_start: String,
    workouts: i64,
    sets: i64,
    reps: i64,
    volume_g: i64,
    distance_mm: i64,
    set_seconds: i64,
}

/// `weekly_summaries`, oldest week first.
pub struct Weeks;

impl Section for Weeks {
    const NAME: &'static str = "weekly_summaries";
    type Row = WeekOut;
    type Key = String;
    type Out = WeekOut;

    async fn page<'a>(
        conn: &'a mut AnyConnection,
        user_id: &'a str,
        after: Option<&'a String>,
    ) -> sqlx::Result<Vec<WeekOut>> {
        const SELECT: &str = "SELECT week_start, workouts, sets, reps, volume_g, distance_mm, \
             set_seconds FROM weekly_summaries WHERE user_id = $1";
        let sql = match after {
            None => format!("{SELECT} ORDER BY week_start LIMIT $2"),
            Some(_) => format!("{SELECT} AND week_start > $3 ORDER BY week_start LIMIT $2"),
        };
        let mut query = sqlx::query_as(&sql).bind(user_id).bind(PAGE_ROWS);
        if let Some(week) = after {
            query = query.bind(week);
        }
        query.fetch_all(conn).await
    }

    fn key(row: &WeekOut) -> String {
        row.week_start.clone()
    }
}
