//! `users` and `profiles`: accounts and their profile, always written together (a profile
//! never exists without its user). The login counters of a user are in [`lockout`], the admin
//! listing in [`listing`].

pub(crate) mod listing;
pub(crate) mod lockout;

use shared::db::Flag;
use shared::time::Micros;
use sqlx::AnyConnection;

/// The rows of [`UserRow`]: a user `u` joined with its profile `p` and whether it has an
/// avatar. Statements append their `WHERE`.
const SELECT: &str = "SELECT u.id, u.username, u.email, u.first_name, u.last_name, u.role, \
     u.active, u.created_at, u.updated_at, u.email_verified, u.pending_email, u.mfa_enabled, \
     p.full_name, p.full_name_custom, p.bio, \
     p.birth_date, p.notes, p.language, p.updated_at AS profile_updated_at, \
     CASE WHEN EXISTS (SELECT 1 FROM avatars a WHERE a.user_id = u.id) THEN 1 ELSE 0 END \
     AS has_avatar FROM users u JOIN profiles p ON p.user_id = u.id";

/// A user with its profile.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct UserRow {
    /// User id.
    pub id: String,
    /// Username as registered.
    pub username: String,
    /// Email as given.
    pub email: String,
    /// Given name.
    pub first_name: String,
    /// Family name.
    pub last_name: String,
    /// Stored role name.
    pub role: String,
    /// False once deactivated.
    pub active: Flag,
    /// Registration time.
    pub created_at: Micros,
    /// Last change of the user's own fields.
    pub updated_at: Micros,
    /// Whether `email` was confirmed through a mailed link.
    pub email_verified: Flag,
    /// An email change waiting for its verification.
    pub pending_email: Option<String>,
    /// Whether sign-in needs the TOTP second factor.
    pub mfa_enabled: Flag,
    /// Profile display name.
    pub full_name: String,
    /// Whether the user chose `full_name` (then name changes leave it alone).
    pub full_name_custom: Flag,
    /// Biography.
    pub bio: String,
    /// `YYYY-MM-DD` or none.
    pub birth_date: Option<String>,
    /// Private notes.
    pub notes: String,
    /// `EN`, `ES`, `FR` or `AR`.
    pub language: String,
    /// Last profile change.
    pub profile_updated_at: Micros,
    /// Whether an avatar is stored.
    pub has_avatar: Flag,
}

/// A new account.
#[derive(Debug)]
pub(crate) struct NewUser<'a> {
    /// User id.
    pub id: &'a str,
    /// Username as given.
    pub username: &'a str,
    /// Email as given.
    pub email: &'a str,
    /// Given name.
    pub first_name: &'a str,
    /// Family name.
    pub last_name: &'a str,
    /// Stored role name.
    pub role: &'a str,
    /// Argon2id PHC string.
    pub password_hash: &'a str,
}

/// Inserts a user; the unique keys make a taken username or email a unique violation.
#[tracing::instrument(level = "debug", skip_all, fields(user_id = user.id))]
pub(crate) async fn insert(
    conn: &mut AnyConnection,
    user: &NewUser<'_>,
    now: Micros,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO users (id, username, username_key, email, email_key, first_name, \
         last_name, role, active, password_hash, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)",
    )
    .bind(user.id)
    .bind(user.username)
    .bind(user.username.to_lowercase())
    .bind(user.email)
    .bind(user.email.to_lowercase())
    .bind(user.first_name)
    .bind(user.last_name)
    .bind(user.role)
    .bind(Flag(true))
    .bind(user.password_hash)
    .bind(now)
    .execute(conn)
    .await
    .map(|_| ())
}

/// Inserts the profile of a new user.
#[tracing::instrument(level = "debug", skip_all, fields(user_id))]
pub(crate) async fn insert_profile(
    conn: &mut AnyConnection,
    user_id: &str,
    full_name: &str,
    now: Micros,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO profiles (user_id, full_name, full_name_custom, updated_at) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(user_id)
    .bind(full_name)
    .bind(Flag(false))
    .bind(now)
    .execute(conn)
    .await
    .map(|_| ())
}

