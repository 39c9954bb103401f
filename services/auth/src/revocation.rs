//! The write side of revocation (SPEC §4): revoke one token, one session, or every session of
//! a user, inside the caller's transaction. Each revocation flags the rows and appends a
//! sequenced event to `revocation_events` (the feed `WatchRevocations` serves).
//!
//! The sequence is taken with `UPDATE revocation_sequence … RETURNING` in the same
//! transaction, whose row lock makes revoking transactions commit in sequence order: a
//! consumer resuming after sequence N can never miss an event committed later with a smaller
//! number. Security events are the caller's business (it knows why it revokes).

use shared::time::Micros;
use sqlx::AnyConnection;

use crate::store::revocation::{self as store, NewEvent};

/// Feed event kind of a single token.
pub const KIND_TOKEN: &str = "TOKEN";
/// Feed event kind of a whole session.
pub const KIND_SESSION: &str = "SESSION";

/// A session this call revoked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevokedSession {
    /// Session id.
    pub session_id: String,
    /// Owner.
    pub user_id: String,
    /// The feed sequence of its event.
    pub sequence: i64,
}

/// Revokes session `session_id` and all its tokens, appending a SESSION feed event (expiring
/// with the session). `None` when it was already revoked (idempotent) or does not exist.
pub async fn revoke_session(
    conn: &mut AnyConnection,
    session_id: &str,
    reason: &str,
    now: Micros,
) -> sqlx::Result<Option<RevokedSession>> {
    let Some((user_id, expires_at)) =
        store::revoke_session_row(conn, session_id, reason, now).await?
    else {
        return Ok(None);
    };
    store::revoke_session_refresh_tokens(conn, session_id, now).await?;
    store::revoke_session_access_tokens(conn, session_id, now).await?;
    let sequence = store::next_sequence(conn).await?;
    store::insert_event(
        conn,
        &NewEvent {
            sequence,
            kind: KIND_SESSION,
            jti: None,
            session_id,
            user_id: &user_id,
            revoked_at: now,
            expires_at,
        },
    )
    .await?;
    Ok(Some(RevokedSession {
        session_id: session_id.to_owned(),
        user_id,
        sequence,
    }))
}

/// Revokes every not-yet-revoked session of `user_id` except `keep` (the caller's current
/// session, if it should survive), one feed event each. Returns what it revoked.
pub async fn revoke_user_sessions(
    conn: &mut AnyConnection,
    user_id: &str,
    keep: Option<&str>,
    reason: &str,
    now: Micros,
) -> sqlx::Result<Vec<RevokedSession>> {
    let mut revoked = Vec::new();
    for session_id in store::unrevoked_sessions(conn, user_id).await? {
        if keep == Some(session_id.as_str()) {
            continue;
        }
        if let Some(done) = revoke_session(conn, &session_id, reason, now).await? {
            revoked.push(done);
        }
    }
    Ok(revoked)
}

/// A token this call revoked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevokedToken {
    /// Token id.
    pub jti: String,
    /// Its session.
    pub session_id: String,
    /// Owner.
    pub user_id: String,
    /// The feed sequence of its event.
    pub sequence: i64,
}

/// Revokes one access or refresh token by `jti`, appending a TOKEN feed event (expiring with
/// the token). `None` when it was already revoked or does not exist. Only that token: what a
/// refresh token's revocation implies for its successors is the caller's decision.
pub async fn revoke_token(
    conn: &mut AnyConnection,
    jti: &str,
    now: Micros,
) -> sqlx::Result<Option<RevokedToken>> {
    let row = match store::revoke_access_token_row(conn, jti, now).await? {
        Some(row) => Some(row),
        None => store::revoke_refresh_token_row(conn, jti, now).await?,
    };
    let Some((session_id, user_id, expires_at)) = row else {
        return Ok(None);
    };
    let sequence = store::next_sequence(conn).await?;
    store::insert_event(
        conn,
        &NewEvent {
            sequence,
            kind: KIND_TOKEN,
            jti: Some(jti),
            session_id: &session_id,
            user_id: &user_id,
            revoked_at: now,
            expires_at,
        },
    )
    .await?;
    Ok(Some(RevokedToken {
        jti: jti.to_owned(),
        session_id,
        user_id,
        sequence,
    }))
}
