//! `Refresh` (rotation with reuse detection) and `Logout`.
//!
//! # Rotation
//! The presented refresh token is marked rotated by one conditional update (`… WHERE
//! rotated_at IS NULL AND revoked_at IS NULL AND expires_at > now RETURNING …`) and a new
//! pair is issued in the same session with the presented token as its parent, all in one
//! transaction together with `sessions.last_refreshed_at` and a `TOKEN_REFRESHED` event. The
//! new refresh token expires after `STRIDE_REFRESH_TOKEN_TTL` (idle lifetime) or at the
//! session's absolute end, whichever is first, so no refresh extends a session past
//! `STRIDE_SESSION_MAX_AGE`. The user must still be active.
//!
//! On SQLite the new pair is signed before the transaction, from an unlocked read of the
//! session and the user's role, and used only if the transaction finds both unchanged under
//! its lock (it signs again otherwise): the transaction, which holds the one writer's turn,
//! holds statements only.
//!
//! # Reuse
//! A rotated refresh token presented again is reuse (RFC 9700 §4.14.2): the whole session is
//! revoked (every refresh and access token, one SESSION feed event), one
//! `REFRESH_TOKEN_REUSE` security event is recorded, both committed, and the caller gets
//! UNAUTHENTICATED with reason `REFRESH_TOKEN_REUSED`.
//!
//! # Grace (`STRIDE_REFRESH_REUSE_GRACE`, default 0)
//! A rotated token `P` presented again no later than `grace` after its own rotation is
//! admitted only while `P` is the **immediate predecessor of the session's active refresh
//! token**, i.e. while `P`'s child `C` is still unrotated, unrevoked and unexpired. Then `C`
//! is rotated in turn and the new pair is issued as `C`'s child, so the chain stays linear
//! (`P → C → new`) and a session never has two active refresh tokens; `C` will never be
//! usable again. Anything older than the immediate predecessor, or presented after the
//! window, is reuse. Each predecessor thus gets at most one grace retry, since that retry
//! makes it two steps behind.
//!
//! # Concurrency
//! N concurrent refreshes with one token: exactly one wins the conditional update. The others
//! present a token that is by then rotated, and get exactly what a later presentation would:
//! - grace 0: reuse. The session is revoked, the winner's fresh pair included; one
//!   `REFRESH_TOKEN_REUSE` event is recorded (by whichever loser revoked it). A client that
//!   refreshes one token twice at once is indistinguishable from a thief racing it.
//! - inside a grace window: the first loser to reach the winner's still-active child takes the
//!   grace path (a second success, rotating that child); every further loser finds the
//!   presented token two steps behind, which is reuse. So at most two succeed, and with three
//!   or more concurrent presentations the session ends revoked.
//!
//! In every case the session never holds two active refresh tokens and never forks.

use std::time::Duration;

use shared::db::{Backend, Db, Tx};
use shared::time::Micros;

use crate::clock::{Clock, micros};
use crate::config::TestHooks;
use crate::domain::issuance::{self, IssuedPair, MintedPair};
use crate::domain::revocation;
use crate::domain::security_events::{self, EventType, SecurityEvent};
use crate::domain::{Client, Role};
use crate::error::{Error, Result};
use crate::feed::FeedNotifier;
use crate::store::{refresh_tokens, sessions};
use crate::tokens::{RefreshClaims, Tokens};

/// `revoke_reason` of a session ended by reuse detection.
const REUSE_REASON: &str = "refresh token reuse";

/// What a rotation works with: the database, token signing, "now", the feed, how long a
/// rotated token may still be retried (`STRIDE_REFRESH_REUSE_GRACE`) and the test hooks.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rotation<'a> {
    pub db: &'a Db,
    pub tokens: &'a Tokens,
    pub clock: &'a Clock,
    pub feed: &'a FeedNotifier,
    pub grace: Duration,
    pub hooks: &'a TestHooks,
}

