//! `sessions`, `refresh_tokens` and `access_tokens`: token families and every issued token.

use shared::db::Flag;
use shared::time::Micros;
use sqlx::AnyConnection;

/// A stored session.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    /// Session id (`sid`).
    pub id: String,
    /// Owner.
    pub user_id: String,
    /// Client device label.
    pub device_label: String,
    /// Client IP at creation.
    pub ip: String,
    /// Client user agent at creation.
    pub user_agent: String,
    /// Creation time.
    pub created_at: Micros,
    /// Last refresh, if any.
    pub last_refreshed_at: Option<Micros>,
    /// Absolute end.
    pub expires_at: Micros,
    /// Revocation time, if revoked.
    pub revoked_at: Option<Micros>,
    /// Why it was revoked.
    pub revoke_reason: Option<String>,
}

/// Inserts a session.
#[tracing::instrument(skip_all, fields(session_id = %row.id))]
pub async fn insert(conn: &mut AnyConnection, row: &SessionRow) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO sessions (id, user_id, device_label, ip, user_agent, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&row.id)
    .bind(&row.user_id)
    .bind(&row.device_label)
    .bind(&row.ip)
    .bind(&row.user_agent)
    .bind(row.created_at)
    .bind(row.expires_at)
    .execute(conn)
    .await
    .map(|_| ())
}

/// One session by id.
#[tracing::instrument(skip_all, fields(session_id))]
pub async fn get(conn: &mut AnyConnection, session_id: &str) -> sqlx::Result<Option<SessionRow>> {
    sqlx::query_as(
        "SELECT id, user_id, device_label, ip, user_agent, created_at, last_refreshed_at, \
         expires_at, revoked_at, revoke_reason FROM sessions WHERE id = $1",
    )
    .bind(session_id)
    .fetch_optional(conn)
    .await
}

/// A refresh token's row.
#[derive(Debug, Clone)]
pub struct NewRefreshToken<'a> {
    /// Token id.
    pub jti: &'a str,
    /// Its session.
    pub session_id: &'a str,
    /// Owner.
    pub user_id: &'a str,
    /// The token it was rotated from.
    pub parent_jti: Option<&'a str>,
    /// Issue time.
    pub issued_at: Micros,
    /// Expiry.
    pub expires_at: Micros,
    /// Client IP of the issuing request.
    pub ip: &'a str,
    /// Client user agent of the issuing request.
    pub user_agent: &'a str,
    /// Device label of the session.
    pub device_label: &'a str,
}

/// Records an issued refresh token.
#[tracing::instrument(skip_all, fields(jti = row.jti))]
pub async fn insert_refresh(
    conn: &mut AnyConnection,
    row: &NewRefreshToken<'_>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO refresh_tokens (jti, session_id, user_id, parent_jti, issued_at, \
         expires_at, ip, user_agent, device_label) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(row.jti)
    .bind(row.session_id)
    .bind(row.user_id)
    .bind(row.parent_jti)
    .bind(row.issued_at)
    .bind(row.expires_at)
    .bind(row.ip)
    .bind(row.user_agent)
    .bind(row.device_label)
    .execute(conn)
    .await
    .map(|_| ())
}

/// Records an issued access token.
#[tracing::instrument(skip_all, fields(jti))]
#[allow(clippy::too_many_arguments)]
pub async fn insert_access(
    conn: &mut AnyConnection,
    jti: &str,
    session_id: &str,
    refresh_jti: &str,
    user_id: &str,
    issued_at: Micros,
    expires_at: Micros,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO access_tokens (jti, session_id, refresh_jti, user_id, issued_at, \
         expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(jti)
    .bind(session_id)
    .bind(refresh_jti)
    .bind(user_id)
    .bind(issued_at)
    .bind(expires_at)
    .execute(conn)
    .await
    .map(|_| ())
}

/// What the auth layer needs to know about a presented access token.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AccessState {
    /// Owner of the token.
    pub user_id: String,
    /// Its session.
    pub session_id: String,
    /// Token revoked at.
    pub token_revoked_at: Option<Micros>,
    /// Session revoked at.
    pub session_revoked_at: Option<Micros>,
    /// Session absolute end.
    pub session_expires_at: Micros,
    /// The owner's current role.
    pub role: String,
    /// Whether the owner is active.
    pub active: Flag,
}

/// The revocation state of access token `jti`, its session and its user, in one query.
#[tracing::instrument(skip_all, fields(jti))]
pub async fn access_state(
    conn: &mut AnyConnection,
    jti: &str,
) -> sqlx::Result<Option<AccessState>> {
    sqlx::query_as(
        "SELECT a.user_id, a.session_id, a.revoked_at AS token_revoked_at, \
         s.revoked_at AS session_revoked_at, s.expires_at AS session_expires_at, u.role, u.active \
         FROM access_tokens a JOIN sessions s ON s.id = a.session_id \
         JOIN users u ON u.id = a.user_id WHERE a.jti = $1",
    )
    .bind(jti)
    .fetch_optional(conn)
    .await
}
