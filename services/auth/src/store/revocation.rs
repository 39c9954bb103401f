//! Revocation writes: flags on sessions and tokens, and the sequenced `revocation_events`
//! feed.

use shared::time::Micros;
use sqlx::AnyConnection;

/// Takes the next feed sequence. The row lock on `revocation_sequence` is held until the
/// transaction ends, so revoking transactions commit in sequence order.
#[tracing::instrument(skip_all)]
pub async fn next_sequence(conn: &mut AnyConnection) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "UPDATE revocation_sequence SET value = value + 1 WHERE id = 1 RETURNING value",
    )
    .fetch_one(conn)
    .await
}

/// One feed event.
#[derive(Debug, Clone)]
pub struct NewEvent<'a> {
    /// Feed position.
    pub sequence: i64,
    /// `TOKEN` or `SESSION`.
    pub kind: &'static str,
    /// The revoked token (kind TOKEN).
    pub jti: Option<&'a str>,
    /// The revoked session, or the revoked token's session.
    pub session_id: &'a str,
    /// Owner.
    pub user_id: &'a str,
    /// When it was revoked.
    pub revoked_at: Micros,
    /// After this nothing it concerns can be valid.
    pub expires_at: Micros,
}

/// Appends a feed event.
#[tracing::instrument(skip_all, fields(sequence = event.sequence, kind = event.kind))]
pub async fn insert_event(conn: &mut AnyConnection, event: &NewEvent<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO revocation_events (sequence, kind, jti, session_id, user_id, revoked_at, \
         expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(event.sequence)
    .bind(event.kind)
    .bind(event.jti)
    .bind(event.session_id)
    .bind(event.user_id)
    .bind(event.revoked_at)
    .bind(event.expires_at)
    .execute(conn)
    .await
    .map(|_| ())
}

/// Marks a session revoked if it is not already; returns `(user_id, expires_at)` when this
/// call revoked it.
#[tracing::instrument(skip_all, fields(session_id))]
pub async fn revoke_session_row(
    conn: &mut AnyConnection,
    session_id: &str,
    reason: &str,
    now: Micros,
) -> sqlx::Result<Option<(String, Micros)>> {
    sqlx::query_as(
        "UPDATE sessions SET revoked_at = $2, revoke_reason = $3 \
         WHERE id = $1 AND revoked_at IS NULL RETURNING user_id, expires_at",
    )
    .bind(session_id)
    .bind(now)
    .bind(reason)
    .fetch_optional(conn)
    .await
}

/// Marks every not-yet-revoked refresh token of a session revoked.
#[tracing::instrument(skip_all, fields(session_id))]
pub async fn revoke_session_refresh_tokens(
    conn: &mut AnyConnection,
    session_id: &str,
    now: Micros,
) -> sqlx::Result<u64> {
    sqlx::query(
        "UPDATE refresh_tokens SET revoked_at = $2 WHERE session_id = $1 AND revoked_at IS NULL",
    )
    .bind(session_id)
    .bind(now)
    .execute(conn)
    .await
    .map(|r| r.rows_affected())
}

/// Marks every not-yet-revoked access token of a session revoked.
#[tracing::instrument(skip_all, fields(session_id))]
pub async fn revoke_session_access_tokens(
    conn: &mut AnyConnection,
    session_id: &str,
    now: Micros,
) -> sqlx::Result<u64> {
    sqlx::query(
        "UPDATE access_tokens SET revoked_at = $2 WHERE session_id = $1 AND revoked_at IS NULL",
    )
    .bind(session_id)
    .bind(now)
    .execute(conn)
    .await
    .map(|r| r.rows_affected())
}

/// Ids of a user's sessions not yet revoked, oldest first.
#[tracing::instrument(skip_all, fields(user_id))]
pub async fn unrevoked_sessions(
    conn: &mut AnyConnection,
    user_id: &str,
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT id FROM sessions WHERE user_id = $1 AND revoked_at IS NULL \
         ORDER BY created_at, id",
    )
    .bind(user_id)
    .fetch_all(conn)
    .await
}

/// A revoked token: `(session_id, user_id, expires_at)`.
pub type RevokedToken = (String, String, Micros);

/// Marks access token `jti` revoked if it is not already.
#[tracing::instrument(skip_all, fields(jti))]
pub async fn revoke_access_token_row(
    conn: &mut AnyConnection,
    jti: &str,
    now: Micros,
) -> sqlx::Result<Option<RevokedToken>> {
    sqlx::query_as(
        "UPDATE access_tokens SET revoked_at = $2 WHERE jti = $1 AND revoked_at IS NULL \
         RETURNING session_id, user_id, expires_at",
    )
    .bind(jti)
    .bind(now)
    .fetch_optional(conn)
    .await
}

/// Marks refresh token `jti` revoked if it is not already.
#[tracing::instrument(skip_all, fields(jti))]
pub async fn revoke_refresh_token_row(
    conn: &mut AnyConnection,
    jti: &str,
    now: Micros,
) -> sqlx::Result<Option<RevokedToken>> {
    sqlx::query_as(
        "UPDATE refresh_tokens SET revoked_at = $2 WHERE jti = $1 AND revoked_at IS NULL \
         RETURNING session_id, user_id, expires_at",
    )
    .bind(jti)
    .bind(now)
    .fetch_optional(conn)
    .await
}