/// Rotates `token` into a new pair in the same session (see the module docs).
#[tracing::instrument(level = "debug", skip_all, fields(user_id, session_id))]
pub(crate) async fn refresh(
    with: Rotation<'_>,
    token: &str,
    client: &Client,
) -> Result<IssuedPair> {
    let Rotation {
        db,
        tokens,
        clock,
        feed,
        grace,
        hooks,
    } = with;
    let claims = tokens.verify_refresh(token).await?;
    let span = tracing::Span::current();
    span.record("user_id", claims.sub.as_str());
    span.record("session_id", claims.sid.as_str());
    let now = clock.now();
    // On SQLite, sign the new pair before the transaction, for the session and role as they
    // are now; the transaction uses it only if it finds them unchanged under the lock
    // (otherwise it signs again), so the single writer waits for statements, not signatures.
    // PostgreSQL's row locks let rotations of different sessions overlap: the read would only
    // add a round trip there.
    let premint = match db.backend() {
        Backend::Sqlite => premint(db, tokens, &claims, now).await?,
        Backend::Postgres => None,
    };
    let mut tx = db.begin().await?;
    // Session first, token second: the lock order every revocation uses.
    let sessions::WithUser {
        session,
        role,
        active,
    } = sessions::lock_with_user(&mut tx, &claims.sid)
        .await?
        .ok_or(Error::Unauthenticated("INVALID_TOKEN"))?;
    if session.user_id != claims.sub {
        return Err(Error::Unauthenticated("INVALID_TOKEN"));
    }
    let (parent, grace_of) = match refresh_tokens::rotate(&mut tx, &claims.jti, now).await? {
        Some(session_id) if session_id == claims.sid => (claims.jti.clone(), None),
        // A well-signed token whose row names another session was not minted here.
        Some(_) => return Err(Error::Unauthenticated("INVALID_TOKEN")),
        None => match not_rotated(&mut tx, grace, &claims, now).await? {
            Rejection::Grace(child) => (child, Some(claims.jti.clone())),
            Rejection::Refused(err) => return Err(err),
            Rejection::Reuse => {
                if revocation::revoke_session(&mut tx, feed, &claims.sid, REUSE_REASON, now).await?
                {
                    let event = SecurityEvent::new(EventType::RefreshTokenReuse)
                        .user(&claims.sub)
                        .session(&claims.sid)
                        .by(client)
                        .detail(format!(
                            "rotated refresh token {} presented again; session revoked",
                            claims.jti
                        ));
                    security_events::record(&mut tx, &event, now).await?;
                    tx.commit().await?;
                    tracing::warn!(
                        jti = %claims.jti,
                        session_id = %claims.sid,
                        user_id = %claims.sub,
                        "refresh token reuse: session revoked"
                    );
                }
                return Err(Error::Unauthenticated("REFRESH_TOKEN_REUSED"));
            }
        },
    };
    hooks.after_rotation().await;
    if session.revoked_at.is_some() {
        return Err(Error::Unauthenticated("TOKEN_REVOKED"));
    }
    if session.expires_at <= now {
        return Err(Error::Unauthenticated("SESSION_EXPIRED"));
    }
    if !active.0 {
        return Err(Error::Unauthenticated("USER_INACTIVE"));
    }
    let roles = Role::stored(&role)?.claims();
    let pair = match premint {
        Some(pair) if pair.fits(&session, &roles) => pair,
        _ => issuance::mint_pair(
            tokens,
            &session.user_id,
            &session.id,
            session.expires_at,
            roles,
        )?,
    };
    let pair = issuance::record_pair(&mut tx, pair, &session, Some(&parent), client).await?;
    sessions::touch(&mut tx, &session.id, now).await?;
    let detail = match &grace_of {
        None => format!("refresh token {parent} rotated into {}", pair.refresh.jti),
        Some(predecessor) => format!(
            "grace retry of {predecessor}: its successor {parent} rotated into {}",
            pair.refresh.jti
        ),
    };
    let event = SecurityEvent::new(EventType::TokenRefreshed)
        .user(&session.user_id)
        .session(&session.id)
        .by(client)
        .detail(detail);
    security_events::record(&mut tx, &event, now).await?;
    tx.commit().await?;
    Ok(pair)
}

