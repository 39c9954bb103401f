//! `sessions`: token families. A session is born at Register or Login and ends when it is
//! revoked or reaches its absolute end (`expires_at`).

use shared::db::Flag;
use shared::sql::select_ids_in;
use shared::time::Micros;
use sqlx::AnyConnection;

/// The columns of [`SessionRow`], in its field order.
const COLUMNS: &str = "id, user_id, device_label, ip, user_agent, created_at, \
                       last_refreshed_at, expires_at, revoked_at";

/// `live_until` of [`SessionView`]: the expiry of the session's usable refresh token (the tip
/// of its chain), `NULL` when none is usable.
const LIVE_UNTIL: &str = "(SELECT MAX(r.expires_at) FROM refresh_tokens r \
                          WHERE r.session_id = sessions.id AND r.revoked_at IS NULL \
                          AND r.rotated_at IS NULL) AS live_until";

/// A stored session.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct SessionRow {
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
    /// Revocation time, if revoked (why is in `revoke_reason`, for operators).
    pub revoked_at: Option<Micros>,
}

/// A session as listed to its owner or an admin: the row and the expiry of its chain's tip.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct SessionView {
    /// The session.
    #[sqlx(flatten)]
    pub session: SessionRow,
    /// Expiry of its usable (unrotated, unrevoked) refresh token; `None` when the user revoked
    /// the chain, so the session can never be refreshed again.
    pub live_until: Option<Micros>,
}

/// Inserts a session.
#[tracing::instrument(level = "debug", skip_all, fields(session_id = %row.id))]
pub(crate) async fn insert(conn: &mut AnyConnection, row: &SessionRow) -> sqlx::Result<()> {
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

/// Locks session `session_id` for the rest of the transaction and reads it.
///
/// A no-op update rather than `SELECT … FOR UPDATE` (which SQLite lacks). Refresh locks the
/// session before its token, the same order as every revocation (session, then tokens), so a
/// refresh racing a revocation on PostgreSQL waits instead of deadlocking.
#[tracing::instrument(level = "debug", skip_all, fields(session_id))]
pub(crate) async fn lock(
    conn: &mut AnyConnection,
    session_id: &str,
) -> sqlx::Result<Option<SessionRow>> {
    sqlx::query_as(&format!(
        "UPDATE sessions SET last_refreshed_at = last_refreshed_at WHERE id = $1 \
         RETURNING {COLUMNS}"
    ))
    .bind(session_id)
    .fetch_optional(conn)
    .await
}

/// A session with what a refresh needs of its user.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct WithUser {
    /// The session.
    #[sqlx(flatten)]
    pub session: SessionRow,
    /// The user's stored role name.
    pub role: String,
    /// Whether the user is active.
    pub active: Flag,
}

/// The user's role and active flag, as columns of a statement over `sessions`.
const USER_COLUMNS: &str = "(SELECT role FROM users WHERE users.id = sessions.user_id) AS role, \
                            (SELECT active FROM users WHERE users.id = sessions.user_id) AS active";

/// Reads session `session_id` and its user's role without locking anything: what a refresh
/// signs its pair for, before its transaction (which checks it again under the lock).
#[tracing::instrument(level = "debug", skip_all, fields(session_id))]
pub(crate) async fn peek_with_user(
    conn: &mut AnyConnection,
    session_id: &str,
) -> sqlx::Result<Option<WithUser>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS}, {USER_COLUMNS} FROM sessions WHERE id = $1"
    ))
    .bind(session_id)
    .fetch_optional(conn)
    .await
}

/// [`lock`], also reading the user's role and active flag in the same statement.
#[tracing::instrument(level = "debug", skip_all, fields(session_id))]
pub(crate) async fn lock_with_user(
    conn: &mut AnyConnection,
    session_id: &str,
) -> sqlx::Result<Option<WithUser>> {
    sqlx::query_as(&format!(
        "UPDATE sessions SET last_refreshed_at = last_refreshed_at WHERE id = $1 \
         RETURNING {COLUMNS}, {USER_COLUMNS}"
    ))
    .bind(session_id)
    .fetch_optional(conn)
    .await
}

