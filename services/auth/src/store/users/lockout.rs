//! The login counters of `users`: failed attempts and lockout, updated atomically so
//! concurrent failures each see a distinct count.

use shared::time::Micros;
use sqlx::AnyConnection;

/// What a login needs to know about an account.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct Credentials {
    /// User id.
    pub id: String,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// False once deactivated.
    pub active: shared::db::Flag,
    /// Stored role name.
    pub role: String,
    /// Locked until this time, if locked.
    pub locked_until: Option<Micros>,
    /// Whether the email address is verified.
    pub email_verified: shared::db::Flag,
}

/// The account whose lowercased username or email is `login_key`.
#[tracing::instrument(level = "debug", skip_all)]
pub(crate) async fn credentials_by_login(
    conn: &mut AnyConnection,
    login_key: &str,
) -> sqlx::Result<Option<Credentials>> {
    // Usernames cannot contain '@' and emails must: at most one row matches.
    sqlx::query_as(
        "SELECT id, password_hash, active, role, locked_until, email_verified FROM users \
         WHERE username_key = $1 OR email_key = $1",
    )
    .bind(login_key)
    .fetch_optional(conn)
    .await
}

/// The account `user_id`.
#[tracing::instrument(level = "debug", skip_all, fields(user_id))]
pub(crate) async fn credentials_by_id(
    conn: &mut AnyConnection,
    user_id: &str,
) -> sqlx::Result<Option<Credentials>> {
    sqlx::query_as(
        "SELECT id, password_hash, active, role, locked_until, email_verified FROM users \
         WHERE id = $1",
    )
    .bind(user_id)
    .fetch_optional(conn)
    .await
}

/// Counts a failed login unless the account is locked at `now`; returns
/// `(failed_logins, lockout_count)` after the increment, or `None` when it is locked. Atomic:
/// concurrent failures each see a distinct count.
#[tracing::instrument(level = "debug", skip_all, fields(user_id))]
pub(crate) async fn count_failure(
    conn: &mut AnyConnection,
    user_id: &str,
    now: Micros,
) -> sqlx::Result<Option<(i64, i64)>> {
    sqlx::query_as(
        "UPDATE users SET failed_logins = failed_logins + 1 \
         WHERE id = $1 AND (locked_until IS NULL OR locked_until <= $2) \
         RETURNING CAST(failed_logins AS BIGINT), CAST(lockout_count AS BIGINT)",
    )
    .bind(user_id)
    .bind(now)
    .fetch_optional(conn)
    .await
}

/// Locks the account until `until`, resets the failure count and counts the lockout.
#[tracing::instrument(level = "debug", skip_all, fields(user_id))]
pub(crate) async fn lock(
    conn: &mut AnyConnection,
    user_id: &str,
    until: Micros,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE users SET locked_until = $2, failed_logins = 0, \
         lockout_count = lockout_count + 1 WHERE id = $1",
    )
    .bind(user_id)
    .bind(until)
    .execute(conn)
    .await
    .map(|_| ())
}

/// After a right password: clears the failure and lockout counters, only while the account is
/// still what the password was checked against (`checked`: same hash, active, same role) and
/// not locked at `now`. False when it changed or got locked meanwhile: the caller must not go
/// on as if the check still held.
#[tracing::instrument(level = "debug", skip_all, fields(user_id = %checked.id))]
pub(crate) async fn clear_failures(
    conn: &mut AnyConnection,
    checked: &Credentials,
    now: Micros,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE users SET failed_logins = 0, lockout_count = 0, locked_until = NULL \
         WHERE id = $1 AND (locked_until IS NULL OR locked_until <= $2) \
         AND password_hash = $3 AND active = $4 AND role = $5",
    )
    .bind(&checked.id)
    .bind(now)
    .bind(&checked.password_hash)
    .bind(checked.active)
    .bind(&checked.role)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Forgets the failures and lock of an account whose password was just reset by mail.
#[tracing::instrument(level = "debug", skip_all, fields(user_id))]
pub(crate) async fn reset_counters(conn: &mut AnyConnection, user_id: &str) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE users SET failed_logins = 0, lockout_count = 0, locked_until = NULL WHERE id = $1",
    )
    .bind(user_id)
    .execute(conn)
    .await
    .map(|_| ())
}

/// After a right password: locks the account row for the rest of the transaction and
/// reads whether sign-in needs the second factor, only while the account is still what
/// the password was checked against (`checked`: same hash, active, same role) and not
/// locked at `now`. `None` when it changed or got locked meanwhile.
///
/// A no-op update rather than `SELECT … FOR UPDATE` (which SQLite lacks): an enrolment
/// confirmed concurrently waits for this sign-in, or this sign-in sees it.
#[tracing::instrument(level = "debug", skip_all, fields(user_id = %checked.id))]
pub(crate) async fn lock_checked(
    conn: &mut AnyConnection,
    checked: &Credentials,
    now: Micros,
) -> sqlx::Result<Option<shared::db::Flag>> {
    sqlx::query_scalar(
        "UPDATE users SET mfa_enabled = mfa_enabled \
         WHERE id = $1 AND (locked_until IS NULL OR locked_until <= $2) \
         AND password_hash = $3 AND active = $4 AND role = $5 RETURNING mfa_enabled",
    )
    .bind(&checked.id)
    .bind(now)
    .bind(&checked.password_hash)
    .bind(checked.active)
    .bind(&checked.role)
    .fetch_optional(conn)
    .await
}
