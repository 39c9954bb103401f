//! Reading and pruning the `revocation_events` feed (written by `store::revocation`).

use shared::time::Micros;
use sqlx::AnyConnection;

/// The committed head of the feed: the last sequence handed out by a committed transaction.
/// Every event up to it is committed (or pruned), because sequences are taken under the
/// counter's row lock.
#[tracing::instrument(skip_all)]
pub async fn head(conn: &mut AnyConnection) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT value FROM revocation_sequence WHERE id = 1")
        .fetch_one(conn)
        .await
}

/// The feed's identity, created on first call (`candidate`, a fresh UUID) and stable after.
#[tracing::instrument(skip_all)]
pub async fn identity(conn: &mut AnyConnection, candidate: &str) -> sqlx::Result<String> {
    sqlx::query("UPDATE revocation_sequence SET feed_id = $1 WHERE id = 1 AND feed_id = ''")
        .bind(candidate)
        .execute(&mut *conn)
        .await?;
    sqlx::query_scalar("SELECT feed_id FROM revocation_sequence WHERE id = 1")
        .fetch_one(conn)
        .await
}

/// A stored feed event.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventRow {
    /// Feed position.
    pub sequence: i64,
    /// `TOKEN` or `SESSION`.
    pub kind: String,
    /// The revoked token (kind TOKEN).
    pub jti: Option<String>,
    /// The revoked session, or the revoked token's session.
    pub session_id: Option<String>,
    /// Owner.
    pub user_id: String,
    /// When it was revoked.
    pub revoked_at: Micros,
    /// After this nothing it concerns can be valid.
    pub expires_at: Micros,
}

/// Up to `limit` events with `after < sequence <= upto` that still matter (`expires_at` later
/// than `live_after`), in sequence order.
#[tracing::instrument(skip_all, fields(after, upto))]
pub async fn events_between(
    conn: &mut AnyConnection,
    after: i64,
    upto: i64,
    live_after: Micros,
    limit: i64,
) -> sqlx::Result<Vec<EventRow>> {
    sqlx::query_as(
        "SELECT sequence, kind, jti, session_id, user_id, revoked_at, expires_at \
         FROM revocation_events WHERE sequence > $1 AND sequence <= $2 AND expires_at > $3 \
         ORDER BY sequence LIMIT $4",
    )
    .bind(after)
    .bind(upto)
    .bind(live_after)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Deletes events whose `expires_at` is not later than `before`.
#[tracing::instrument(skip_all)]
pub async fn delete_expired(conn: &mut AnyConnection, before: Micros) -> sqlx::Result<u64> {
    sqlx::query("DELETE FROM revocation_events WHERE expires_at <= $1")
        .bind(before)
        .execute(conn)
        .await
        .map(|r| r.rows_affected())
}
