//! The signed-in user revoking their own sessions and tokens (`RevokeSession`,
//! `RevokeAllSessions`, `RevokeToken`). Another user's session or token is NOT_FOUND, never
//! PERMISSION_DENIED, so ids of others cannot be probed.

use shared::db::Db;

use crate::clock::{Clock, micros};
use crate::domain::caller::Caller;
use crate::domain::security_events::{self, EventType, SecurityEvent};
use crate::domain::{Client, revocation};
use crate::error::{Error, Result};
use crate::feed::FeedNotifier;
use crate::store::{access_tokens, refresh_tokens, sessions};

/// What revoking needs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RevokeOwn<'a> {
    /// The auth database.
    pub db: &'a Db,
    /// "Now".
    pub clock: &'a Clock,
    /// Woken when revocations commit.
    pub feed: &'a FeedNotifier,
    /// The verifiers' clock leeway: a token past its expiry by more can no longer verify
    /// anywhere and needs no revocation.
    pub leeway: std::time::Duration,
}

impl RevokeOwn<'_> {
    /// Revokes one of the caller's sessions and all its tokens (`SESSION_REVOKED`).
    /// Idempotent.
    #[tracing::instrument(skip_all, fields(session_id))]
    pub(crate) async fn session(
        &self,
        caller: &Caller,
        session_id: &str,
        client: &Client,
    ) -> Result<()> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        if sessions::view(&mut tx, &caller.user_id, session_id)
            .await?
            .is_none()
        {
            return Err(Error::NotFound("session"));
        }
        if !revocation::revoke_session(&mut tx, self.feed, session_id, "revoked by the user", now)
            .await?
        {
            return Ok(());
        }
        let event = event(EventType::SessionRevoked, caller, client).session(session_id);
        security_events::record(&mut tx, &event, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Revokes every not-yet-revoked session of the caller, except the current one when
    /// `keep_current` (`ALL_SESSIONS_REVOKED`). Returns how many this call revoked.
    #[tracing::instrument(skip_all)]
    pub(crate) async fn all(
        &self,
        caller: &Caller,
        keep_current: bool,
        client: &Client,
    ) -> Result<usize> {
        let now = self.clock.now();
        let keep = keep_current.then_some(caller.session_id.as_str());
        let mut tx = self.db.begin().await?;
        let revoked = revocation::revoke_user_sessions(
            &mut tx,
            self.feed,
            &caller.user_id,
            keep,
            "revoked by the user",
            now,
        )
        .await?;
        if revoked == 0 {
            return Ok(0);
        }
        let mut event = event(EventType::AllSessionsRevoked, caller, client).detail(format!(
            "{revoked} sessions revoked{}",
            if keep_current { "; current kept" } else { "" }
        ));
        event.session_id = keep.map(str::to_owned);
        security_events::record(&mut tx, &event, now).await?;
        tx.commit().await?;
        Ok(revoked)
    }

    /// Revokes one of the caller's tokens (`TOKEN_REVOKED`); NOT_FOUND if it is not theirs.
    /// Idempotent.
    ///
    /// An access token is revoked alone. A refresh token is revoked together with everything
    /// that came after it in its session: its own access tokens, every later refresh token of
    /// the chain, and their access tokens (a TOKEN feed event for each live access token: see
    /// `domain::revocation`), in two statements however long the chain. Earlier tokens stay
    /// valid. As the session's active refresh token is among them, the session can no longer
    /// be refreshed and is listed as REVOKED.
    #[tracing::instrument(skip_all, fields(jti))]
    pub(crate) async fn token(&self, caller: &Caller, jti: &str, client: &Client) -> Result<()> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let (is_refresh, session_id) = match access_tokens::owner(&mut tx, jti).await? {
            Some((session_id, owner)) if owner == caller.user_id => (false, session_id),
            Some(_) => return Err(Error::NotFound("token")),
            None => match refresh_tokens::owner(&mut tx, jti).await? {
                Some((session_id, owner)) if owner == caller.user_id => (true, session_id),
                _ => return Err(Error::NotFound("token")),
            },
        };
        // Session first, tokens second: the lock order of rotation, so revoking a chain while
        // it is being refreshed waits for that refresh and then revokes its new tokens too,
        // instead of leaving the freshly issued child valid.
        sessions::lock(&mut tx, &session_id).await?;
        let revoked = if is_refresh {
            let live_after = now.saturating_sub(micros(self.leeway));
            revocation::revoke_line(&mut tx, self.feed, jti, now, live_after).await?
        } else {
            u64::from(revocation::revoke_token(&mut tx, self.feed, jti, now).await?)
        };
        if revoked == 0 {
            return Ok(());
        }
        let event = event(EventType::TokenRevoked, caller, client)
            .session(&session_id)
            .detail(format!("token {jti} revoked ({revoked} tokens in all)"));
        security_events::record(&mut tx, &event, now).await?;
        tx.commit().await?;
        Ok(())
    }
}

fn event(kind: EventType, caller: &Caller, client: &Client) -> SecurityEvent {
    SecurityEvent::new(kind).user(&caller.user_id).by(client)
}
