//! The signed-in user's own sessions (`SessionService`): listing, revoking one or all, and
//! revoking single tokens. Another user's session or token is NOT_FOUND, never
//! PERMISSION_DENIED, so ids of others cannot be probed.

use shared::paging;
use shared::time::Micros;

use crate::app::AppState;
use crate::authn::Caller;
use crate::clock::micros;
use crate::domain::Client;
use crate::domain::admin::{Page, PageRequest, Position};
use crate::error::{Error, Result};
use crate::events::{self, EventType, SecurityEvent};
use crate::revocation;
use crate::store::lifecycle::{self as store, OwnSessionRow};

/// Lifecycle status of a session as its owner sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Can still be refreshed.
    Active,
    /// Revoked (logout, the user, an admin, a password change, deactivation, reuse), or every
    /// refresh token of it revoked, so it can never be refreshed again.
    Revoked,
    /// Its newest refresh token expired (idle) or it reached its absolute end.
    Expired,
}

/// The status of a listed session at `now`.
pub fn status(row: &OwnSessionRow, now: Micros) -> Status {
    match row.live_until {
        _ if row.session.revoked_at.is_some() => Status::Revoked,
        None => Status::Revoked,
        Some(until) if until <= now || row.session.expires_at <= now => Status::Expired,
        Some(_) => Status::Active,
    }
}

/// A page of the caller's sessions, newest first.
pub async fn list(
    state: &AppState,
    caller: &Caller,
    page: &PageRequest,
) -> Result<Page<OwnSessionRow>> {
    let mut conn = state.db.pool().acquire().await?;
    let after = page.after.as_ref().map(|p| (p.0, p.1.as_str()));
    let mut rows = store::list_sessions(&mut conn, &caller.user_id, after, page.size + 1).await?;
    let more = i64::try_from(rows.len()).unwrap_or(i64::MAX) > page.size;
    rows.truncate(usize::try_from(page.size).unwrap_or(usize::MAX));
    let next_page_token = match rows.last() {
        Some(last) if more => paging::encode_token(
            &page.fingerprint,
            &Position(last.session.created_at, last.session.id.clone()),
        ),
        _ => String::new(),
    };
    Ok(Page {
        items: rows,
        next_page_token,
    })
}

/// One of the caller's sessions; NOT_FOUND if it is missing or someone else's.
pub async fn get(state: &AppState, caller: &Caller, session_id: &str) -> Result<OwnSessionRow> {
    let mut conn = state.db.pool().acquire().await?;
    store::own_session(&mut conn, &caller.user_id, session_id)
        .await?
        .ok_or(Error::NotFound("session"))
}

fn event(kind: EventType, caller: &Caller, client: &Client) -> SecurityEvent {
    SecurityEvent {
        user_id: Some(caller.user_id.clone()),
        ip: client.ip.clone(),
        user_agent: client.user_agent.clone(),
        ..SecurityEvent::new(kind)
    }
}

/// Revokes one of the caller's sessions and all its tokens (`SESSION_REVOKED`). Idempotent.
#[tracing::instrument(skip_all, fields(session_id))]
pub async fn revoke_session(
    state: &AppState,
    caller: &Caller,
    session_id: &str,
    client: &Client,
) -> Result<()> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    if store::own_session(&mut tx, &caller.user_id, session_id)
        .await?
        .is_none()
    {
        return Err(Error::NotFound("session"));
    }
    let Some(revoked) =
        revocation::revoke_session(&mut tx, session_id, "revoked by the user", now).await?
    else {
        return Ok(());
    };
    events::record(
        &mut tx,
        &SecurityEvent {
            session_id: Some(session_id.to_owned()),
            ..event(EventType::SessionRevoked, caller, client)
        },
        now,
    )
    .await?;
    tx.commit().await?;
    state.feed.published(revoked.sequence);
    Ok(())
}