/// Which of `username_key` / `email_key` are taken: `(username, email)`.
#[tracing::instrument(level = "debug", skip_all)]
pub(crate) async fn taken(
    conn: &mut AnyConnection,
    username_key: &str,
    email_key: &str,
) -> sqlx::Result<(bool, bool)> {
    let (u, e): (i64, i64) = sqlx::query_as(
        "SELECT \
         (SELECT COUNT(*) FROM users WHERE username_key = $1), \
         (SELECT COUNT(*) FROM users WHERE email_key = $2)",
    )
    .bind(username_key)
    .bind(email_key)
    .fetch_one(conn)
    .await?;
    Ok((u > 0, e > 0))
}

/// True when another user than `user_id` has `email_key`.
#[tracing::instrument(level = "debug", skip_all)]
pub(crate) async fn email_taken_by_other(
    conn: &mut AnyConnection,
    email_key: &str,
    user_id: &str,
) -> sqlx::Result<bool> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE email_key = $1 AND id <> $2")
        .bind(email_key)
        .bind(user_id)
        .fetch_one(conn)
        .await?;
    Ok(n > 0)
}

/// Replaces the password hash.
#[tracing::instrument(level = "debug", skip_all, fields(user_id))]
pub(crate) async fn set_password_hash(
    conn: &mut AnyConnection,
    user_id: &str,
    hash: &str,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1")
        .bind(user_id)
        .bind(hash)
        .execute(conn)
        .await
        .map(|_| ())
}

/// A user with profile.
#[tracing::instrument(level = "debug", skip_all, fields(user_id))]
pub(crate) async fn get(conn: &mut AnyConnection, user_id: &str) -> sqlx::Result<Option<UserRow>> {
    sqlx::query_as(&format!("{SELECT} WHERE u.id = $1"))
        .bind(user_id)
        .fetch_optional(conn)
        .await
}

/// The user's own fields after an update.
#[derive(Debug)]
pub(crate) struct UserFields<'a> {
    /// Given name.
    pub first_name: &'a str,
    /// Family name.
    pub last_name: &'a str,
    /// Email.
    pub email: &'a str,
}

/// Writes the user's own fields.
#[tracing::instrument(level = "debug", skip_all, fields(user_id))]
pub(crate) async fn update_fields(
    conn: &mut AnyConnection,
    user_id: &str,
    fields: &UserFields<'_>,
    now: Micros,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE users SET first_name = $2, last_name = $3, email = $4, email_key = $5, \
         updated_at = $6 WHERE id = $1",
    )
    .bind(user_id)
    .bind(fields.first_name)
    .bind(fields.last_name)
    .bind(fields.email)
    .bind(fields.email.to_lowercase())
    .bind(now)
    .execute(conn)
    .await
    .map(|_| ())
}

/// The profile after an update.
#[derive(Debug)]
pub(crate) struct ProfileFields<'a> {
    /// Display name.
    pub full_name: &'a str,
    /// Whether the user chose it.
    pub full_name_custom: bool,
    /// Biography.
    pub bio: &'a str,
    /// `YYYY-MM-DD` or none.
    pub birth_date: Option<&'a str>,
    /// Notes.
    pub notes: &'a str,
    /// Language code.
    pub language: &'a str,
}

/// Writes the profile.
#[tracing::instrument(level = "debug", skip_all, fields(user_id))]
pub(crate) async fn update_profile(
    conn: &mut AnyConnection,
    user_id: &str,
    fields: &ProfileFields<'_>,
    now: Micros,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE profiles SET full_name = $2, full_name_custom = $3, bio = $4, birth_date = $5, \
         notes = $6, language = $7, updated_at = $8 WHERE user_id = $1",
    )
    .bind(user_id)
    .bind(fields.full_name)
    .bind(Flag(fields.full_name_custom))
    .bind(fields.bio)
    .bind(fields.birth_date)
    .bind(fields.notes)
    .bind(fields.language)
    .bind(now)
    .execute(conn)
    .await
    .map(|_| ())
}

