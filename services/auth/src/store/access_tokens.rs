//! `access_tokens`: every access token issued, under the refresh token it was issued with.

use shared::db::Flag;
use shared::time::Micros;
use sqlx::AnyConnection;

use super::token_rows::{self, Table};

/// The columns of [`AccessRow`], in its field order.
const COLUMNS: &str = "jti, session_id, refresh_jti, user_id, issued_at, expires_at, revoked_at";

/// A stored access token.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct AccessRow {
    /// Token id.
    pub jti: String,
    /// Its session.
    pub session_id: String,
    /// The refresh token issued with it.
    pub refresh_jti: String,
    /// Owner.
    pub user_id: String,
    /// Issue time.
    pub issued_at: Micros,
    /// Expiry.
    pub expires_at: Micros,
    /// Revocation time, if revoked.
    pub revoked_at: Option<Micros>,
}

/// Records an issued access token.
#[tracing::instrument(level = "debug", skip_all, fields(jti = %row.jti))]
pub(crate) async fn insert(conn: &mut AnyConnection, row: &AccessRow) -> sqlx::Result<()> {
    sqlx::query(&format!(
        "INSERT INTO access_tokens ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
    ))
    .bind(&row.jti)
    .bind(&row.session_id)
    .bind(&row.refresh_jti)
    .bind(&row.user_id)
    .bind(row.issued_at)
    .bind(row.expires_at)
    .bind(row.revoked_at)
    .execute(conn)
    .await
    .map(|_| ())
}

/// The access tokens issued with any of the refresh tokens `refresh_jtis`, oldest first.
#[tracing::instrument(level = "debug", skip_all, fields(count = refresh_jtis.len()))]
pub(crate) async fn of_refresh_tokens(
    conn: &mut AnyConnection,
    refresh_jtis: &[String],
) -> sqlx::Result<Vec<AccessRow>> {
    if refresh_jtis.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {COLUMNS} FROM access_tokens WHERE refresh_jti IN ({}) ORDER BY issued_at, jti",
        shared::sql::placeholders(1, refresh_jtis.len())
    );
    let mut query = sqlx::query_as(&sql);
    for jti in refresh_jtis {
        query = query.bind(jti);
    }
    query.fetch_all(conn).await
}

/// `(session_id, user_id)` of access token `jti`.
#[tracing::instrument(level = "debug", skip_all, fields(jti))]
pub(crate) async fn owner(
    conn: &mut AnyConnection,
    jti: &str,
) -> sqlx::Result<Option<(String, String)>> {
    token_rows::owner(conn, Table::Access, jti).await
}

/// Marks access token `jti` revoked if it is not already; returns `(session_id, user_id,
/// expires_at)` when this call revoked it.
#[tracing::instrument(level = "debug", skip_all, fields(jti))]
pub(crate) async fn revoke(
    conn: &mut AnyConnection,
    jti: &str,
    now: Micros,
) -> sqlx::Result<Option<(String, String, Micros)>> {
    token_rows::revoke(conn, Table::Access, jti, now).await
}

/// An access token this call revoked: `jti`, `session_id`, `user_id`, `expires_at`.
pub(crate) type RevokedAccess = (String, String, String, Micros);

/// Marks revoked the access tokens issued with refresh token `refresh_jti` or any refresh
/// token rotated from it ([`super::refresh_tokens::LINE`]) that are not revoked yet and still
/// verify after `live_after`; returns them. Only live access tokens come back, so the answer
/// is bounded by the session's refresh rate over one access-token lifetime, not by its age.
#[tracing::instrument(level = "debug", skip_all, fields(refresh_jti))]
pub(crate) async fn revoke_of_line(
    conn: &mut AnyConnection,
    refresh_jti: &str,
    now: Micros,
    live_after: Micros,
) -> sqlx::Result<Vec<RevokedAccess>> {
    sqlx::query_as(&format!(
        "UPDATE access_tokens SET revoked_at = $2 \
         WHERE refresh_jti IN ({}) AND revoked_at IS NULL AND expires_at > $3 \
         RETURNING jti, session_id, user_id, expires_at",
        super::refresh_tokens::LINE
    ))
    .bind(refresh_jti)
    .bind(now)
    .bind(live_after)
    .fetch_all(conn)
    .await
}

/// Marks every not-yet-revoked access token of a session revoked.
#[tracing::instrument(level = "debug", skip_all, fields(session_id))]
pub(crate) async fn revoke_session(
    conn: &mut AnyConnection,
    session_id: &str,
    now: Micros,
) -> sqlx::Result<u64> {
    token_rows::revoke_session(conn, Table::Access, session_id, now).await
}

/// When the last access token of a session expires (`None`: it never had one).
#[tracing::instrument(level = "debug", skip_all, fields(session_id))]
pub(crate) async fn last_expiry(
    conn: &mut AnyConnection,
    session_id: &str,
) -> sqlx::Result<Option<Micros>> {
    sqlx::query_scalar("SELECT MAX(expires_at) FROM access_tokens WHERE session_id = $1")
        .bind(session_id)
        .fetch_one(conn)
        .await
}

/// The revoked access tokens among `jtis`.
#[tracing::instrument(level = "debug", skip_all, fields(count = jtis.len()))]
pub(crate) async fn revoked_among(
    conn: &mut AnyConnection,
    jtis: &[String],
) -> sqlx::Result<Vec<String>> {
    token_rows::revoked_among(conn, Table::Access, jtis).await
}

/// What the auth layer and introspection need to know about a presented access token.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct AccessState {
    /// Owner of the token.
    pub user_id: String,
    /// Its session.
    pub session_id: String,
    /// Token revoked at.
    pub token_revoked_at: Option<Micros>,
    /// Session revoked at.
    pub session_revoked_at: Option<Micros>,
    /// The owner's current role.
    pub role: String,
    /// Whether the owner is active.
    pub active: Flag,
}

/// The revocation state of access token `jti`, its session and its user, in one query.
#[tracing::instrument(level = "debug", skip_all, fields(jti))]
pub(crate) async fn state(
    conn: &mut AnyConnection,
    jti: &str,
) -> sqlx::Result<Option<AccessState>> {
    sqlx::query_as(
        "SELECT a.user_id, a.session_id, a.revoked_at AS token_revoked_at, \
         s.revoked_at AS session_revoked_at, u.role, u.active \
         FROM access_tokens a JOIN sessions s ON s.id = a.session_id \
         JOIN users u ON u.id = a.user_id WHERE a.jti = $1",
    )
    .bind(jti)
    .fetch_optional(conn)
    .await
}
