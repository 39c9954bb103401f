//! `workouts`: one row per workout, with its derived exercise counters.

use std::collections::HashSet;

use sqlx::AnyConnection;

use shared::sql::placeholders;

use crate::domain::training::Sums;

/// A stored workout.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct WorkoutRow {
    /// UUIDv7.
    pub id: String,
    /// Title, validated.
    pub title: String,
    /// `YYYY-MM-DD`.
    pub workout_date: String,
    /// Free text.
    pub notes: String,
    /// Upper-case type name, e.g. `STRENGTH`.
    pub workout_type: String,
    /// Number of linked exercises.
    pub exercise_count: i64,
    /// Sum of the linked exercises' durations.
    pub total_duration_minutes: i64,
    /// Microseconds since the epoch.
    pub created_at: i64,
    /// Microseconds since the epoch; every write to the workout or its entries moves it
    /// forward, so its decimal text is the workout's etag.
    pub updated_at: i64,
    /// When it began (microseconds since the epoch), if known.
    #[serde(default)]
    pub started_at: Option<i64>,
    /// When it ended (microseconds since the epoch), if known.
    #[serde(default)]
    pub ended_at: Option<i64>,
    /// IANA time zone it took place in.
    #[serde(default = "utc")]
    pub time_zone: String,
    /// Number of sets over its entries.
    #[serde(default)]
    pub set_count: i64,
    /// Sum of reps over its sets.
    #[serde(default)]
    pub total_reps: i64,
    /// Sum of weight_g × reps over its sets, assisted sets excluded.
    #[serde(default)]
    pub volume_g: i64,
    /// Sum of distances over its sets, in millimetres.
    #[serde(default)]
    pub distance_mm: i64,
    /// Sum of durations over its sets, in seconds.
    #[serde(default)]
    pub set_seconds: i64,
    /// Key of the import that created it, if one did.
    #[serde(default)]
    pub import_key: Option<String>,
}

/// The zone of workouts stored before zones were: UTC.
fn utc() -> String {
    "UTC".to_owned()
}

/// The selected columns, in `WorkoutRow` order.
macro_rules! columns {
    () => {
        "id, title, workout_date, notes, workout_type, CAST(exercise_count AS BIGINT) AS exercise_count, \
         total_duration_minutes, created_at, updated_at, started_at, ended_at, time_zone, \
         set_count, total_reps, volume_g, distance_mm, set_seconds, import_key"
    };
}

/// Inserts a new workout (counters start at zero).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn insert(conn: &mut AnyConnection, user_id: &str, w: &WorkoutRow) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO workouts (id, user_id, title, workout_date, notes, workout_type, \
         exercise_count, total_duration_minutes, created_at, updated_at, started_at, ended_at, \
         time_zone, import_key) VALUES ($1, $2, $3, $4, $5, $6, 0, 0, $7, $8, $9, $10, $11, $12)",
    )
    .bind(&w.id)
    .bind(user_id)
    .bind(&w.title)
    .bind(&w.workout_date)
    .bind(&w.notes)
    .bind(&w.workout_type)
    .bind(w.created_at)
    .bind(w.updated_at)
    .bind(w.started_at)
    .bind(w.ended_at)
    .bind(&w.time_zone)
    .bind(w.import_key.as_deref())
    .execute(conn)
    .await?;
    Ok(())
}

/// One of the user's workouts.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn get(
    conn: &mut AnyConnection,
    user_id: &str,
    id: &str,
) -> sqlx::Result<Option<WorkoutRow>> {
    sqlx::query_as(concat!(
        "SELECT ",
        columns!(),
        " FROM workouts WHERE user_id = $1 AND id = $2"
    ))
    .bind(user_id)
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Writes the editable fields (times and zone included) and `updated_at`; `None` when the
/// workout is not the user's.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn update(
    conn: &mut AnyConnection,
    user_id: &str,
    w: &WorkoutRow,
) -> sqlx::Result<Option<WorkoutRow>> {
    sqlx::query_as(concat!(
        "UPDATE workouts SET title = $3, workout_date = $4, notes = $5, workout_type = $6, \
         updated_at = $7, started_at = $8, ended_at = $9, time_zone = $10 \
         WHERE user_id = $1 AND id = $2 RETURNING ",
        columns!()
    ))
    .bind(user_id)
    .bind(&w.id)
    .bind(&w.title)
    .bind(&w.workout_date)
    .bind(&w.notes)
    .bind(&w.workout_type)
    .bind(w.updated_at)
    .bind(w.started_at)
    .bind(w.ended_at)
    .bind(&w.time_zone)
    .fetch_optional(conn)
    .await
}

