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

/// Mints a pair in `session` and records both tokens (see [`record_pair`]).
pub(crate) async fn issue_pair(
    conn: &mut AnyConnection,
    tokens: &Tokens,
    session: &SessionRow,
    roles: Vec<String>,
    parent_jti: Option<&str>,
    client: &Client,
) -> Result<IssuedPair> {
    let pair = mint_pair(
        tokens,
        &session.user_id,
        &session.id,
        session.expires_at,
        roles,
    )?;
    record_pair(conn, pair, session, parent_jti, client).await
}

/// A signed pair not yet recorded, and what it was signed for: a pair minted before its
/// transaction began is used only if the transaction finds the same session end and roles.
#[derive(Debug)]
pub(crate) struct MintedPair {
    access: Minted,
    refresh: Minted,
    user_id: String,
    session_id: String,
    session_expires_at: Micros,
    roles: Vec<String>,
}

impl MintedPair {
    /// True when the pair is exactly what minting for `session` with `roles` would give now
    /// (up to the clock): same user, session, session end and roles.
    pub(crate) fn fits(&self, session: &SessionRow, roles: &[String]) -> bool {
        self.user_id == session.user_id
            && self.session_id == session.id
            && self.session_expires_at == session.expires_at
            && self.roles == roles
    }
}

/// Signs a pair for `user_id` in `session_id`; expiries never pass the session's end.
/// Signing needs no database: callers do it before their transaction where they can, so the
/// single SQLite writer waits only for statements.
pub(crate) fn mint_pair(
    tokens: &Tokens,
    user_id: &str,
    session_id: &str,
    session_expires_at: Micros,
    roles: Vec<String>,
) -> Result<MintedPair> {
    let refresh = tokens.mint_refresh(user_id, session_id, session_expires_at)?;
    let access = tokens.mint_access(user_id, session_id, roles.clone(), session_expires_at)?;
    Ok(MintedPair {
        access,
        refresh,
        user_id: user_id.to_owned(),
        session_id: session_id.to_owned(),
        session_expires_at,
        roles,
    })
}

/// Records both tokens of `pair` in `session` (the refresh token with its parent, IP, user
/// agent and the session's device label; the access token under the refresh token).
pub(crate) async fn record_pair(
    conn: &mut AnyConnection,
    pair: MintedPair,
    session: &SessionRow,
    parent_jti: Option<&str>,
    client: &Client,
) -> Result<IssuedPair> {
    let MintedPair {
        access, refresh, ..
    } = pair;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn minted(jti: &str) -> Minted {
        Minted {
            token: String::new(),
            jti: jti.to_owned(),
            issued_at: 0,
            expires_at: 10,
        }
    }

    fn session(user_id: &str, id: &str, expires_at: Micros) -> SessionRow {
        SessionRow {
            id: id.to_owned(),
            user_id: user_id.to_owned(),
            device_label: String::new(),
            ip: String::new(),
            user_agent: String::new(),
            created_at: 0,
            last_refreshed_at: None,
            expires_at,
            revoked_at: None,
        }
    }

    #[test]
    fn a_pair_signed_ahead_fits_only_the_same_user_session_end_and_roles() {
        let pair = MintedPair {
            access: minted("a"),
            refresh: minted("r"),
            user_id: "u".into(),
            session_id: "s".into(),
            session_expires_at: 100,
            roles: vec!["user".into()],
        };
        let user = vec!["user".to_owned()];
        assert!(pair.fits(&session("u", "s", 100), &user));
        // The role changed between the read and the lock: sign again.
        assert!(!pair.fits(&session("u", "s", 100), &["admin".to_owned()]));
        assert!(!pair.fits(&session("u", "s", 99), &user));
        assert!(!pair.fits(&session("u", "other", 100), &user));
        assert!(!pair.fits(&session("v", "s", 100), &user));
    }
}
