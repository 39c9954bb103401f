//! Sessions (token families) and the token pairs issued in them. Register and Login open a
//! session with its first pair; Refresh issues further pairs with [`issue_pair`].

use shared::time::Micros;
use sqlx::AnyConnection;

use crate::clock::micros;
use crate::domain::Client;
use crate::error::Result;
use crate::store::access_tokens::{self, AccessRow};
use crate::store::refresh_tokens::{self, RefreshRow};
use crate::store::sessions::{self, SessionRow};
use crate::tokens::{Minted, Tokens};

/// A freshly issued access + refresh pair, already recorded.
#[derive(Debug, Clone)]
pub(crate) struct IssuedPair {
    /// The access token.
    pub access: Minted,
    /// The refresh token.
    pub refresh: Minted,
    /// The session both belong to.
    pub session_id: String,
}

/// Opens a session for `user_id` (absolute end: now + `STRIDE_SESSION_MAX_AGE`) and issues its
/// first pair, in the caller's transaction.
pub(crate) async fn open(
    conn: &mut AnyConnection,
    tokens: &Tokens,
    user_id: &str,
    roles: Vec<String>,
    device_label: &str,
    client: &Client,
    now: Micros,
) -> Result<IssuedPair> {
    let session = SessionRow {
        id: crate::new_id(),
        user_id: user_id.to_owned(),
        device_label: device_label.to_owned(),
        ip: client.ip.clone(),
        user_agent: client.user_agent.clone(),
        created_at: now,
        last_refreshed_at: None,
        expires_at: now.saturating_add(micros(tokens.config().session_max_age)),
        revoked_at: None,
    };
    sessions::insert(conn, &session).await?;
    issue_pair(conn, tokens, &session, roles, None, client).await
}

/// Mints a pair in `session` and records both tokens (the refresh token with its parent, IP,
/// user agent and the session's device label; the access token under the refresh token).
/// Expiries never pass the session's absolute end.
pub(crate) async fn issue_pair(
    conn: &mut AnyConnection,
    tokens: &Tokens,
    session: &SessionRow,
    roles: Vec<String>,
    parent_jti: Option<&str>,
    client: &Client,
) -> Result<IssuedPair> {
    let refresh = tokens.mint_refresh(&session.user_id, &session.id, session.expires_at)?;
    let access = tokens.mint_access(&session.user_id, &session.id, roles, session.expires_at)?;
    refresh_tokens::insert(
        conn,
        &RefreshRow {
            jti: refresh.jti.clone(),
            session_id: session.id.clone(),
            user_id: session.user_id.clone(),
            parent_jti: parent_jti.map(str::to_owned),
            issued_at: refresh.issued_at,
            expires_at: refresh.expires_at,
            rotated_at: None,
            revoked_at: None,
            ip: client.ip.clone(),
            user_agent: client.user_agent.clone(),
            device_label: session.device_label.clone(),
        },
    )
    .await?;
    access_tokens::insert(
        conn,
        &AccessRow {
            jti: access.jti.clone(),
            session_id: session.id.clone(),
            refresh_jti: refresh.jti.clone(),
            user_id: session.user_id.clone(),
            issued_at: access.issued_at,
            expires_at: access.expires_at,
            revoked_at: None,
        },
    )
    .await?;
    Ok(IssuedPair {
        access,
        refresh,
        session_id: session.id.clone(),
    })
}