/// Deletes one of the user's workouts (its links cascade); false when there was none.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn delete(conn: &mut AnyConnection, user_id: &str, id: &str) -> sqlx::Result<bool> {
    let done = sqlx::query("DELETE FROM workouts WHERE user_id = $1 AND id = $2")
        .bind(user_id)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Deletes every workout of the user (their links cascade); how many.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn delete_all(conn: &mut AnyConnection, user_id: &str) -> sqlx::Result<u64> {
    let done = sqlx::query("DELETE FROM workouts WHERE user_id = $1")
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}

/// The next `updated_at` of a row last written at `updated_at`, written at `now`: `now`, or
/// one microsecond later than before when the clock has not moved past it, so that every
/// write changes the etag.
pub const BUMP: &str = "CASE WHEN updated_at >= $NOW THEN updated_at + 1 ELSE $NOW END";

/// Adds `count` to `exercise_count` and `minutes` to `total_duration_minutes` of each of the
/// user's workouts in `ids` (a change of their entries: `updated_at` moves to `now`),
/// returning how many rows matched (fewer than `ids.len()` means some id is missing or
/// someone else's). Relative updates stay correct under concurrency.
#[tracing::instrument(level = "debug", skip_all, fields(workouts = ids.len()))]
pub async fn adjust_counters(
    conn: &mut AnyConnection,
    user_id: &str,
    ids: &[String],
    (count, minutes): (i64, i64),
    now: i64,
) -> sqlx::Result<u64> {
    if ids.is_empty() {
        return Ok(0);
    }
    let sql = format!(
        "UPDATE workouts SET exercise_count = exercise_count + $2, \
         total_duration_minutes = total_duration_minutes + $3, updated_at = {} \
         WHERE user_id = $1 AND id IN ({})",
        BUMP.replace("$NOW", "$4"),
        placeholders(5, ids.len())
    );
    let mut query = sqlx::query(&sql)
        .bind(user_id)
        .bind(count)
        .bind(minutes)
        .bind(now);
    for id in ids {
        query = query.bind(id);
    }
    Ok(query.execute(conn).await?.rows_affected())
}

/// Recounts the set sums (`set_count`, `total_reps`, `volume_g`, `distance_mm`,
/// `set_seconds`) of each of the user's workouts in `ids` from their sets, after some of
/// their sets were removed; O(sets of those workouts), one statement.
#[tracing::instrument(level = "debug", skip_all, fields(workouts = ids.len()))]
pub async fn recount_sets(
    conn: &mut AnyConnection,
    user_id: &str,
    ids: &[String],
) -> sqlx::Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "UPDATE workouts SET \
         set_count = (SELECT COUNT(*) FROM sets s WHERE s.workout_id = workouts.id), \
         total_reps = (SELECT CAST(COALESCE(SUM(s.reps), 0) AS BIGINT) FROM sets s \
            WHERE s.workout_id = workouts.id), \
         volume_g = (SELECT CAST(COALESCE(SUM({}), 0) AS BIGINT) FROM sets s \
            JOIN exercises e ON e.id = s.exercise_id WHERE s.workout_id = workouts.id), \
         distance_mm = (SELECT CAST(COALESCE(SUM(s.distance_mm), 0) AS BIGINT) FROM sets s \
            WHERE s.workout_id = workouts.id), \
         set_seconds = (SELECT CAST(COALESCE(SUM(s.duration_s), 0) AS BIGINT) FROM sets s \
            WHERE s.workout_id = workouts.id) \
         WHERE user_id = $1 AND id IN ({})",
        super::sets::VOLUME,
        placeholders(2, ids.len())
    );
    let mut query = sqlx::query(&sql).bind(user_id);
    for id in ids {
        query = query.bind(id);
    }
    query.execute(conn).await?;
    Ok(())
}

/// After a replace of the workout's entries: writes its set sums (`sums`, of its new sets),
/// recounts `exercise_count` and `total_duration_minutes` from its links and moves
/// `updated_at` to `updated_at`; the workout as it now is.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn set_entry_totals(
    conn: &mut AnyConnection,
    user_id: &str,
    id: &str,
    sums: &Sums,
    updated_at: i64,
) -> sqlx::Result<Option<WorkoutRow>> {
    sqlx::query_as(concat!(
        "UPDATE workouts SET \
         exercise_count = (SELECT COUNT(*) FROM workout_exercises l WHERE l.workout_id = $2), \
         total_duration_minutes = (SELECT CAST(COALESCE(SUM(e.duration_minutes), 0) AS BIGINT) \
            FROM workout_exercises l JOIN exercises e ON e.id = l.exercise_id \
            WHERE l.workout_id = $2), \
         set_count = $3, total_reps = $4, volume_g = $5, distance_mm = $6, set_seconds = $7, \
         updated_at = $8 WHERE user_id = $1 AND id = $2 RETURNING ",
        columns!()
    ))
    .bind(user_id)
    .bind(id)
    .bind(sums.sets)
    .bind(sums.reps)
    .bind(sums.volume_g)
    .bind(sums.distance_mm)
    .bind(sums.set_seconds)
    .bind(updated_at)
    .fetch_optional(conn)
    .await
}

