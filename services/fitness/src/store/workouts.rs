//! `workouts`: one row per workout, with its derived exercise counters.

use sqlx::AnyConnection;

use shared::sql::placeholders;

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
    /// Microseconds since the epoch.
    pub updated_at: i64,
}

/// The selected columns, in `WorkoutRow` order.
macro_rules! columns {
    () => {
        "id, title, workout_date, notes, workout_type, CAST(exercise_count AS BIGINT) AS exercise_count, \
         total_duration_minutes, created_at, updated_at"
    };
}

/// Inserts a new workout (counters start at zero).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn insert(conn: &mut AnyConnection, user_id: &str, w: &WorkoutRow) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO workouts (id, user_id, title, workout_date, notes, workout_type, \
         exercise_count, total_duration_minutes, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 0, 0, $7, $8)",
    )
    .bind(&w.id)
    .bind(user_id)
    .bind(&w.title)
    .bind(&w.workout_date)
    .bind(&w.notes)
    .bind(&w.workout_type)
    .bind(w.created_at)
    .bind(w.updated_at)
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

/// Writes the editable fields and `updated_at`; `None` when the workout is not the user's.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn update(
    conn: &mut AnyConnection,
    user_id: &str,
    w: &WorkoutRow,
) -> sqlx::Result<Option<WorkoutRow>> {
    sqlx::query_as(concat!(
        "UPDATE workouts SET title = $3, workout_date = $4, notes = $5, workout_type = $6, \
         updated_at = $7 WHERE user_id = $1 AND id = $2 RETURNING ",
        columns!()
    ))
    .bind(user_id)
    .bind(&w.id)
    .bind(&w.title)
    .bind(&w.workout_date)
    .bind(&w.notes)
    .bind(&w.workout_type)
    .bind(w.updated_at)
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

/// Adds `count` to `exercise_count` and `minutes` to `total_duration_minutes` of each of the
/// user's workouts in `ids`, returning how many rows matched (fewer than `ids.len()` means
/// some id is missing or someone else's). Relative updates stay correct under concurrency.
#[tracing::instrument(level = "debug", skip_all, fields(workouts = ids.len()))]
pub async fn adjust_counters(
    conn: &mut AnyConnection,
    user_id: &str,
    ids: &[String],
    count: i64,
    minutes: i64,
) -> sqlx::Result<u64> {
    if ids.is_empty() {
        return Ok(0);
    }
    let sql = format!(
        "UPDATE workouts SET exercise_count = exercise_count + $2, \
         total_duration_minutes = total_duration_minutes + $3 \
         WHERE user_id = $1 AND id IN ({})",
        placeholders(4, ids.len())
    );
    let mut query = sqlx::query(&sql).bind(user_id).bind(count).bind(minutes);
    for id in ids {
        query = query.bind(id);
    }
    Ok(query.execute(conn).await?.rows_affected())
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