/// Sets the `active` flag; returns the previous value, `None` if there is no such user.
#[tracing::instrument(level = "debug", skip_all, fields(user_id))]
pub(crate) async fn set_active(
    conn: &mut AnyConnection,
    user_id: &str,
    active: bool,
    now: Micros,
) -> sqlx::Result<bool> {
    let done = sqlx::query("UPDATE users SET active = $2, updated_at = $3 WHERE id = $1")
        .bind(user_id)
        .bind(Flag(active))
        .bind(now)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Sets the role.
#[tracing::instrument(level = "debug", skip_all, fields(user_id))]
pub(crate) async fn set_role(
    conn: &mut AnyConnection,
    user_id: &str,
    role: &str,
    now: Micros,
) -> sqlx::Result<bool> {
    let done = sqlx::query("UPDATE users SET role = $2, updated_at = $3 WHERE id = $1")
        .bind(user_id)
        .bind(role)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Locks the user row for the rest of the transaction (PostgreSQL; SQLite's writer lock
/// already serialises) and returns its stored role and `active` flag.
#[tracing::instrument(level = "debug", skip_all, fields(user_id))]
pub(crate) async fn role_and_active_for_update(
    conn: &mut AnyConnection,
    user_id: &str,
) -> sqlx::Result<Option<(String, Flag)>> {
    // A no-op UPDATE takes the row lock portably (SQLite has no SELECT … FOR UPDATE).
    sqlx::query_as("UPDATE users SET role = role WHERE id = $1 RETURNING role, active")
        .bind(user_id)
        .fetch_optional(conn)
        .await
}

/// `(role, active)` of a user.
#[tracing::instrument(level = "debug", skip_all, fields(user_id))]
pub(crate) async fn role_and_active(
    conn: &mut AnyConnection,
    user_id: &str,
) -> sqlx::Result<Option<(String, Flag)>> {
    sqlx::query_as("SELECT role, active FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_optional(conn)
        .await
}

/// Marks the user's current email verified.
#[tracing::instrument(level = "debug", skip_all, fields(user_id))]
pub(crate) async fn mark_email_verified(
    conn: &mut AnyConnection,
    user_id: &str,
    now: Micros,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET email_verified = $2, updated_at = $3 WHERE id = $1")
        .bind(user_id)
        .bind(Flag(true))
        .bind(now)
        .execute(conn)
        .await
        .map(|_| ())
}

/// Records (or, with `None`, cancels) an email change waiting for verification; a new
/// request replaces an older one.
#[tracing::instrument(level = "debug", skip_all, fields(user_id))]
pub(crate) async fn set_pending_email(
    conn: &mut AnyConnection,
    user_id: &str,
    pending: Option<&str>,
    now: Micros,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET pending_email = $2, updated_at = $3 WHERE id = $1")
        .bind(user_id)
        .bind(pending)
        .bind(now)
        .execute(conn)
        .await
        .map(|_| ())
}

/// Makes the verified pending address `email` the user's email, if it is still the pending
/// one; the unique key makes an address taken meanwhile a unique violation.
#[tracing::instrument(level = "debug", skip_all, fields(user_id))]
pub(crate) async fn adopt_pending_email(
    conn: &mut AnyConnection,
    user_id: &str,
    email: &str,
    now: Micros,
) -> sqlx::Result<bool> {
    sqlx::query(
        "UPDATE users SET email = $2, email_key = $3, email_verified = $4, pending_email = NULL, \
         updated_at = $5 WHERE id = $1 AND pending_email = $2",
    )
    .bind(user_id)
    .bind(email)
    .bind(email.to_lowercase())
    .bind(Flag(true))
    .bind(now)
    .execute(conn)
    .await
    .map(|r| r.rows_affected() == 1)
}

/// Deletes the user; the profile, avatar, sessions, tokens, known clients and mailed-link
/// tokens go with it (`ON DELETE CASCADE`). False when there was no such user.
#[tracing::instrument(level = "debug", skip_all, fields(user_id))]
pub(crate) async fn delete(conn: &mut AnyConnection, user_id: &str) -> sqlx::Result<bool> {
    sqlx::query("DELETE FROM users WHERE id = $1")
        .bind(user_id)
        .execute(conn)
        .await
        .map(|r| r.rows_affected() == 1)
}

/// Sets whether sign-in needs the second factor.
#[tracing::instrument(level = "debug", skip_all, fields(user_id))]
pub(crate) async fn set_mfa_enabled(
    conn: &mut AnyConnection,
    user_id: &str,
    enabled: bool,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET mfa_enabled = $2 WHERE id = $1")
        .bind(user_id)
        .bind(Flag(enabled))
        .execute(conn)
        .await
        .map(|_| ())
}