/// Sort order of a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// `workout_date DESC, id DESC`.
    DateDesc,
    /// `created_at DESC, id DESC`.
    CreatedDesc,
}

/// Filters of a listing; `None` means "no constraint".
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Exact type name.
    pub workout_type: Option<String>,
    /// Inclusive lower date bound.
    pub date_from: Option<String>,
    /// Inclusive upper date bound.
    pub date_to: Option<String>,
    /// Already a `LIKE` pattern (see `Search::pattern`).
    pub title_like: Option<String>,
}

/// Keyset position: the sort key and id of the last row served.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum After {
    /// For `Order::DateDesc`.
    Date(String, String),
    /// For `Order::CreatedDesc`.
    Created(i64, String),
}

/// One page of the user's workouts: at most `limit` rows strictly after `after`.
#[tracing::instrument(level = "debug", skip_all, fields(limit))]
pub async fn list(
    conn: &mut AnyConnection,
    user_id: &str,
    filter: &Filter,
    order: Order,
    after: Option<&After>,
    limit: i64,
) -> sqlx::Result<Vec<WorkoutRow>> {
    // Fixed variants, so each has a plan that walks its index in order and stops at `limit`.
    const WHERE: &str = "user_id = $1 AND ($2 IS NULL OR workout_type = $2) \
         AND ($3 IS NULL OR workout_date >= $3) AND ($4 IS NULL OR workout_date <= $4) \
         AND ($5 IS NULL OR lower(title) LIKE lower($5) ESCAPE '\\')";
    let sql = match (order, after) {
        (Order::DateDesc, None) => format!(
            "SELECT {} FROM workouts WHERE {WHERE} \
             ORDER BY workout_date DESC, id DESC LIMIT $6",
            columns!()
        ),
        (Order::DateDesc, Some(_)) => format!(
            "SELECT {} FROM workouts WHERE {WHERE} \
             AND (workout_date < $7 OR (workout_date = $7 AND id < $8)) \
             ORDER BY workout_date DESC, id DESC LIMIT $6",
            columns!()
        ),
        (Order::CreatedDesc, None) => format!(
            "SELECT {} FROM workouts WHERE {WHERE} \
             ORDER BY created_at DESC, id DESC LIMIT $6",
            columns!()
        ),
        (Order::CreatedDesc, Some(_)) => format!(
            "SELECT {} FROM workouts WHERE {WHERE} \
             AND (created_at < $7 OR (created_at = $7 AND id < $8)) \
             ORDER BY created_at DESC, id DESC LIMIT $6",
            columns!()
        ),
    };
    let mut query = sqlx::query_as(&sql)
        .bind(user_id)
        .bind(filter.workout_type.as_deref())
        .bind(filter.date_from.as_deref())
        .bind(filter.date_to.as_deref())
        .bind(filter.title_like.as_deref())
        .bind(limit);
    match after {
        None => {}
        Some(After::Date(date, id)) => query = query.bind(date.as_str()).bind(id.as_str()),
        Some(After::Created(at, id)) => query = query.bind(*at).bind(id.as_str()),
    }
    query.fetch_all(conn).await
}

/// Most import keys bound in one statement (SQLite allows 999 binds).
const KEYS_PER_QUERY: usize = 900;

/// The keys among `keys` of the user's workouts: one query per 900 keys.
#[tracing::instrument(level = "debug", skip_all, fields(keys = keys.len()))]
pub async fn taken_import_keys(
    conn: &mut AnyConnection,
    user_id: &str,
    keys: &[String],
) -> sqlx::Result<HashSet<String>> {
    let mut taken = HashSet::new();
    for batch in keys.chunks(KEYS_PER_QUERY) {
        let sql = format!(
            "SELECT import_key FROM workouts WHERE user_id = $1 AND import_key IN ({})",
            placeholders(2, batch.len())
        );
        let mut query = sqlx::query_scalar::<_, String>(&sql).bind(user_id);
        for key in batch {
            query = query.bind(key);
        }
        taken.extend(query.fetch_all(&mut *conn).await?);
    }
    Ok(taken)
}
