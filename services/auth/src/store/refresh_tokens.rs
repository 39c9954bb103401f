//! `refresh_tokens`: every refresh token issued, linked to the one it was rotated from. The
//! conditional updates here decide races (which of several refreshes wins, which revocation
//! takes effect).

use shared::db::Flag;
use shared::time::Micros;
use sqlx::AnyConnection;

use super::token_rows::{self, Table};

/// The columns of [`RefreshRow`], in its field order.
const COLUMNS: &str = "jti, session_id, user_id, parent_jti, issued_at, expires_at, \
                       rotated_at, revoked_at, ip, user_agent, device_label";

/// A stored refresh token.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct RefreshRow {
    /// Token id.
    pub jti: String,
    /// Its session.
    pub session_id: String,
    /// Owner.
    pub user_id: String,
    /// The token it was rotated from.
    pub parent_jti: Option<String>,
    /// Issue time.
    pub issued_at: Micros,
    /// Expiry.
    pub expires_at: Micros,
    /// Rotation time, if rotated.
    pub rotated_at: Option<Micros>,
    /// Revocation time, if revoked.
    pub revoked_at: Option<Micros>,
    /// Client IP of the issuing request.
    pub ip: String,
    /// Client user agent of the issuing request.
    pub user_agent: String,
    /// Device label of the session at issuance.
    pub device_label: String,
}

/// Records an issued refresh token.
#[tracing::instrument(level = "debug", skip_all, fields(jti = %row.jti))]
pub(crate) async fn insert(conn: &mut AnyConnection, row: &RefreshRow) -> sqlx::Result<()> {
    sqlx::query(&format!(
        "INSERT INTO refresh_tokens ({COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
    ))
    .bind(&row.jti)
    .bind(&row.session_id)
    .bind(&row.user_id)
    .bind(row.parent_jti.as_deref())
    .bind(row.issued_at)
    .bind(row.expires_at)
    .bind(row.rotated_at)
    .bind(row.revoked_at)
    .bind(&row.ip)
    .bind(&row.user_agent)
    .bind(&row.device_label)
    .execute(conn)
    .await
    .map(|_| ())
}

/// One refresh token by jti.
#[tracing::instrument(level = "debug", skip_all, fields(jti))]
pub(crate) async fn get(conn: &mut AnyConnection, jti: &str) -> sqlx::Result<Option<RefreshRow>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM refresh_tokens WHERE jti = $1"
    ))
    .bind(jti)
    .fetch_optional(conn)
    .await
}

/// The newest `limit` refresh tokens of a session, newest first.
#[tracing::instrument(level = "debug", skip_all, fields(session_id))]
pub(crate) async fn newest_of_session(
    conn: &mut AnyConnection,
    session_id: &str,
    limit: i64,
) -> sqlx::Result<Vec<RefreshRow>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM refresh_tokens WHERE session_id = $1 \
         ORDER BY issued_at DESC, jti DESC LIMIT $2"
    ))
    .bind(session_id)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Marks refresh token `jti` rotated if it is still usable (not rotated, not revoked, not
/// expired): the one statement that decides which of several concurrent refreshes wins.
/// Returns its session when this call rotated it.
#[tracing::instrument(level = "debug", skip_all, fields(jti))]
pub(crate) async fn rotate(
    conn: &mut AnyConnection,
    jti: &str,
    now: Micros,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "UPDATE refresh_tokens SET rotated_at = $2 \
         WHERE jti = $1 AND rotated_at IS NULL AND revoked_at IS NULL AND expires_at > $2 \
         RETURNING session_id",
    )
    .bind(jti)
    .bind(now)
    .fetch_optional(conn)
    .await
}

/// Marks the usable child of `parent_jti` rotated (the grace path); returns the child's jti
/// when this call rotated it.
#[tracing::instrument(level = "debug", skip_all, fields(parent_jti))]
pub(crate) async fn rotate_child(
    conn: &mut AnyConnection,
    parent_jti: &str,
    now: Micros,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "UPDATE refresh_tokens SET rotated_at = $2 \
         WHERE parent_jti = $1 AND rotated_at IS NULL AND revoked_at IS NULL AND expires_at > $2 \
         RETURNING jti",
    )
    .bind(parent_jti)
    .bind(now)
    .fetch_optional(conn)
    .await
}

