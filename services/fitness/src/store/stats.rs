//! `stats`: one row per user, created on first need, kept equal to the counts and sums of the
//! user's rows by every write transaction.

use sqlx::AnyConnection;

use crate::domain::training::Sums;

/// A user's stored statistics.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct StatRow {
    /// The token `sub`.
    pub user_id: String,
    /// Number of workouts.
    pub total_workouts: i64,
    /// Number of exercises.
    pub total_exercises: i64,
    /// Sum of exercise durations.
    pub total_duration_minutes: i64,
    /// 0–100, set by staff.
    pub evaluation: Option<i32>,
    /// Microseconds since the epoch.
    pub updated_at: i64,
    /// Number of sets.
    pub total_sets: i64,
    /// Sum of reps.
    pub total_reps: i64,
    /// Sum of weight_g × reps, assisted sets excluded.
    pub total_volume_g: i64,
    /// Sum of distances in millimetres.
    pub total_distance_mm: i64,
    /// Sum of set durations in seconds.
    pub total_set_seconds: i64,
}

macro_rules! columns {
    () => {
        "user_id, total_workouts, total_exercises, total_duration_minutes, evaluation, updated_at, \
         total_sets, total_reps, total_volume_g, total_distance_mm, total_set_seconds"
    };
}

/// Creates the user's row if missing and locks it until the transaction ends.
///
/// Every write transaction of a user starts here, so a user's writes are serialised on this
/// row (on PostgreSQL; SQLite has one writer anyway): counters and links are then read and
/// adjusted without lost updates or lock-order deadlocks.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn lock(conn: &mut AnyConnection, user_id: &str, now: i64) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO stats (user_id, total_workouts, total_exercises, total_duration_minutes, \
         updated_at) VALUES ($1, 0, 0, 0, $2) \
         ON CONFLICT (user_id) DO UPDATE SET user_id = excluded.user_id",
    )
    .bind(user_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Creates the user's row if missing, leaving an existing one untouched.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn ensure(conn: &mut AnyConnection, user_id: &str, now: i64) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO stats (user_id, total_workouts, total_exercises, total_duration_minutes, \
         updated_at) VALUES ($1, 0, 0, 0, $2) ON CONFLICT (user_id) DO NOTHING",
    )
    .bind(user_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Adds the deltas to the user's totals (the row exists: see [`lock`]).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn add(
    conn: &mut AnyConnection,
    user_id: &str,
    delta: Delta,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE stats SET total_workouts = total_workouts + $2, \
         total_exercises = total_exercises + $3, \
         total_duration_minutes = total_duration_minutes + $4, updated_at = $5 \
         WHERE user_id = $1",
    )
    .bind(user_id)
    .bind(delta.workouts)
    .bind(delta.exercises)
    .bind(delta.minutes)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Adds set sums to the user's totals of sets (`sums.workouts` is not counted here: see
/// [`add`]); the row exists (see [`lock`]).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn add_sets(
    conn: &mut AnyConnection,
    user_id: &str,
    sums: &Sums,
    now: i64,
) -> sqlx::Result<()> {
    if (Sums {
        workouts: 0,
        ..*sums
    })
    .is_zero()
    {
        return Ok(());
    }
    sqlx::query(
        "UPDATE stats SET total_sets = total_sets + $2, total_reps = total_reps + $3, \
         total_volume_g = total_volume_g + $4, total_distance_mm = total_distance_mm + $5, \
         total_set_seconds = total_set_seconds + $6, updated_at = $7 WHERE user_id = $1",
    )
    .bind(user_id)
    .bind(sums.sets)
    .bind(sums.reps)
    .bind(sums.volume_g)
    .bind(sums.distance_mm)
    .bind(sums.set_seconds)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// A change to a user's totals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delta {
    /// Change of `total_workouts`.
    pub workouts: i64,
    /// Change of `total_exercises`.
    pub exercises: i64,
    /// Change of `total_duration_minutes`.
    pub minutes: i64,
}