/// Revokes every not-yet-revoked session of the caller, except the current one when
/// `keep_current` (`ALL_SESSIONS_REVOKED`). Returns how many this call revoked.
#[tracing::instrument(skip_all)]
pub async fn revoke_all(
    state: &AppState,
    caller: &Caller,
    keep_current: bool,
    client: &Client,
) -> Result<usize> {
    let now = state.clock.now();
    let keep = keep_current.then_some(caller.session_id.as_str());
    let mut tx = state.db.begin().await?;
    let revoked = revocation::revoke_user_sessions(
        &mut tx,
        &caller.user_id,
        keep,
        "revoked by the user",
        now,
    )
    .await?;
    if revoked.is_empty() {
        return Ok(0);
    }
    events::record(
        &mut tx,
        &SecurityEvent {
            session_id: keep.map(str::to_owned),
            detail: format!(
                "{} sessions revoked{}",
                revoked.len(),
                if keep_current { "; current kept" } else { "" }
            ),
            ..event(EventType::AllSessionsRevoked, caller, client)
        },
        now,
    )
    .await?;
    tx.commit().await?;
    state.feed.published_all(revoked.iter().map(|r| r.sequence));
    Ok(revoked.len())
}

/// Revokes one of the caller's tokens (`TOKEN_REVOKED`); NOT_FOUND if it is not theirs.
/// Idempotent.
///
/// An access token is revoked alone. A refresh token is revoked together with everything that
/// came after it in its session: its own access tokens, every later refresh token of the
/// chain, and their access tokens (one TOKEN feed event each). Earlier tokens stay valid. As
/// the session's active refresh token is among them, the session can no longer be refreshed
/// and is listed as REVOKED.
#[tracing::instrument(skip_all, fields(jti))]
pub async fn revoke_token(
    state: &AppState,
    caller: &Caller,
    jti: &str,
    client: &Client,
) -> Result<()> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let (is_refresh, session_id, owner) = store::token_owner(&mut tx, jti)
        .await?
        .ok_or(Error::NotFound("token"))?;
    if owner != caller.user_id {
        return Err(Error::NotFound("token"));
    }
    let targets = if is_refresh.0 {
        later_tokens(state, &mut tx, &session_id, jti, now).await?
    } else {
        vec![jti.to_owned()]
    };
    let mut sequences = Vec::new();
    for target in &targets {
        if let Some(done) = revocation::revoke_token(&mut tx, target, now).await? {
            sequences.push(done.sequence);
        }
    }
    if sequences.is_empty() {
        return Ok(());
    }
    events::record(
        &mut tx,
        &SecurityEvent {
            session_id: Some(session_id),
            detail: format!("token {jti} revoked ({} tokens in all)", sequences.len()),
            ..event(EventType::TokenRevoked, caller, client)
        },
        now,
    )
    .await?;
    tx.commit().await?;
    state.feed.published_all(sequences);
    Ok(())
}

/// Refresh token `jti`, its descendants in the session's chain, and the access tokens of all
/// of them, skipping tokens that can no longer verify (expired beyond the leeway).
async fn later_tokens(
    state: &AppState,
    conn: &mut sqlx::AnyConnection,
    session_id: &str,
    jti: &str,
    now: Micros,
) -> Result<Vec<String>> {
    let refresh = store::session_refresh_tokens(conn, session_id).await?;
    let access = store::session_access_tokens(conn, session_id).await?;
    let chain = crate::domain::token_tree::chain(refresh);
    let start = chain
        .iter()
        .position(|r| r.jti == jti)
        .ok_or(Error::NotFound("token"))?;
    let live_after = now.saturating_sub(micros(state.config.tokens.leeway));
    let later: Vec<_> = chain.get(start..).unwrap_or_default().to_vec();
    let mut targets = Vec::new();
    for r in &later {
        if r.revoked_at.is_none() && r.expires_at > live_after {
            targets.push(r.jti.clone());
        }
        targets.extend(
            access
                .iter()
                .filter(|a| a.refresh_jti == r.jti)
                .filter(|a| a.revoked_at.is_none() && a.expires_at > live_after)
                .map(|a| a.jti.clone()),
        );
    }
    Ok(targets)
}
