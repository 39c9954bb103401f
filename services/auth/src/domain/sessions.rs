//! Sessions (token families) and the token pairs issued in them. Register and Login open a
//! session with its first pair; Refresh issues further pairs with [`issue_pair`].

use shared::time::Micros;
use sqlx::AnyConnection;

use crate::clock::micros;
use crate::domain::Client;
use crate::error::Result;
use crate::store::sessions::{self as store, NewRefreshToken, SessionRow};
use crate::tokens::{Minted, Tokens};

/// A freshly issued access + refresh pair, already recorded.
#[derive(Debug, Clone)]
pub struct IssuedPair {
    /// The access token.
    pub access: Minted,
    /// The refresh token.
    pub refresh: Minted,
    /// The session both belong to.
    pub session_id: String,
}

/// Opens a session for `user_id` (absolute end: now + `STRIDE_SESSION_MAX_AGE`) and issues its
/// first pair, in the caller's transaction.
pub async fn open(
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
        revoke_reason: None,
    };
    store::insert(conn, &session).await?;
    issue_pair(conn, tokens, &session, roles, None, client).await
}

/// Mints a pair in `session` and records both tokens (the refresh token with its parent, IP,
/// user agent and the session's device label; the access token under the refresh token).
/// Expiries never pass the session's absolute end.
pub async fn issue_pair(
    conn: &mut AnyConnection,
    tokens: &Tokens,
    session: &SessionRow,
    roles: Vec<String>,
    parent_jti: Option<&str>,
    client: &Client,
) -> Result<IssuedPair> {
    let refresh = tokens.mint_refresh(&session.user_id, &session.id, session.expires_at)?;
    let access = tokens.mint_access(&session.user_id, &session.id, roles, session.expires_at)?;
    store::insert_refresh(
        conn,
        &NewRefreshToken {
            jti: &refresh.jti,
            session_id: &session.id,
            user_id: &session.user_id,
            parent_jti,
            issued_at: refresh.issued_at,
            expires_at: refresh.expires_at,
            ip: &client.ip,
            user_agent: &client.user_agent,
            device_label: &session.device_label,
        },
    )
    .await?;
    store::insert_access(
        conn,
        &access.jti,
        &session.id,
        &refresh.jti,
        &session.user_id,
        access.issued_at,
        access.expires_at,
    )
    .await?;
    Ok(IssuedPair {
        access,
        refresh,
        session_id: session.id.clone(),
    })
}
