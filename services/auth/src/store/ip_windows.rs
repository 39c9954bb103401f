//! `ip_windows`: per-client attempt counts of throttled actions in fixed windows.

use shared::time::Micros;
use sqlx::AnyConnection;

/// The attempts `bucket` made at `action` in the window starting at `window_start` (0 when
/// none). A plain read: refusing a client already over its limit writes nothing.
#[tracing::instrument(level = "debug", skip_all, fields(action))]
pub(crate) async fn attempts(
    conn: &mut AnyConnection,
    action: &str,
    bucket: &str,
    window_start: Micros,
) -> sqlx::Result<i64> {
    let n: Option<i64> = sqlx::query_scalar(
        "SELECT CAST(attempts AS BIGINT) FROM ip_windows \
         WHERE action = $1 AND bucket = $2 AND window_start = $3",
    )
    .bind(action)
    .bind(bucket)
    .bind(window_start)
    .fetch_optional(conn)
    .await?;
    Ok(n.unwrap_or(0))
}

/// Counts one attempt while the window holds at most `limit`, atomically (concurrent attempts
/// each see a distinct count); returns the new count, or `None` when the window was already
/// past the limit (nothing is written then).
#[tracing::instrument(level = "debug", skip_all, fields(action))]
pub(crate) async fn hit(
    conn: &mut AnyConnection,
    action: &str,
    bucket: &str,
    window_start: Micros,
    limit: i64,
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar(
        "INSERT INTO ip_windows (action, bucket, window_start, attempts) VALUES ($1, $2, $3, 1) \
         ON CONFLICT (action, bucket, window_start) \
         DO UPDATE SET attempts = ip_windows.attempts + 1 WHERE ip_windows.attempts <= $4 \
         RETURNING CAST(attempts AS BIGINT)",
    )
    .bind(action)
    .bind(bucket)
    .bind(window_start)
    .bind(limit)
    .fetch_optional(conn)
    .await
}

/// Forgets every window that started before `window_start`; returns how many rows went.
#[tracing::instrument(level = "debug", skip_all)]
pub(crate) async fn forget_before(
    conn: &mut AnyConnection,
    window_start: Micros,
) -> sqlx::Result<u64> {
    sqlx::query("DELETE FROM ip_windows WHERE window_start < $1")
        .bind(window_start)
        .execute(conn)
        .await
        .map(|done| done.rows_affected())
}
