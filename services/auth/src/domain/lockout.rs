//! Per-account lockout: every way of presenting an account's password (Login,
//! ChangePassword) counts its wrong guesses here, so a stolen access token is no better an
//! oracle than the login form.
//!
//! Failures are counted with one atomic `UPDATE … RETURNING` that skips locked accounts, so
//! concurrent wrong guesses can never exceed the threshold; the guess reaching it locks the
//! account for the base time doubled per earlier lockout (capped). While locked, even the
//! right password is refused with RESOURCE_EXHAUSTED and `RetryInfo`.

use std::time::Duration;

use shared::db::Db;
use shared::time::Micros;

use crate::clock::{Clock, micros};
use crate::config::LockoutConfig;
use crate::domain::Client;
use crate::domain::security_events::{self, EventType, SecurityEvent};
use crate::domain::throttle::duration;
use crate::domain::values::PresentedPassword;
use crate::error::{Error, Result};
use crate::password::Hasher;
use crate::store::users::lockout::{self, Credentials};

/// The lockout of accounts: database, clock and policy.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Lockout<'a> {
    /// The auth database.
    pub db: &'a Db,
    /// "Now".
    pub clock: &'a Clock,
    /// Threshold and lock times.
    pub policy: &'a LockoutConfig,
}

impl Lockout<'_> {
    /// Proves that `password` is the signed-in user's: refused while the account is locked, a
    /// wrong one counted toward the lockout as `kind`. Returns the account as checked (for an
    /// operation that clears the count in its own transaction). Every operation that asks a
    /// signed-in user for the password again (password change, second-factor enrolment,
    /// deletion) goes through here, so a stolen access token is no better an oracle than the
    /// login form.
    pub(crate) async fn prove_password(
        &self,
        hasher: &Hasher,
        user_id: &str,
        password: &PresentedPassword,
        kind: EventType,
        client: &Client,
    ) -> Result<Credentials> {
        let account = {
            let mut conn = self.db.read().await?;
            lockout::credentials_by_id(&mut conn, user_id)
                .await?
                .ok_or(Error::NotFound("user"))?
        };
        self.refuse_if_locked(&account, kind, client).await?;
        let verification = hasher
            .verify(password.secret(), Some(account.password_hash.clone()))
            .await?;
        if !verification.matches {
            return Err(self.count_failure(&account.id, kind, client).await?);
        }
        Ok(account)
    }

    /// RESOURCE_EXHAUSTED (`ACCOUNT_LOCKED`) when `account` is locked now, after recording a
    /// refused attempt of `kind`.
    pub(crate) async fn refuse_if_locked(
        &self,
        account: &Credentials,
        kind: EventType,
        client: &Client,
    ) -> Result<()> {
        let now = self.clock.now();
        match account.locked_until.filter(|until| *until > now) {
            Some(until) => {
                self.refused(kind, Some(&account.id), "account locked", client)
                    .await?;
                Err(locked(until, now))
            }
            None => Ok(()),
        }
    }

    /// A wrong password (or, for `MFA_FAILED`, a wrong second-factor code) for `user_id`: counts it atomically, locks the account at the
    /// threshold, records the events of `kind` (and `ACCOUNT_LOCKED`), and returns the error
    /// to answer: INVALID_CREDENTIALS, or ACCOUNT_LOCKED if a concurrent guess locked it.
    pub(crate) async fn count_failure(
        &self,
        user_id: &str,
        kind: EventType,
        client: &Client,
    ) -> Result<Error> {
        let now = self.clock.now();
        let policy = self.policy;
        let mut tx = self.db.begin().await?;
        let Some((failures, lockouts)) = lockout::count_failure(&mut tx, user_id, now).await?
        else {
            // Locked by a concurrent guess while this one was hashing.
            drop(tx);
            self.refused(kind, Some(user_id), "account locked", client)
                .await?;
            return self.locked_now(user_id, now).await;
        };
        let event = SecurityEvent::new(kind).user(user_id).by(client);
        // Wrong second-factor codes count toward the same lockout as wrong passwords.
        let what = if kind == EventType::MfaFailed {
            "code"
        } else {
            "password"
        };
        let failed = event
            .clone()
            .detail(format!("wrong {what} ({failures} consecutive)"));
        security_events::record(&mut tx, &failed, now).await?;
        if failures >= i64::from(policy.threshold) {
            let lock_for = lock_duration(policy.duration, policy.max_duration, lockouts);
            lockout::lock(&mut tx, user_id, now.saturating_add(micros(lock_for))).await?;
            let locked = SecurityEvent {
                kind: EventType::AccountLocked,
                ..event
            }
            .detail(format!(
                "locked for {}s after {failures} wrong {what}s",
                lock_for.as_secs()
            ));
            security_events::record(&mut tx, &locked, now).await?;
        }
        tx.commit().await?;
        Ok(Error::InvalidCredentials)
    }

    /// Why a right password could not clear the account's failures (see
    /// `store::users::lockout::clear_failures`): locked meanwhile (ACCOUNT_LOCKED), or changed
    /// meanwhile (password, active flag or role: INVALID_CREDENTIALS, recorded as `kind`).
    pub(crate) async fn not_cleared(
        &self,
        checked: &Credentials,
        kind: EventType,
        client: &Client,
    ) -> Result<Error> {
        let now = self.clock.now();
        let current = {
            let mut conn = self.db.read().await?;
            lockout::credentials_by_id(&mut conn, &checked.id).await?
        };
        if let Some(until) = current
            .as_ref()
            .and_then(|c| c.locked_until)
            .filter(|until| *until > now)
        {
            return Ok(locked(until, now));
        }
        self.refused(
            kind,
            Some(&checked.id),
            "the account changed meanwhile",
            client,
        )
        .await?;
        Ok(Error::InvalidCredentials)
    }

    /// Records a refused attempt of `kind` that changes no counter.
    pub(crate) async fn refused(
        &self,
        kind: EventType,
        user_id: Option<&str>,
        why: &str,
        client: &Client,
    ) -> Result<()> {
        let now = self.clock.now();
        let mut event = SecurityEvent::new(kind).by(client).detail(why);
        event.user_id = user_id.map(str::to_owned);
        let mut tx = self.db.begin().await?;
        security_events::record(&mut tx, &event, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The RESOURCE_EXHAUSTED for an account found locked at `now`.
    pub(crate) async fn locked_now(&self, user_id: &str, now: Micros) -> Result<Error> {
        let mut conn = self.db.read().await?;
        let until = lockout::credentials_by_id(&mut conn, user_id)
            .await?
            .and_then(|c| c.locked_until)
            .unwrap_or(now);
        Ok(locked(until, now))
    }
}

fn locked(until: Micros, now: Micros) -> Error {
    Error::RetryLater {
        reason: "ACCOUNT_LOCKED",
        retry_after: duration(until - now),
    }
}

/// The lock time after `previous` lockouts: `base` doubled each time, at most `max`.
pub(crate) fn lock_duration(base: Duration, max: Duration, previous: i64) -> Duration {
    let doublings = u32::try_from(previous.clamp(0, 30)).unwrap_or(30);
    base.checked_mul(1_u32 << doublings).unwrap_or(max).min(max)
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
