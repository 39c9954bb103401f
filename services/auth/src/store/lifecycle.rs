//! SQL of the token lifecycle: rotation, the rows behind token trees and session lists, and
//! the lookups of introspection and `CheckRevocation`.

use shared::db::Flag;
use shared::time::Micros;
use sqlx::AnyConnection;

use crate::store::sessions::SessionRow;

/// Locks session `session_id` for the rest of the transaction and reads it.
///
/// A no-op update rather than `SELECT … FOR UPDATE` (which SQLite lacks). Refresh locks the
/// session before its token, the same order as every revocation (session, then tokens), so
/// a refresh racing a revocation on PostgreSQL waits instead of deadlocking.
#[tracing::instrument(skip_all, fields(session_id))]
pub async fn lock_session(
    conn: &mut AnyConnection,
    session_id: &str,
) -> sqlx::Result<Option<SessionRow>> {
    sqlx::query_as(
        "UPDATE sessions SET last_refreshed_at = last_refreshed_at WHERE id = $1 \
         RETURNING id, user_id, device_label, ip, user_agent, created_at, last_refreshed_at, \
         expires_at, revoked_at, revoke_reason",
    )
    .bind(session_id)
    .fetch_optional(conn)
    .await
}

/// Records a successful refresh on the session.
#[tracing::instrument(skip_all, fields(session_id))]
pub async fn touch_session(
    conn: &mut AnyConnection,
    session_id: &str,
    now: Micros,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE sessions SET last_refreshed_at = $2 WHERE id = $1")
        .bind(session_id)
        .bind(now)
        .execute(conn)
        .await
        .map(|_| ())
}

