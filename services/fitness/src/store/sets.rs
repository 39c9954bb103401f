//! `sets`: the sets of a workout's entries, in order, with their integer units (grams,
//! millimetres, seconds, RPE × 2). Each row carries its workout's date, so history and
//! records read one index.

use sqlx::AnyConnection;

use shared::sql::placeholders;

use super::history::set_columns;

use crate::domain::training::Sums;

/// A set's contribution to volume, in SQL over `sets s JOIN exercises e`: weight_g × reps for
/// the tracking modes that count volume (see `TrackingMode::counts_volume`), else 0.
pub const VOLUME: &str = "CASE WHEN e.tracking_mode IN ('WEIGHT_REPS', 'BODYWEIGHT') \
     THEN COALESCE(s.weight_g, 0) * COALESCE(s.reps, 0) ELSE 0 END";

/// A stored set.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct SetRow {
    /// UUIDv7.
    pub id: String,
    /// The workout of its entry.
    pub workout_id: String,
    /// The exercise of its entry.
    pub exercise_id: String,
    /// The workout's date, `YYYY-MM-DD`.
    pub workout_date: String,
    /// Position within its entry, from 0.
    pub position: i32,
    /// Stored `SetType` name.
    pub set_type: String,
    /// Repetitions.
    pub reps: Option<i32>,
    /// The weight as entered, in thousandths of `weight_unit`.
    pub weight_milli: Option<i64>,
    /// Stored `WeightUnit` name.
    pub weight_unit: String,
    /// The weight in grams.
    pub weight_g: Option<i64>,
    /// Distance in millimetres.
    pub distance_mm: Option<i64>,
    /// Duration in seconds.
    pub duration_s: Option<i32>,
    /// RPE × 2.
    pub rpe_half: Option<i32>,
    /// Reps in reserve.
    pub rir: Option<i32>,
    /// Rest after the set, in seconds.
    pub rest_s: Option<i32>,
    /// Free text.
    pub notes: String,
}

/// The selected columns, in `SetRow` order.
macro_rules! columns {
    () => {
        "id, workout_id, exercise_id, workout_date, position, set_type, reps, weight_milli, \
         weight_unit, weight_g, distance_mm, duration_s, rpe_half, rir, rest_s, notes"
    };
}

/// Columns written per inserted set (with `user_id`).
const INSERTED_COLUMNS: usize = 17;
/// Most bound values in one statement: below SQLite's limit (32,766 since 3.32; the bundled
/// SQLite is newer) and PostgreSQL's (65,535). The largest replace (1,000 sets, 16,001 values)
/// is one statement, so writing a workout takes as many statements whatever its size.
const MAX_BINDS: usize = 32_000;

/// Every set of one of the user's workouts, by exercise and position: one query.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn of_workout(
    conn: &mut AnyConnection,
    user_id: &str,
    workout_id: &str,
) -> sqlx::Result<Vec<SetRow>> {
    sqlx::query_as(concat!(
        "SELECT ",
        columns!(),
        " FROM sets WHERE workout_id = $1 AND user_id = $2 ORDER BY exercise_id, position"
    ))
    .bind(workout_id)
    .bind(user_id)
    .fetch_all(conn)
    .await
}

/// `(id, exercise_id)` of every set of one of the user's workouts.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn ids_of_workout(
    conn: &mut AnyConnection,
    user_id: &str,
    workout_id: &str,
) -> sqlx::Result<Vec<(String, String)>> {
    sqlx::query_as("SELECT id, exercise_id FROM sets WHERE workout_id = $1 AND user_id = $2")
        .bind(workout_id)
        .bind(user_id)
        .fetch_all(conn)
        .await
}

/// The exercises with sets in one of the user's workouts.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn exercises_of_workout(
    conn: &mut AnyConnection,
    user_id: &str,
    workout_id: &str,
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT DISTINCT exercise_id FROM sets WHERE workout_id = $1 AND user_id = $2 \
         ORDER BY exercise_id",
    )
    .bind(workout_id)
    .bind(user_id)
    .fetch_all(conn)
    .await
}