/// The user's row, if any.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn get(conn: &mut AnyConnection, user_id: &str) -> sqlx::Result<Option<StatRow>> {
    sqlx::query_as(concat!(
        "SELECT ",
        columns!(),
        " FROM stats WHERE user_id = $1"
    ))
    .bind(user_id)
    .fetch_optional(conn)
    .await
}

/// Sums over every user's row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct Totals {
    /// Sum of `total_workouts`.
    pub total_workouts: i64,
    /// Sum of `total_exercises`.
    pub total_exercises: i64,
    /// Sum of `total_duration_minutes`.
    pub total_duration_minutes: i64,
    /// Users with `total_workouts` above zero.
    pub users_with_workouts: i64,
}

/// The sums of every user's totals, in one pass over `stats` (never over the workouts).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn totals(conn: &mut AnyConnection) -> sqlx::Result<Totals> {
    // SUM is NUMERIC on PostgreSQL, which the `Any` driver cannot read: cast back to BIGINT.
    // On no rows it is NULL: COALESCE makes it 0.
    sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(total_workouts), 0) AS BIGINT) AS total_workouts, \
         CAST(COALESCE(SUM(total_exercises), 0) AS BIGINT) AS total_exercises, \
         CAST(COALESCE(SUM(total_duration_minutes), 0) AS BIGINT) AS total_duration_minutes, \
         COUNT(CASE WHEN total_workouts > 0 THEN 1 END) AS users_with_workouts FROM stats",
    )
    .fetch_one(conn)
    .await
}

/// Deletes the user's row; false when there was none.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn delete(conn: &mut AnyConnection, user_id: &str) -> sqlx::Result<bool> {
    let done = sqlx::query("DELETE FROM stats WHERE user_id = $1")
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Sets a user's evaluation, creating their row if needed.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn set_evaluation(
    conn: &mut AnyConnection,
    user_id: &str,
    evaluation: i32,
    now: i64,
) -> sqlx::Result<StatRow> {
    sqlx::query_as(concat!(
        "INSERT INTO stats (user_id, total_workouts, total_exercises, total_duration_minutes, \
         evaluation, updated_at) VALUES ($1, 0, 0, 0, $2, $3) \
         ON CONFLICT (user_id) DO UPDATE SET evaluation = excluded.evaluation, \
         updated_at = excluded.updated_at RETURNING ",
        columns!()
    ))
    .bind(user_id)
    .bind(evaluation)
    .bind(now)
    .fetch_one(conn)
    .await
}

/// Keyset position in the leaderboard: the last row served.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum LeaderAfter {
    /// An evaluated user: (evaluation, user_id).
    Rated(i32, String),
    /// A user not yet evaluated.
    Unrated(String),
}

/// One page of the leaderboard: evaluation descending, unevaluated last, ties by user id.
#[tracing::instrument(level = "debug", skip_all, fields(limit))]
pub async fn leaderboard(
    conn: &mut AnyConnection,
    after: Option<&LeaderAfter>,
    limit: i64,
) -> sqlx::Result<Vec<StatRow>> {
    const ORDER: &str = "ORDER BY CASE WHEN evaluation IS NULL THEN 1 ELSE 0 END, \
                         evaluation DESC, user_id LIMIT $1";
    match after {
        None => {
            sqlx::query_as(&format!("SELECT {} FROM stats {ORDER}", columns!()))
                .bind(limit)
                .fetch_all(conn)
                .await
        }
        Some(LeaderAfter::Rated(evaluation, user_id)) => {
            sqlx::query_as(&format!(
                "SELECT {} FROM stats WHERE evaluation IS NULL OR evaluation < $2 \
                 OR (evaluation = $2 AND user_id > $3) {ORDER}",
                columns!()
            ))
            .bind(limit)
            .bind(*evaluation)
            .bind(user_id.as_str())
            .fetch_all(conn)
            .await
        }
        Some(LeaderAfter::Unrated(user_id)) => {
            sqlx::query_as(&format!(
                "SELECT {} FROM stats WHERE evaluation IS NULL AND user_id > $2 {ORDER}",
                columns!()
            ))
            .bind(limit)
            .bind(user_id.as_str())
            .fetch_all(conn)
            .await
        }
    }
}