/// The pair a successful rotation of `claims` would issue, signed from an unlocked read of
/// its session; `None` when that read already shows the rotation cannot succeed (the
/// transaction then finds out why, with the same answers as ever).
async fn premint(
    db: &Db,
    tokens: &Tokens,
    claims: &RefreshClaims,
    now: Micros,
) -> Result<Option<MintedPair>> {
    let mut conn = db.read().await?;
    let Some(found) = sessions::peek_with_user(&mut conn, &claims.sid).await? else {
        return Ok(None);
    };
    drop(conn);
    let session = &found.session;
    let usable = session.user_id == claims.sub
        && session.revoked_at.is_none()
        && session.expires_at > now
        && found.active.0;
    let Some(role) = Role::parse(&found.role).filter(|_| usable) else {
        return Ok(None);
    };
    let pair = issuance::mint_pair(
        tokens,
        &session.user_id,
        &session.id,
        session.expires_at,
        role.claims(),
    )?;
    Ok(Some(pair))
}

/// Why the conditional update did not rotate the presented token.
enum Rejection {
    /// Inside the grace window as the immediate predecessor: its child (now rotated) is the
    /// parent of the new pair.
    Grace(String),
    /// Reuse: revoke the session.
    Reuse,
    /// Refused without side effects.
    Refused(Error),
}

/// Classifies a presented token the conditional update did not rotate.
async fn not_rotated(
    tx: &mut Tx,
    grace: Duration,
    claims: &RefreshClaims,
    now: Micros,
) -> Result<Rejection> {
    let Some(row) = refresh_tokens::get(tx, &claims.jti).await? else {
        return Ok(Rejection::Refused(Error::Unauthenticated("INVALID_TOKEN")));
    };
    if row.session_id != claims.sid || row.user_id != claims.sub {
        return Ok(Rejection::Refused(Error::Unauthenticated("INVALID_TOKEN")));
    }
    if row.revoked_at.is_some() {
        return Ok(Rejection::Refused(Error::Unauthenticated("TOKEN_REVOKED")));
    }
    let Some(rotated_at) = row.rotated_at else {
        // Neither rotated nor revoked, so past its expiry (inside the verifier's leeway,
        // which covers clock skew between servers, not this server's own rows).
        return Ok(Rejection::Refused(Error::Unauthenticated("TOKEN_EXPIRED")));
    };
    let grace = micros(grace);
    if grace > 0
        && now.saturating_sub(rotated_at) <= grace
        && let Some(child) = refresh_tokens::rotate_child(tx, &claims.jti, now).await?
    {
        return Ok(Rejection::Grace(child));
    }
    Ok(Rejection::Reuse)
}

/// Ends the session of `token` (any verified refresh token of it, rotated or not), with a
/// `LOGOUT` event. Idempotent: an already revoked session is success without a new event.
#[tracing::instrument(level = "debug", skip_all, fields(user_id, session_id))]
pub(crate) async fn logout(
    db: &Db,
    tokens: &Tokens,
    clock: &Clock,
    feed: &FeedNotifier,
    token: &str,
    client: &Client,
) -> Result<()> {
    let claims = tokens.verify_refresh(token).await?;
    let span = tracing::Span::current();
    span.record("user_id", claims.sub.as_str());
    span.record("session_id", claims.sid.as_str());
    let now = clock.now();
    let mut tx = db.begin().await?;
    let row = refresh_tokens::get(&mut tx, &claims.jti)
        .await?
        .filter(|row| row.session_id == claims.sid && row.user_id == claims.sub)
        .ok_or(Error::Unauthenticated("INVALID_TOKEN"))?;
    if !revocation::revoke_session(&mut tx, feed, &row.session_id, "logout", now).await? {
        return Ok(());
    }
    let event = SecurityEvent::new(EventType::Logout)
        .user(&row.user_id)
        .session(&row.session_id)
        .by(client);
    security_events::record(&mut tx, &event, now).await?;
    tx.commit().await?;
    Ok(())
}
