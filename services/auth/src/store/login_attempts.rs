//! `login_attempts`: per-IP login counts in fixed one-minute windows.

use shared::time::Micros;
use sqlx::AnyConnection;

/// Counts one attempt from `ip` in the window starting at `window_start` and returns the
/// window's count, atomically (concurrent attempts each see a distinct count).
#[tracing::instrument(skip_all)]
pub(crate) async fn hit(
    conn: &mut AnyConnection,
    ip: &str,
    window_start: Micros,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO login_attempts (ip, window_start, attempts) VALUES ($1, $2, 1) \
         ON CONFLICT (ip, window_start) \
         DO UPDATE SET attempts = login_attempts.attempts + 1 \
         RETURNING CAST(attempts AS BIGINT)",
    )
    .bind(ip)
    .bind(window_start)
    .fetch_one(conn)
    .await
}

/// Forgets `ip`'s windows older than `window_start`.
#[tracing::instrument(skip_all)]
pub(crate) async fn forget_before(
    conn: &mut AnyConnection,
    ip: &str,
    window_start: Micros,
) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM login_attempts WHERE ip = $1 AND window_start < $2")
        .bind(ip)
        .bind(window_start)
        .execute(conn)
        .await
        .map(|_| ())
}

/// Forgets every client's windows older than `window_start` (clients that never came back);
/// returns how many rows went.
#[tracing::instrument(skip_all)]
pub(crate) async fn forget_all_before(
    conn: &mut AnyConnection,
    window_start: Micros,
) -> sqlx::Result<u64> {
    sqlx::query("DELETE FROM login_attempts WHERE window_start < $1")
        .bind(window_start)
        .execute(conn)
        .await
        .map(|done| done.rows_affected())
}