/// `(session_id, user_id)` of refresh token `jti`.
#[tracing::instrument(level = "debug", skip_all, fields(jti))]
pub(crate) async fn owner(
    conn: &mut AnyConnection,
    jti: &str,
) -> sqlx::Result<Option<(String, String)>> {
    token_rows::owner(conn, Table::Refresh, jti).await
}

/// Marks refresh token `jti` revoked if it is not already; returns `(session_id, user_id,
/// expires_at)` when this call revoked it.
#[tracing::instrument(level = "debug", skip_all, fields(jti))]
pub(crate) async fn revoke(
    conn: &mut AnyConnection,
    jti: &str,
    now: Micros,
) -> sqlx::Result<Option<(String, String, Micros)>> {
    token_rows::revoke(conn, Table::Refresh, jti, now).await
}

/// The jtis of refresh token `$1` and of every refresh token rotated from it, directly or
/// not: a walk down the (indexed) parent links, as a subquery. `UNION` rather than
/// `UNION ALL`, so even a corrupted cycle of links ends.
pub(crate) const LINE: &str = "WITH RECURSIVE line(jti) AS (\
     SELECT jti FROM refresh_tokens WHERE jti = $1 \
     UNION SELECT r.jti FROM refresh_tokens r JOIN line ON r.parent_jti = line.jti) \
     SELECT jti FROM line";

/// Marks revoked refresh token `jti` and every refresh token rotated from it that is not
/// revoked yet and still verifies after `live_after`, in one statement however long the line;
/// returns how many.
#[tracing::instrument(level = "debug", skip_all, fields(jti))]
pub(crate) async fn revoke_line(
    conn: &mut AnyConnection,
    jti: &str,
    now: Micros,
    live_after: Micros,
) -> sqlx::Result<u64> {
    sqlx::query(&format!(
        "UPDATE refresh_tokens SET revoked_at = $2 \
         WHERE jti IN ({LINE}) AND revoked_at IS NULL AND expires_at > $3"
    ))
    .bind(jti)
    .bind(now)
    .bind(live_after)
    .execute(conn)
    .await
    .map(|r| r.rows_affected())
}

/// Marks every not-yet-revoked refresh token of a session revoked.
#[tracing::instrument(level = "debug", skip_all, fields(session_id))]
pub(crate) async fn revoke_session(
    conn: &mut AnyConnection,
    session_id: &str,
    now: Micros,
) -> sqlx::Result<u64> {
    token_rows::revoke_session(conn, Table::Refresh, session_id, now).await
}

/// The revoked refresh tokens among `jtis`.
#[tracing::instrument(level = "debug", skip_all, fields(count = jtis.len()))]
pub(crate) async fn revoked_among(
    conn: &mut AnyConnection,
    jtis: &[String],
) -> sqlx::Result<Vec<String>> {
    token_rows::revoked_among(conn, Table::Refresh, jtis).await
}

/// What introspection needs to know about a refresh token beyond its signature.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct RefreshState {
    /// Owner.
    pub user_id: String,
    /// Its session.
    pub session_id: String,
    /// Rotation time, if rotated.
    pub rotated_at: Option<Micros>,
    /// Token revoked at.
    pub token_revoked_at: Option<Micros>,
    /// Session revoked at.
    pub session_revoked_at: Option<Micros>,
    /// Whether the owner is active.
    pub active: Flag,
}

/// The state of refresh token `jti`, its session and its user, in one query.
#[tracing::instrument(level = "debug", skip_all, fields(jti))]
pub(crate) async fn state(
    conn: &mut AnyConnection,
    jti: &str,
) -> sqlx::Result<Option<RefreshState>> {
    sqlx::query_as(
        "SELECT r.user_id, r.session_id, r.rotated_at, r.revoked_at AS token_revoked_at, \
         s.revoked_at AS session_revoked_at, u.active \
         FROM refresh_tokens r JOIN sessions s ON s.id = r.session_id \
         JOIN users u ON u.id = r.user_id WHERE r.jti = $1",
    )
    .bind(jti)
    .fetch_optional(conn)
    .await
}
