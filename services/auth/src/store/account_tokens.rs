//! `account_tokens`: single-use tokens of mailed links (email verification, password reset),
//! stored as SHA-256 digests only.

use shared::time::Micros;
use sqlx::AnyConnection;

/// Purpose of a token confirming an email address.
pub(crate) const VERIFY_EMAIL: &str = "VERIFY_EMAIL";
/// Purpose of a password reset token.
pub(crate) const RESET_PASSWORD: &str = "RESET_PASSWORD";

/// A stored token, found by its digest.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct TokenRow {
    /// The user it belongs to.
    pub user_id: String,
    /// The address it confirms (verification) or was sent to (reset).
    pub email: String,
    /// When it stops working.
    pub expires_at: Micros,
    /// When it was used, if it was.
    pub used_at: Option<Micros>,
}

/// Stores a new token of `purpose` for `user_id`.
#[tracing::instrument(level = "debug", skip_all, fields(user_id, purpose))]
pub(crate) async fn insert(
    conn: &mut AnyConnection,
    token_hash: &str,
    user_id: &str,
    purpose: &str,
    email: &str,
    now: Micros,
    expires_at: Micros,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO account_tokens (token_hash, user_id, purpose, email, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(token_hash)
    .bind(user_id)
    .bind(purpose)
    .bind(email)
    .bind(now)
    .bind(expires_at)
    .execute(conn)
    .await
    .map(|_| ())
}

/// Forgets every unused token of `purpose` for `user_id` (a newer one replaces them, or what
/// they were for is done).
#[tracing::instrument(level = "debug", skip_all, fields(user_id, purpose))]
pub(crate) async fn forget_unused(
    conn: &mut AnyConnection,
    user_id: &str,
    purpose: &str,
) -> sqlx::Result<u64> {
    sqlx::query(
        "DELETE FROM account_tokens WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL",
    )
    .bind(user_id)
    .bind(purpose)
    .execute(conn)
    .await
    .map(|r| r.rows_affected())
}

/// The token of `purpose` with this digest.
#[tracing::instrument(level = "debug", skip_all, fields(purpose))]
pub(crate) async fn find(
    conn: &mut AnyConnection,
    token_hash: &str,
    purpose: &str,
) -> sqlx::Result<Option<TokenRow>> {
    sqlx::query_as(
        "SELECT user_id, email, expires_at, used_at FROM account_tokens \
         WHERE token_hash = $1 AND purpose = $2",
    )
    .bind(token_hash)
    .bind(purpose)
    .fetch_optional(conn)
    .await
}

/// Marks the token used if it is still unused and unexpired at `now`: true for exactly one
/// of any number of concurrent uses.
#[tracing::instrument(level = "debug", skip_all)]
pub(crate) async fn consume(
    conn: &mut AnyConnection,
    token_hash: &str,
    purpose: &str,
    now: Micros,
) -> sqlx::Result<bool> {
    sqlx::query(
        "UPDATE account_tokens SET used_at = $3 \
         WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3",
    )
    .bind(token_hash)
    .bind(purpose)
    .bind(now)
    .execute(conn)
    .await
    .map(|r| r.rows_affected() == 1)
}

/// Deletes tokens that expired before `before`; returns how many went.
#[tracing::instrument(level = "debug", skip_all)]
pub(crate) async fn delete_expired(conn: &mut AnyConnection, before: Micros) -> sqlx::Result<u64> {
    sqlx::query("DELETE FROM account_tokens WHERE expires_at < $1")
        .bind(before)
        .execute(conn)
        .await
        .map(|r| r.rows_affected())
}
