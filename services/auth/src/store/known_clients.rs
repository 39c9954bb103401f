//! `known_clients`: the addresses (IPv6: /64s) each account signed in from, the newest kept.

use shared::time::Micros;
use sqlx::AnyConnection;

/// Whether `user_id` signed in from `bucket` at `since` or later. A plain read.
#[tracing::instrument(level = "debug", skip_all)]
pub(crate) async fn contains(
    conn: &mut AnyConnection,
    user_id: &str,
    bucket: &str,
    since: Micros,
) -> sqlx::Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM known_clients \
         WHERE user_id = $1 AND bucket = $2 AND last_seen >= $3",
    )
    .bind(user_id)
    .bind(bucket)
    .bind(since)
    .fetch_one(conn)
    .await?;
    Ok(n > 0)
}

/// Records that `user_id` signed in from `bucket` at `now`.
#[tracing::instrument(level = "debug", skip_all, fields(user_id))]
pub(crate) async fn remember(
    conn: &mut AnyConnection,
    user_id: &str,
    bucket: &str,
    now: Micros,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO known_clients (user_id, bucket, last_seen) VALUES ($1, $2, $3) \
         ON CONFLICT (user_id, bucket) DO UPDATE SET last_seen = $3",
    )
    .bind(user_id)
    .bind(bucket)
    .bind(now)
    .execute(conn)
    .await
    .map(|_| ())
}

/// Forgets every address of `user_id` but the `keep` most recently seen; returns how many
/// went.
#[tracing::instrument(level = "debug", skip_all, fields(user_id))]
pub(crate) async fn keep_newest(
    conn: &mut AnyConnection,
    user_id: &str,
    keep: i64,
) -> sqlx::Result<u64> {
    sqlx::query(
        "DELETE FROM known_clients WHERE user_id = $1 AND bucket NOT IN (\
         SELECT bucket FROM known_clients WHERE user_id = $1 \
         ORDER BY last_seen DESC, bucket DESC LIMIT $2)",
    )
    .bind(user_id)
    .bind(keep)
    .execute(conn)
    .await
    .map(|done| done.rows_affected())
}

/// Forgets every address last seen before `before`; returns how many went.
#[tracing::instrument(level = "debug", skip_all)]
pub(crate) async fn forget_before(conn: &mut AnyConnection, before: Micros) -> sqlx::Result<u64> {
    sqlx::query("DELETE FROM known_clients WHERE last_seen < $1")
        .bind(before)
        .execute(conn)
        .await
        .map(|done| done.rows_affected())
}
