//! Guessing from clients an account does not know is slowed, never a lockout.
//!
//! A lockout that anyone can trigger is a switch that turns an account off: whoever knows a
//! username could keep its owner out. So an account remembers the clients (addresses, IPv6
//! /64s, as in [`crate::domain::throttle`]) that signed in to it, by registering or logging in,
//! the newest few for a while. Only failures from those count toward the lockout
//! ([`crate::domain::lockout`]). Failures from any other client are counted per login name
//! and slow those clients alone: once the name's budget is spent, every unknown client waits
//! (RESOURCE_EXHAUSTED `ACCOUNT_THROTTLED` with `RetryInfo`), the wait doubling each time the
//! budget is spent again, until the count is forgotten after a quiet period. The owner on a
//! known address signs in throughout; on a new address they wait like anyone else.
//!
//! Counting per login name as presented, whether or not an account has it, makes an existing
//! name and a free one answer alike, and makes the same calls in the same order. A client that
//! must wait is refused from a read before any hashing, and nothing is written for it; the
//! failure that spends the budget is the one that starts the wait. The owner's successes do not
//! reset the count, or an attacker would get a fresh budget at each of them.

use base64::Engine as _;
use sha2::{Digest as _, Sha256};
use shared::db::Db;
use shared::time::Micros;
use sqlx::AnyConnection;

use crate::clock::{Clock, micros};
use crate::config::UnknownClientConfig;
use crate::domain::Client;
use crate::domain::lockout::lock_duration;
use crate::domain::security_events::{self, EventType, SecurityEvent};
use crate::domain::throttle::{bucket, duration};
use crate::error::{Error, Result};
use crate::store::{known_clients, login_throttles};

/// The throttle of unknown clients: database, clock and policy.
#[derive(Debug, Clone, Copy)]
pub(crate) struct UnknownClients<'a> {
    /// The auth database.
    pub db: &'a Db,
    /// "Now".
    pub clock: &'a Clock,
    /// Budget, waits and how long clients are remembered.
    pub policy: &'a UnknownClientConfig,
}

/// The stored key of a login name: the digest of its lowercase form, of fixed width and
/// without the name itself (which may be a password typed into the wrong field).
pub(crate) struct NameDigest(String);

impl NameDigest {
    /// The digest of `login_key`, a lowercase username or email.
    pub(crate) fn of(login_key: &str) -> Self {
        let digest = Sha256::digest(login_key.as_bytes());
        Self(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest))
    }

    /// The digest as stored.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl UnknownClients<'_> {
    /// Whether `client` signed in to `user_id` recently. Asked whether or not the account
    /// exists (`None`: no account has the name), so an unknown name costs the same read.
    pub(crate) async fn knows(
        &self,
        conn: &mut AnyConnection,
        user_id: Option<&str>,
        client: &Client,
    ) -> Result<bool> {
        let since = self
            .clock
            .now()
            .saturating_sub(micros(self.policy.remember_for));
        let user_id = user_id.unwrap_or_default();
        Ok(known_clients::contains(conn, user_id, &bucket(&client.ip), since).await?)
    }

    /// RESOURCE_EXHAUSTED (`ACCOUNT_THROTTLED`) when unknown clients of `name` must wait now.
    /// Writes nothing.
    pub(crate) async fn refuse_if_waiting(
        &self,
        conn: &mut AnyConnection,
        name: &NameDigest,
    ) -> Result<()> {
        let now = self.clock.now();
        match login_throttles::blocked_until(conn, &name.0).await? {
            Some(until) if until > now => Err(waiting(until, now)),
            _ => Ok(()),
        }
    }

    /// A failed login from an unknown client (`why`: unknown account, wrong password): counts
    /// it for `name`, records its `LOGIN_FAILED` event, starts the wait when it spends the
    /// budget, and returns the error to answer: INVALID_CREDENTIALS, or ACCOUNT_THROTTLED when a
    /// concurrent failure started a wait while this one was hashing.
    pub(crate) async fn count_failure(
        &self,
        name: &NameDigest,
        user_id: Option<&str>,
        why: &str,
        client: &Client,
    ) -> Result<Error> {
        let now = self.clock.now();
        let policy = self.policy;
        let forget_before = now.saturating_sub(micros(policy.reset));
        let mut tx = self.db.begin().await?;
        let Some(failures) =
            login_throttles::count_failure(&mut tx, &name.0, now, forget_before).await?
        else {
            drop(tx);
            let mut conn = self.db.read().await?;
            let until = login_throttles::blocked_until(&mut conn, &name.0)
                .await?
                .unwrap_or(now);
            return Ok(waiting(until, now));
        };
        let budget = i64::from(policy.failures);
        let mut detail = format!("{why} from an unknown client ({failures} in a row)");
        if failures % budget == 0 {
            let wait = lock_duration(policy.delay, policy.max_delay, failures / budget - 1);
            login_throttles::block(&mut tx, &name.0, now.saturating_add(micros(wait))).await?;
            detail.push_str(&format!(
                "; unknown clients wait {}s before the next attempt",
                wait.as_secs()
            ));
        }
        let mut event = SecurityEvent::new(EventType::LoginFailed)
            .by(client)
            .detail(detail);
        event.user_id = user_id.map(str::to_owned);
        security_events::record(&mut tx, &event, now).await?;
        tx.commit().await?;
        Ok(Error::InvalidCredentials)
    }
}

/// Remembers that `client` signed in to `user_id` at `now`, keeping the newest addresses the
/// policy allows; in the transaction of the sign-in.
pub(crate) async fn remember(
    conn: &mut AnyConnection,
    policy: &UnknownClientConfig,
    user_id: &str,
    client: &Client,
    now: Micros,
) -> Result<()> {
    known_clients::remember(conn, user_id, &bucket(&client.ip), now).await?;
    known_clients::keep_newest(conn, user_id, i64::from(policy.remembered)).await?;
    Ok(())
}

/// Forgets clients not seen within their time to live and login names whose count is
/// forgotten and whose wait is over; returns how many rows went. Run periodically by the app.
pub async fn sweep(db: &Db, now: Micros, policy: &UnknownClientConfig) -> Result<u64> {
    let mut tx = db.begin().await?;
    let clients =
        known_clients::forget_before(&mut tx, now.saturating_sub(micros(policy.remember_for)))
            .await?;
    let names =
        login_throttles::forget_before(&mut tx, now.saturating_sub(micros(policy.reset)), now)
            .await?;
    tx.commit().await?;
    Ok(clients + names)
}

fn waiting(until: Micros, now: Micros) -> Error {
    Error::RetryLater {
        reason: "ACCOUNT_THROTTLED",
        retry_after: duration(until - now),
    }
}