/// Sums of one workout's sets, as a row of `by_workout`.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct WorkoutSums {
    /// The workout.
    pub workout_id: String,
    /// Its date, `YYYY-MM-DD`.
    pub workout_date: String,
    /// Number of sets.
    pub sets: i64,
    /// Sum of reps.
    pub reps: i64,
    /// Sum of volume in grams.
    pub volume_g: i64,
    /// Sum of distances in millimetres.
    pub distance_mm: i64,
    /// Sum of durations in seconds.
    pub set_seconds: i64,
}

impl WorkoutSums {
    /// The sums, without the workout.
    pub fn sums(&self) -> Sums {
        Sums {
            workouts: 0,
            sets: self.sets,
            reps: self.reps,
            volume_g: self.volume_g,
            distance_mm: self.distance_mm,
            set_seconds: self.set_seconds,
        }
    }
}

/// Sums of one of the user's exercise's sets per workout, in the workouts `workout_ids` (all
/// of them when `None`): what unlinking or deleting the exercise takes away.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn sums_of_exercise(
    conn: &mut AnyConnection,
    user_id: &str,
    exercise_id: &str,
    workout_ids: Option<&[String]>,
) -> sqlx::Result<Vec<WorkoutSums>> {
    let within = match workout_ids {
        None => String::new(),
        Some([]) => return Ok(Vec::new()),
        Some(ids) => format!("AND s.workout_id IN ({})", placeholders(3, ids.len())),
    };
    let sql = format!(
        "SELECT s.workout_id, s.workout_date, COUNT(*) AS sets, \
         CAST(COALESCE(SUM(s.reps), 0) AS BIGINT) AS reps, \
         CAST(COALESCE(SUM({VOLUME}), 0) AS BIGINT) AS volume_g, \
         CAST(COALESCE(SUM(s.distance_mm), 0) AS BIGINT) AS distance_mm, \
         CAST(COALESCE(SUM(s.duration_s), 0) AS BIGINT) AS set_seconds \
         FROM sets s JOIN exercises e ON e.id = s.exercise_id \
         WHERE s.user_id = $1 AND s.exercise_id = $2 {within} \
         GROUP BY s.workout_id, s.workout_date ORDER BY s.workout_id"
    );
    let mut query = sqlx::query_as(&sql).bind(user_id).bind(exercise_id);
    for id in workout_ids.unwrap_or_default() {
        query = query.bind(id);
    }
    query.fetch_all(conn).await
}

/// True when one of the user's exercises has at least one set.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn exercise_has_sets(
    conn: &mut AnyConnection,
    user_id: &str,
    exercise_id: &str,
) -> sqlx::Result<bool> {
    let found: Option<String> =
        sqlx::query_scalar("SELECT id FROM sets WHERE user_id = $1 AND exercise_id = $2 LIMIT 1")
            .bind(user_id)
            .bind(exercise_id)
            .fetch_optional(conn)
            .await?;
    Ok(found.is_some())
}

/// Deletes every set of one of the user's workouts.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn delete_of_workout(
    conn: &mut AnyConnection,
    user_id: &str,
    workout_id: &str,
) -> sqlx::Result<u64> {
    let done = sqlx::query("DELETE FROM sets WHERE workout_id = $1 AND user_id = $2")
        .bind(workout_id)
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}

/// Moves every set of one of the user's workouts to the workout's new date.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn set_date(
    conn: &mut AnyConnection,
    user_id: &str,
    workout_id: &str,
    date: &str,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE sets SET workout_date = $3 WHERE workout_id = $1 AND user_id = $2")
        .bind(workout_id)
        .bind(user_id)
        .bind(date)
        .execute(conn)
        .await?;
    Ok(())
}

