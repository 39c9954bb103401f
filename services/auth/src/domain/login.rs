//! Login: per-IP throttle, per-account lockout, Argon2id check on the bounded pool, then a new
//! session with its first pair.
//!
//! Unknown user, wrong password and inactive account all end in the same
//! `INVALID_CREDENTIALS`, after the same amount of hashing work (unknown users are checked
//! against a dummy hash). Lockout: failures are counted with one atomic `UPDATE … RETURNING`
//! that skips locked accounts, so concurrent wrong guesses can never exceed the threshold;
//! the attempt reaching it locks the account for the base time doubled per earlier lockout
//! (capped). A locked account or a throttled IP gets RESOURCE_EXHAUSTED with `RetryInfo`.

use std::time::Duration;

use shared::db::Db;
use shared::time::Micros;

use crate::clock::{Clock, micros};
use crate::config::LockoutConfig;
use crate::domain::issuance::{self, IssuedPair};
use crate::domain::security_events::{self, EventType, SecurityEvent};
use crate::domain::values::{DeviceLabel, LoginName, PresentedPassword};
use crate::domain::{Client, Role};
use crate::error::{Error, Result};
use crate::password::Hasher;
use crate::store::login_attempts;
use crate::store::users::{self, UserRow, lockout};
use crate::tokens::Tokens;

/// The per-IP window.
const IP_WINDOW: Duration = Duration::from_secs(60);

/// A login attempt, parsed at the RPC edge.
#[derive(Debug)]
pub(crate) struct Attempt {
    /// Username or email, any case.
    pub login: LoginName,
    /// The password; zeroed on drop, never logged.
    pub password: PresentedPassword,
    /// Optional device label for the new session.
    pub device_label: DeviceLabel,
}

/// A successful login.
#[derive(Debug)]
pub(crate) struct LoggedIn {
    /// The user with its profile.
    pub user: UserRow,
    /// The first pair of the new session.
    pub pair: IssuedPair,
}

/// What a login needs: the database, the hasher, the token minter, the clock and the lockout
/// policy.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Login<'a> {
    /// The auth database.
    pub db: &'a Db,
    /// Argon2id on the bounded pool.
    pub hasher: &'a Hasher,
    /// Mints the new session's first pair.
    pub tokens: &'a Tokens,
    /// "Now".
    pub clock: &'a Clock,
    /// Lockout and per-IP limits.
    pub policy: &'a LockoutConfig,
}