/// Marks refresh token `jti` rotated if it is still usable (not rotated, not revoked, not
/// expired): the one statement that decides which of several concurrent refreshes wins.
/// Returns its session when this call rotated it.
#[tracing::instrument(skip_all, fields(jti))]
pub async fn rotate(
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
#[tracing::instrument(skip_all, fields(parent_jti))]
pub async fn rotate_child(
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

/// A stored refresh token.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RefreshRow {
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

const REFRESH_COLUMNS: &str = "jti, session_id, user_id, parent_jti, issued_at, expires_at, \
                               rotated_at, revoked_at, ip, user_agent, device_label";

/// One refresh token by jti.
#[tracing::instrument(skip_all, fields(jti))]
pub async fn refresh_token(
    conn: &mut AnyConnection,
    jti: &str,
) -> sqlx::Result<Option<RefreshRow>> {
    sqlx::query_as(&format!(
        "SELECT {REFRESH_COLUMNS} FROM refresh_tokens WHERE jti = $1"
    ))
    .bind(jti)
    .fetch_optional(conn)
    .await
}

/// Every refresh token of a session, oldest first.
#[tracing::instrument(skip_all, fields(session_id))]
pub async fn session_refresh_tokens(
    conn: &mut AnyConnection,
    session_id: &str,
) -> sqlx::Result<Vec<RefreshRow>> {
    sqlx::query_as(&format!(
        "SELECT {REFRESH_COLUMNS} FROM refresh_tokens WHERE session_id = $1 \
         ORDER BY issued_at, jti"
    ))
    .bind(session_id)
    .fetch_all(conn)
    .await
}

/// A stored access token.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AccessRow {
    /// Token id.
    pub jti: String,
    /// The refresh token issued with it.
    pub refresh_jti: String,
    /// Issue time.
    pub issued_at: Micros,
    /// Expiry.
    pub expires_at: Micros,
    /// Revocation time, if revoked.
    pub revoked_at: Option<Micros>,
}

/// Every access token of a session, oldest first.
#[tracing::instrument(skip_all, fields(session_id))]
pub async fn session_access_tokens(
    conn: &mut AnyConnection,
    session_id: &str,
) -> sqlx::Result<Vec<AccessRow>> {
    sqlx::query_as(
        "SELECT jti, refresh_jti, issued_at, expires_at, revoked_at FROM access_tokens \
         WHERE session_id = $1 ORDER BY issued_at, jti",
    )
    .bind(session_id)
    .fetch_all(conn)
    .await
}

/// Whose token `jti` is: `(is_refresh, session_id, user_id)`, access or refresh.
#[tracing::instrument(skip_all, fields(jti))]
pub async fn token_owner(
    conn: &mut AnyConnection,
    jti: &str,
) -> sqlx::Result<Option<(Flag, String, String)>> {
    sqlx::query_as(
        "SELECT CAST(0 AS BIGINT) AS is_refresh, session_id, user_id FROM access_tokens \
         WHERE jti = $1 \
         UNION ALL SELECT CAST(1 AS BIGINT), session_id, user_id FROM refresh_tokens \
         WHERE jti = $1",
    )
    .bind(jti)
    .fetch_optional(conn)
    .await
}

/// `(role, active)` of a user.
#[tracing::instrument(skip_all, fields(user_id))]
pub async fn user_role(
    conn: &mut AnyConnection,
    user_id: &str,
) -> sqlx::Result<Option<(String, Flag)>> {
    sqlx::query_as("SELECT role, active FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_optional(conn)
        .await
}

/// What introspection needs to know about a refresh token beyond its signature.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RefreshState {
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
#[tracing::instrument(skip_all, fields(jti))]
pub async fn refresh_state(
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

/// `$1, $2, …, $n`: placeholders for a list of `n` bound values (never the values
/// themselves, so no user text reaches the SQL).
fn placeholders(n: usize) -> String {
    (1..=n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The revoked access tokens among `jtis` (at most a few hundred per call).
#[tracing::instrument(skip_all, fields(count = jtis.len()))]
pub async fn revoked_access_tokens(
    conn: &mut AnyConnection,
    jtis: &[String],
) -> sqlx::Result<Vec<String>> {
    revoked_among(
        conn,
        "SELECT jti FROM access_tokens WHERE revoked_at IS NOT NULL AND jti IN",
        jtis,
    )
    .await
}

/// The revoked refresh tokens among `jtis`.
#[tracing::instrument(skip_all, fields(count = jtis.len()))]
pub async fn revoked_refresh_tokens(
    conn: &mut AnyConnection,
    jtis: &[String],
) -> sqlx::Result<Vec<String>> {
    revoked_among(
        conn,
        "SELECT jti FROM refresh_tokens WHERE revoked_at IS NOT NULL AND jti IN",
        jtis,
    )
    .await
}

/// The revoked sessions among `sids`.
#[tracing::instrument(skip_all, fields(count = sids.len()))]
pub async fn revoked_sessions(
    conn: &mut AnyConnection,
    sids: &[String],
) -> sqlx::Result<Vec<String>> {
    revoked_among(
        conn,
        "SELECT id FROM sessions WHERE revoked_at IS NOT NULL AND id IN",
        sids,
    )
    .await
}

/// Runs `select_in` (a fixed query ending in `IN`) over `ids`, each bound as a parameter.
async fn revoked_among(
    conn: &mut AnyConnection,
    select_in: &'static str,
    ids: &[String],
) -> sqlx::Result<Vec<String>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!("{select_in} ({})", placeholders(ids.len()));
    let mut query = sqlx::query_scalar(&sql);
    for id in ids {
        query = query.bind(id);
    }
    query.fetch_all(conn).await
}

/// A session with the expiry of the tip of its refresh chain.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OwnSessionRow {
    /// The session.
    #[sqlx(flatten)]
    pub session: SessionRow,
    /// Expiry of its usable (unrotated, unrevoked) refresh token, the tip of its chain; `None`
    /// when the user revoked the chain, so the session can never be refreshed again.
    pub live_until: Option<Micros>,
}

/// A page of a user's sessions, newest first, after the keyset `(created_at, id)` if given.
#[tracing::instrument(skip_all, fields(user_id))]
pub async fn list_sessions(
    conn: &mut AnyConnection,
    user_id: &str,
    after: Option<(Micros, &str)>,
    limit: i64,
) -> sqlx::Result<Vec<OwnSessionRow>> {
    // Without a position the keyset starts above every row.
    let (created_at, id) = after.unwrap_or((i64::MAX, ""));
    sqlx::query_as(
        "SELECT s.id, s.user_id, s.device_label, s.ip, s.user_agent, s.created_at, \
         s.last_refreshed_at, s.expires_at, s.revoked_at, s.revoke_reason, \
         (SELECT MAX(r.expires_at) FROM refresh_tokens r \
          WHERE r.session_id = s.id AND r.revoked_at IS NULL AND r.rotated_at IS NULL) \
         AS live_until \
         FROM sessions s WHERE s.user_id = $1 \
         AND (s.created_at < $2 OR (s.created_at = $2 AND s.id < $3)) \
         ORDER BY s.created_at DESC, s.id DESC LIMIT $4",
    )
    .bind(user_id)
    .bind(created_at)
    .bind(id)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// One of the user's sessions with its live refresh expiry; `None` if it is not theirs.
#[tracing::instrument(skip_all, fields(session_id))]
pub async fn own_session(
    conn: &mut AnyConnection,
    user_id: &str,
    session_id: &str,
) -> sqlx::Result<Option<OwnSessionRow>> {
    sqlx::query_as(
        "SELECT s.id, s.user_id, s.device_label, s.ip, s.user_agent, s.created_at, \
         s.last_refreshed_at, s.expires_at, s.revoked_at, s.revoke_reason, \
         (SELECT MAX(r.expires_at) FROM refresh_tokens r \
          WHERE r.session_id = s.id AND r.revoked_at IS NULL AND r.rotated_at IS NULL) \
         AS live_until \
         FROM sessions s WHERE s.id = $1 AND s.user_id = $2",
    )
    .bind(session_id)
    .bind(user_id)
    .fetch_optional(conn)
    .await
}