/// Inserts `rows` (all the user's), in multi-row statements of at most [`MAX_BINDS`] bound
/// values.
#[tracing::instrument(level = "debug", skip_all, fields(sets = rows.len()))]
pub async fn insert(conn: &mut AnyConnection, user_id: &str, rows: &[SetRow]) -> sqlx::Result<()> {
    for chunk in rows.chunks(MAX_BINDS / INSERTED_COLUMNS) {
        let values = (0..chunk.len())
            .map(|i| format!("({})", placeholders(2 + i * (INSERTED_COLUMNS - 1), 16)))
            .map(|row| row.replacen('(', "($1, ", 1))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!("INSERT INTO sets (user_id, {}) VALUES {values}", columns!());
        let mut query = sqlx::query(&sql).bind(user_id);
        for s in chunk {
            query = query
                .bind(&s.id)
                .bind(&s.workout_id)
                .bind(&s.exercise_id)
                .bind(&s.workout_date)
                .bind(s.position)
                .bind(&s.set_type)
                .bind(s.reps)
                .bind(s.weight_milli)
                .bind(&s.weight_unit)
                .bind(s.weight_g)
                .bind(s.distance_mm)
                .bind(s.duration_s)
                .bind(s.rpe_half)
                .bind(s.rir)
                .bind(s.rest_s)
                .bind(&s.notes);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Deletes every set of the user; how many.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn delete_all(conn: &mut AnyConnection, user_id: &str) -> sqlx::Result<u64> {
    let done = sqlx::query("DELETE FROM sets WHERE user_id = $1")
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}

/// Keyset position in the user's sets: `(exercise_id, workout_date, workout_id, position)` of
/// the last set served.
pub type SetAfter = (String, String, String, i32);

/// One page of the user's sets along `sets_history_idx` (by exercise, date, workout,
/// position), strictly after `after`: one query, costing its rows.
#[tracing::instrument(level = "debug", skip_all, fields(limit))]
pub async fn page(
    conn: &mut AnyConnection,
    user_id: &str,
    after: Option<&SetAfter>,
    limit: i64,
) -> sqlx::Result<Vec<SetRow>> {
    const ORDER: &str = "ORDER BY exercise_id, workout_date, workout_id, position LIMIT $2";
    let sql = match after {
        None => format!("SELECT {} FROM sets WHERE user_id = $1 {ORDER}", columns!()),
        // `exercise_id >= $3` alone starts the index range at the position; the rest orders
        // within it.
        Some(_) => format!(
            "SELECT {} FROM sets WHERE user_id = $1 AND exercise_id >= $3 AND \
             (exercise_id > $3 OR (workout_date > $4 OR (workout_date = $4 AND \
             (workout_id > $5 OR (workout_id = $5 AND position > $6))))) {ORDER}",
            columns!()
        ),
    };
    let mut query = sqlx::query_as(&sql).bind(user_id).bind(limit);
    if let Some((exercise_id, date, workout_id, position)) = after {
        query = query
            .bind(exercise_id.as_str())
            .bind(date.as_str())
            .bind(workout_id.as_str())
            .bind(*position);
    }
    query.fetch_all(conn).await
}

/// A set with its exercise and entry, as a line of a workout.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SetLine {
    /// The exercise's name.
    pub exercise_name: String,
    /// The exercise's catalogue entry, if any.
    pub catalogue_entry_id: Option<String>,
    /// The entry's position within the workout, from 0.
    pub entry_position: i32,
    /// The entry's superset group, 0 for none.
    pub superset: i32,
    /// The set.
    #[sqlx(flatten)]
    pub set: SetRow,
}

/// The sets of the user's workouts `ids` with their exercises and entries, by workout, entry
/// and set order: one query.
#[tracing::instrument(level = "debug", skip_all, fields(workouts = ids.len()))]
pub async fn lines_of_workouts(
    conn: &mut AnyConnection,
    user_id: &str,
    ids: &[String],
) -> sqlx::Result<Vec<SetLine>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT e.name AS exercise_name, e.catalogue_entry_id, we.position AS entry_position, \
         we.superset, {} \
         FROM sets s \
         JOIN workout_exercises we ON we.workout_id = s.workout_id AND we.exercise_id = s.exercise_id \
         JOIN exercises e ON e.id = s.exercise_id \
         WHERE s.user_id = $1 AND s.workout_id IN ({}) \
         ORDER BY s.workout_id, we.position, s.position",
        set_columns!(),
        placeholders(2, ids.len())
    );
    let mut query = sqlx::query_as(&sql).bind(user_id);
    for id in ids {
        query = query.bind(id);
    }
    query.fetch_all(conn).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::training::TrackingMode;

    #[test]
    fn the_volume_expression_names_exactly_the_modes_that_count_volume() {
        for mode in TrackingMode::ALL {
            let named = VOLUME.contains(&format!("'{}'", mode.db_name()));
            assert_eq!(named, mode.counts_volume(), "{mode:?}");
        }
    }
}
