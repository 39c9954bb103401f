//! What `ExportMyData` reads: every row of a user, table by table, in keyset pages (by the
//! primary key), so an export of any size holds one page at a time. Secrets (password hash,
//! TOTP secret, digests of tokens and codes) are never selected.

use serde::Serialize;
use shared::time::Micros;
use sqlx::AnyConnection;

/// A session of the user.
#[derive(Debug, Serialize, sqlx::FromRow)]
pub(crate) struct SessionRow {
    /// Session id.
    pub id: String,
    /// Device label given at sign-in.
    pub device_label: String,
    /// Client address at sign-in.
    pub ip: String,
    /// Client user agent at sign-in.
    pub user_agent: String,
    /// Sign-in time.
    pub created_at: Micros,
    /// Last refresh.
    pub last_refreshed_at: Option<Micros>,
    /// Absolute end.
    pub expires_at: Micros,
    /// Revocation time.
    pub revoked_at: Option<Micros>,
    /// Why it was revoked.
    pub revoke_reason: Option<String>,
}

/// A refresh token of the user (its id and life, never the token).
#[derive(Debug, Serialize, sqlx::FromRow)]
pub(crate) struct RefreshTokenRow {
    /// Token id.
    pub jti: String,
    /// Its session.
    pub session_id: String,
    /// The token it was rotated from.
    pub parent_jti: Option<String>,
    /// Issue time.
    pub issued_at: Micros,
    /// Expiry.
    pub expires_at: Micros,
    /// Rotation time.
    pub rotated_at: Option<Micros>,
    /// Revocation time.
    pub revoked_at: Option<Micros>,
    /// Client address that obtained it.
    pub ip: String,
    /// Client user agent that obtained it.
    pub user_agent: String,
}

/// An access token of the user (its id and life, never the token).
#[derive(Debug, Serialize, sqlx::FromRow)]
pub(crate) struct AccessTokenRow {
    /// Token id.
    pub jti: String,
    /// Its session.
    pub session_id: String,
    /// The refresh token issued with it.
    pub refresh_jti: String,
    /// Issue time.
    pub issued_at: Micros,
    /// Expiry.
    pub expires_at: Micros,
    /// Revocation time.
    pub revoked_at: Option<Micros>,
}

/// A security event about the user.
#[derive(Debug, Serialize, sqlx::FromRow)]
pub(crate) struct EventRow {
    /// Event id.
    pub id: String,
    /// What happened.
    pub event_type: String,
    /// The session concerned.
    pub session_id: Option<String>,
    /// Client address.
    pub ip: String,
    /// Client user agent.
    pub user_agent: String,
    /// Detail.
    pub detail: String,
    /// When.
    pub created_at: Micros,
}

/// An address the user signed in from (lockout counts only its failures).
#[derive(Debug, Serialize, sqlx::FromRow)]
pub(crate) struct KnownClientRow {
    /// Address or IPv6 /64.
    pub bucket: String,
    /// Last sign-in from it.
    pub last_seen: Micros,
}

/// A page of one table: the statement's columns, after `after` by key, at most `limit`.
macro_rules! page {
    ($name:ident, $row:ty, $sql:literal) => {
        #[doc = concat!("A page of the user's rows: `", $sql, "`.")]
        #[tracing::instrument(level = "debug", skip_all)]
        pub(crate) async fn $name(
            conn: &mut AnyConnection,
            user_id: &str,
            after: &str,
            limit: i64,
        ) -> sqlx::Result<Vec<$row>> {
            sqlx::query_as($sql)
                .bind(user_id)
                .bind(after)
                .bind(limit)
                .fetch_all(conn)
                .await
        }
    };
}

page!(
    sessions,
    SessionRow,
    "SELECT id, device_label, ip, user_agent, created_at, last_refreshed_at, expires_at, \
     revoked_at, revoke_reason FROM sessions WHERE user_id = $1 AND id > $2 ORDER BY id LIMIT $3"
);
page!(
    refresh_tokens,
    RefreshTokenRow,
    "SELECT jti, session_id, parent_jti, issued_at, expires_at, rotated_at, revoked_at, ip, \
     user_agent FROM refresh_tokens WHERE user_id = $1 AND jti > $2 ORDER BY jti LIMIT $3"
);
page!(
    access_tokens,
    AccessTokenRow,
    "SELECT jti, session_id, refresh_jti, issued_at, expires_at, revoked_at FROM access_tokens \
     WHERE user_id = $1 AND jti > $2 ORDER BY jti LIMIT $3"
);
page!(
    security_events,
    EventRow,
    "SELECT id, event_type, session_id, ip, user_agent, detail, created_at FROM security_events \
     WHERE user_id = $1 AND id > $2 ORDER BY id LIMIT $3"
);
page!(
    known_clients,
    KnownClientRow,
    "SELECT bucket, last_seen FROM known_clients WHERE user_id = $1 AND bucket > $2 \
     ORDER BY bucket LIMIT $3"
);

/// The user's avatar: media type and bytes.
#[tracing::instrument(level = "debug", skip_all)]
pub(crate) async fn avatar(
    conn: &mut AnyConnection,
    user_id: &str,
) -> sqlx::Result<Option<(String, Vec<u8>)>> {
    sqlx::query_as("SELECT content_type, image FROM avatars WHERE user_id = $1")
        .bind(user_id)
        .fetch_optional(conn)
        .await
}
