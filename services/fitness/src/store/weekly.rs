//! `weekly_summaries`: one row per user and ISO week with at least one workout.

use sqlx::AnyConnection;

use super::keyset::Keyset;

use crate::domain::training::Sums;

/// A stored week.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct WeekRow {
    /// The week's Monday, YYYY-MM-DD.
    pub week_start: String,
    /// Workouts dated in the week.
    pub workouts: i64,
    /// Their sets.
    pub sets: i64,
    /// Sum of their reps.
    pub reps: i64,
    /// Sum of weight_g × reps, assisted sets excluded.
    pub volume_g: i64,
    /// Sum of distances in millimetres.
    pub distance_mm: i64,
    /// Sum of set durations in seconds.
    pub set_seconds: i64,
}

macro_rules! columns {
    () => {
        "week_start, workouts, sets, reps, volume_g, distance_mm, set_seconds"
    };
}

/// Adds `sums` to the user's week starting `week_start` (a Monday, YYYY-MM-DD), creating the
/// row if needed and deleting it when its week no longer has a workout.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn add(
    conn: &mut AnyConnection,
    user_id: &str,
    week_start: &str,
    sums: &Sums,
) -> sqlx::Result<()> {
    if sums.is_zero() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO weekly_summaries (user_id, week_start, workouts, sets, reps, volume_g, \
         distance_mm, set_seconds) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (user_id, week_start) DO UPDATE SET \
         workouts = weekly_summaries.workouts + excluded.workouts, \
         sets = weekly_summaries.sets + excluded.sets, \
         reps = weekly_summaries.reps + excluded.reps, \
         volume_g = weekly_summaries.volume_g + excluded.volume_g, \
         distance_mm = weekly_summaries.distance_mm + excluded.distance_mm, \
         set_seconds = weekly_summaries.set_seconds + excluded.set_seconds",
    )
    .bind(user_id)
    .bind(week_start)
    .bind(sums.workouts)
    .bind(sums.sets)
    .bind(sums.reps)
    .bind(sums.volume_g)
    .bind(sums.distance_mm)
    .bind(sums.set_seconds)
    .execute(&mut *conn)
    .await?;
    if sums.workouts <= 0 {
        sqlx::query(
            "DELETE FROM weekly_summaries WHERE user_id = $1 AND week_start = $2 \
             AND workouts <= 0",
        )
        .bind(user_id)
        .bind(week_start)
        .execute(conn)
        .await?;
    }
    Ok(())
}

/// Inclusive bounds on `week_start` (Mondays); `None` means "no bound".
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Earliest week.
    pub from: Option<String>,
    /// Latest week.
    pub to: Option<String>,
}

/// One page of the user's weeks, newest first, strictly before `after` (the week_start of
/// the last row served).
#[tracing::instrument(level = "debug", skip_all, fields(limit))]
pub async fn list(
    conn: &mut AnyConnection,
    user_id: &str,
    filter: &Filter,
    after: Option<&str>,
    limit: i64,
) -> sqlx::Result<Vec<WeekRow>> {
    const WHERE: &str = "user_id = $1 AND ($2 IS NULL OR week_start >= $2) \
                         AND ($3 IS NULL OR week_start <= $3)";
    let sql = match after {
        None => format!(
            "SELECT {} FROM weekly_summaries WHERE {WHERE} ORDER BY week_start DESC LIMIT $4",
            columns!()
        ),
        Some(_) => format!(
            "SELECT {} FROM weekly_summaries WHERE {WHERE} AND week_start < $5 \
             ORDER BY week_start DESC LIMIT $4",
            columns!()
        ),
    };
    let mut query = sqlx::query_as(&sql)
        .bind(user_id)
        .bind(filter.from.as_deref())
        .bind(filter.to.as_deref())
        .bind(limit);
    if let Some(week) = after {
        query = query.bind(week);
    }
    query.fetch_all(conn).await
}

/// The user's weeks, oldest first, with no bounds.
pub const PAGES: Keyset<WeekRow, 1> = Keyset::new("weekly_summaries", columns!(), ["week_start"]);
