//! `login_throttles`: failed logins from unknown clients per login name (its digest), and
//! until when unknown clients of that name must wait.

use shared::time::Micros;
use sqlx::AnyConnection;

/// Until when unknown clients of `digest` must wait, if it was ever throttled. A plain read:
/// refusing a client that must wait writes nothing.
#[tracing::instrument(level = "debug", skip_all)]
pub(crate) async fn blocked_until(
    conn: &mut AnyConnection,
    digest: &str,
) -> sqlx::Result<Option<Micros>> {
    let until: Option<Option<Micros>> =
        sqlx::query_scalar("SELECT blocked_until FROM login_throttles WHERE login_digest = $1")
            .bind(digest)
            .fetch_optional(conn)
            .await?;
    Ok(until.flatten())
}

/// Counts a failure of `digest` at `now` unless its clients must wait then; the count starts
/// again at 1 when the last failure was before `forget_before`. Returns the new count, or
/// `None` when they must wait (nothing is written then). Atomic: concurrent failures each see
/// a distinct count.
#[tracing::instrument(level = "debug", skip_all)]
pub(crate) async fn count_failure(
    conn: &mut AnyConnection,
    digest: &str,
    now: Micros,
    forget_before: Micros,
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar(
        "INSERT INTO login_throttles (login_digest, failures, last_failure) VALUES ($1, 1, $2) \
         ON CONFLICT (login_digest) DO UPDATE SET \
         failures = CASE WHEN login_throttles.last_failure >= $3 \
         THEN login_throttles.failures + 1 ELSE 1 END, \
         last_failure = $2 \
         WHERE login_throttles.blocked_until IS NULL OR login_throttles.blocked_until <= $2 \
         RETURNING CAST(failures AS BIGINT)",
    )
    .bind(digest)
    .bind(now)
    .bind(forget_before)
    .fetch_optional(conn)
    .await
}

/// Makes unknown clients of `digest` wait until `until`.
#[tracing::instrument(level = "debug", skip_all)]
pub(crate) async fn block(
    conn: &mut AnyConnection,
    digest: &str,
    until: Micros,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE login_throttles SET blocked_until = $2 WHERE login_digest = $1")
        .bind(digest)
        .bind(until)
        .execute(conn)
        .await
        .map(|_| ())
}

/// Forgets every name whose last failure was before `before` and whose clients need not wait
/// at `now`; returns how many went.
#[tracing::instrument(level = "debug", skip_all)]
pub(crate) async fn forget_before(
    conn: &mut AnyConnection,
    before: Micros,
    now: Micros,
) -> sqlx::Result<u64> {
    sqlx::query(
        "DELETE FROM login_throttles WHERE last_failure < $1 \
         AND (blocked_until IS NULL OR blocked_until <= $2)",
    )
    .bind(before)
    .bind(now)
    .execute(conn)
    .await
    .map(|done| done.rows_affected())
}