impl Login<'_> {
    /// Runs a login attempt.
    #[tracing::instrument(skip_all)]
    pub(crate) async fn attempt(&self, attempt: Attempt, client: &Client) -> Result<LoggedIn> {
        self.throttle_ip(client).await?;
        let credentials = {
            let mut conn = self.db.pool().acquire().await?;
            lockout::credentials_by_login(&mut conn, attempt.login.key()).await?
        };
        let now = self.clock.now();
        if let Some(c) = &credentials
            && let Some(until) = c.locked_until.filter(|until| *until > now)
        {
            self.fail(client, Some(&c.id), "account locked").await?;
            return Err(locked(until, now));
        }
        let verification = self
            .hasher
            .verify(
                attempt.password.secret(),
                credentials.as_ref().map(|c| c.password_hash.clone()),
            )
            .await?;
        let Some(credentials) = credentials else {
            self.fail(client, None, "unknown account").await?;
            return Err(Error::InvalidCredentials);
        };
        if !verification.matches {
            return self.count_failure(client, &credentials.id).await;
        }
        if !credentials.active.0 {
            // Documented choice: an inactive account looks exactly like wrong credentials,
            // even with the right password, so deactivation reveals nothing to whoever holds it.
            self.fail(client, Some(&credentials.id), "inactive account")
                .await?;
            return Err(Error::InvalidCredentials);
        }
        // Rehash outside the transaction: hashing is slow and SQLite has one writer.
        let rehash = if verification.needs_rehash {
            Some(self.hasher.hash(attempt.password.secret()).await?)
        } else {
            None
        };
        let role = Role::stored(&credentials.role)?;
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        if !lockout::clear_failures(&mut tx, &credentials.id, now).await? {
            drop(tx);
            return Err(self.locked_now(&credentials.id, now).await?);
        }
        if let Some(hash) = &rehash {
            users::set_password_hash(&mut tx, &credentials.id, hash).await?;
        }
        let pair = issuance::open(
            &mut tx,
            self.tokens,
            &credentials.id,
            role.claims(),
            attempt.device_label.as_str(),
            client,
            now,
        )
        .await?;
        let detail = match rehash {
            Some(_) => "password rehashed with current parameters",
            None => "",
        };
        let event = SecurityEvent::new(EventType::LoginSucceeded)
            .user(&credentials.id)
            .session(&pair.session_id)
            .by(client)
            .detail(detail);
        security_events::record(&mut tx, &event, now).await?;
        let user = users::get(&mut tx, &credentials.id)
            .await?
            .ok_or_else(|| Error::internal("user vanished during login"))?;
        tx.commit().await?;
        Ok(LoggedIn { user, pair })
    }

    /// Counts one attempt for the client IP in the current one-minute window; over the limit
    /// is RESOURCE_EXHAUSTED until the window ends.
    async fn throttle_ip(&self, client: &Client) -> Result<()> {
        let now = self.clock.now();
        let window = micros(IP_WINDOW);
        let start = now - now.rem_euclid(window);
        let mut tx = self.db.begin().await?;
        login_attempts::forget_before(&mut tx, &client.ip, start).await?;
        let attempts = login_attempts::hit(&mut tx, &client.ip, start).await?;
        let over = attempts > i64::from(self.policy.ip_limit);
        if over {
            let event = SecurityEvent::new(EventType::LoginFailed)
                .by(client)
                .detail("too many attempts from this IP");
            security_events::record(&mut tx, &event, now).await?;
        }
        tx.commit().await?;
        if over {
            return Err(Error::RetryLater {
                reason: "TOO_MANY_ATTEMPTS",
                retry_after: duration(start + window - now),
            });
        }
        Ok(())
    }

    /// A wrong password for an existing account: count it atomically, lock at the threshold.
    async fn count_failure(&self, client: &Client, user_id: &str) -> Result<LoggedIn> {
        let now = self.clock.now();
        let policy = self.policy;
        let mut tx = self.db.begin().await?;
        let Some((failures, lockouts)) = lockout::count_failure(&mut tx, user_id, now).await?
        else {
            // Locked by a concurrent attempt while this one was hashing.
            drop(tx);
            self.fail(client, Some(user_id), "account locked").await?;
            return Err(self.locked_now(user_id, now).await?);
        };
        let event = SecurityEvent::new(EventType::LoginFailed)
            .user(user_id)
            .by(client);
        let failed = event
            .clone()
            .detail(format!("wrong password ({failures} consecutive)"));
        security_events::record(&mut tx, &failed, now).await?;
        if failures >= i64::from(policy.threshold) {
            let lock_for = lock_duration(policy.duration, policy.max_duration, lockouts);
            lockout::lock(&mut tx, user_id, now.saturating_add(micros(lock_for))).await?;
            let locked = SecurityEvent {
                kind: EventType::AccountLocked,
                ..event
            }
            .detail(format!(
                "locked for {}s after {failures} failed logins",
                lock_for.as_secs()
            ));
            security_events::record(&mut tx, &locked, now).await?;
        }
        tx.commit().await?;
        Err(Error::InvalidCredentials)
    }

    /// Records a refused attempt that changes no counter.
    async fn fail(&self, client: &Client, user_id: Option<&str>, why: &str) -> Result<()> {
        let now = self.clock.now();
        let mut event = SecurityEvent::new(EventType::LoginFailed)
            .by(client)
            .detail(why);
        event.user_id = user_id.map(str::to_owned);
        let mut tx = self.db.begin().await?;
        security_events::record(&mut tx, &event, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The RESOURCE_EXHAUSTED for an account found locked at `now`.
    async fn locked_now(&self, user_id: &str, now: Micros) -> Result<Error> {
        let mut conn = self.db.pool().acquire().await?;
        let until = lockout::credentials_by_id(&mut conn, user_id)
            .await?
            .and_then(|c| c.locked_until)
            .unwrap_or(now);
        Ok(locked(until, now))
    }
}

/// Deletes per-IP windows that ended before the current one: a client that never returns
/// would otherwise leave its rows forever. Run periodically by the app.
pub async fn sweep_ip_windows(db: &Db, now: Micros) -> Result<u64> {
    let window = micros(IP_WINDOW);
    let start = now - now.rem_euclid(window);
    let mut tx = db.begin().await?;
    let deleted = login_attempts::forget_all_before(&mut tx, start).await?;
    tx.commit().await?;
    Ok(deleted)
}

/// The lock time after `previous` lockouts: `base` doubled each time, at most `max`.
pub(crate) fn lock_duration(base: Duration, max: Duration, previous: i64) -> Duration {
    let doublings = u32::try_from(previous.clamp(0, 30)).unwrap_or(30);
    base.checked_mul(1_u32 << doublings).unwrap_or(max).min(max)
}

fn locked(until: Micros, now: Micros) -> Error {
    Error::RetryLater {
        reason: "ACCOUNT_LOCKED",
        retry_after: duration(until - now),
    }
}

fn duration(micros: Micros) -> Duration {
    Duration::from_micros(u64::try_from(micros).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_time_doubles_per_lockout_up_to_the_cap() {
        let base = Duration::from_secs(60);
        let max = Duration::from_secs(3600);
        let secs: Vec<u64> = (0..8)
            .map(|n| lock_duration(base, max, n).as_secs())
            .collect();
        assert_eq!(secs, [60, 120, 240, 480, 960, 1920, 3600, 3600]);
        assert_eq!(lock_duration(base, max, 1000), max);
    }
}