/// Records a successful refresh on the session.
#[tracing::instrument(level = "debug", skip_all, fields(session_id))]
pub(crate) async fn touch(
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

/// Marks a session revoked if it is not already; returns `(user_id, expires_at)` when this
/// call revoked it.
#[tracing::instrument(level = "debug", skip_all, fields(session_id))]
pub(crate) async fn revoke(
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

/// Ids of a user's sessions not yet revoked, oldest first.
#[tracing::instrument(level = "debug", skip_all, fields(user_id))]
pub(crate) async fn unrevoked_of_user(
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

/// The sessions among `ids` that exist and are not revoked.
#[tracing::instrument(level = "debug", skip_all, fields(count = ids.len()))]
pub(crate) async fn live_among(
    conn: &mut AnyConnection,
    ids: &[String],
) -> sqlx::Result<Vec<String>> {
    select_ids_in(
        conn,
        "SELECT id FROM sessions WHERE revoked_at IS NULL AND id IN",
        ids,
    )
    .await
}

/// One of the user's sessions with its live refresh expiry; `None` if it is not theirs.
#[tracing::instrument(level = "debug", skip_all, fields(session_id))]
pub(crate) async fn view(
    conn: &mut AnyConnection,
    user_id: &str,
    session_id: &str,
) -> sqlx::Result<Option<SessionView>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS}, {LIVE_UNTIL} FROM sessions WHERE id = $1 AND user_id = $2"
    ))
    .bind(session_id)
    .bind(user_id)
    .fetch_optional(conn)
    .await
}

/// A page of a user's sessions, newest first, after the keyset `(created_at, id)` if given.
#[tracing::instrument(level = "debug", skip_all, fields(user_id))]
pub(crate) async fn list(
    conn: &mut AnyConnection,
    user_id: &str,
    after: Option<&(Micros, String)>,
    limit: i64,
) -> sqlx::Result<Vec<SessionView>> {
    let sql = match after {
        None => format!(
            "SELECT {COLUMNS}, {LIVE_UNTIL} FROM sessions WHERE user_id = $1 \
             ORDER BY created_at DESC, id DESC LIMIT $2"
        ),
        Some(_) => format!(
            "SELECT {COLUMNS}, {LIVE_UNTIL} FROM sessions WHERE user_id = $1 \
             AND (created_at < $3 OR (created_at = $3 AND id < $4)) \
             ORDER BY created_at DESC, id DESC LIMIT $2"
        ),
    };
    let mut query = sqlx::query_as(&sql).bind(user_id).bind(limit);
    if let Some((created_at, id)) = after {
        query = query.bind(*created_at).bind(id.as_str());
    }
    query.fetch_all(conn).await
}

/// How many sessions are active at `now`: neither revoked nor past their absolute end, with a
/// usable refresh token that has not expired (the `Active` status of a listed session). Reads
/// the unrevoked, unexpired sessions only (`sessions_live_idx`), however many have ended.
#[tracing::instrument(level = "debug", skip_all)]
pub(crate) async fn count_active(conn: &mut AnyConnection, now: Micros) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM sessions WHERE revoked_at IS NULL AND expires_at > $1 \
         AND EXISTS (SELECT 1 FROM refresh_tokens r WHERE r.session_id = sessions.id \
         AND r.revoked_at IS NULL AND r.rotated_at IS NULL AND r.expires_at > $1)",
    )
    .bind(now)
    .fetch_one(conn)
    .await
}

/// When session `session_id` was opened (its sign-in), if it exists.
#[tracing::instrument(level = "debug", skip_all)]
pub(crate) async fn signed_in_at(
    conn: &mut AnyConnection,
    session_id: &str,
) -> sqlx::Result<Option<Micros>> {
    sqlx::query_scalar("SELECT created_at FROM sessions WHERE id = $1")
        .bind(session_id)
        .fetch_optional(conn)
        .await
}

/// Records that session `session_id` passed the second factor at `now`.
#[tracing::instrument(level = "debug", skip_all, fields(session_id))]
pub(crate) async fn mark_mfa_verified(
    conn: &mut AnyConnection,
    session_id: &str,
    now: Micros,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE sessions SET mfa_verified_at = $2 WHERE id = $1")
        .bind(session_id)
        .bind(now)
        .execute(conn)
        .await
        .map(|_| ())
}

/// When session `session_id` last passed the second factor (`None`: never, or no such
/// session).
#[tracing::instrument(level = "debug", skip_all, fields(session_id))]
pub(crate) async fn mfa_verified_at(
    conn: &mut AnyConnection,
    session_id: &str,
) -> sqlx::Result<Option<Micros>> {
    let at: Option<Option<Micros>> =
        sqlx::query_scalar("SELECT mfa_verified_at FROM sessions WHERE id = $1")
            .bind(session_id)
            .fetch_optional(conn)
            .await?;
    Ok(at.flatten())
}
