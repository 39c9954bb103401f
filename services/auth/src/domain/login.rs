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

use shared::time::Micros;
use zeroize::Zeroizing;

use crate::app::AppState;
use crate::clock::micros;
use crate::domain::sessions::{self, IssuedPair};
use crate::domain::{Client, Role};
use crate::error::{Error, Result};
use crate::events::{self, EventType, SecurityEvent};
use crate::store::{login_attempts, users};

/// The per-IP window.
const IP_WINDOW: Duration = Duration::from_secs(60);

/// A login attempt.
#[derive(Debug)]
pub struct Attempt {
    /// Username or email, any case.
    pub login: String,
    /// The password; zeroed on drop, never logged.
    pub password: Zeroizing<String>,
    /// Optional device label for the new session.
    pub device_label: String,
}

/// A successful login.
#[derive(Debug)]
pub struct LoggedIn {
    /// The user with its profile.
    pub user: users::UserRow,
    /// The first pair of the new session.
    pub pair: IssuedPair,
}

/// Runs a login attempt.
#[tracing::instrument(skip_all)]
pub async fn login(state: &AppState, attempt: Attempt, client: &Client) -> Result<LoggedIn> {
    throttle_ip(state, client).await?;
    let key = attempt.login.trim().to_lowercase();
    let credentials = {
        let mut conn = state.db.pool().acquire().await?;
        users::credentials_by_login(&mut conn, &key).await?
    };
    let now = state.clock.now();
    if let Some(c) = &credentials
        && let Some(until) = c.locked_until.filter(|until| *until > now)
    {
        fail(state, client, Some(&c.id), "account locked").await?;
        return Err(locked(until, now));
    }
    let verification = state
        .hasher
        .verify(
            attempt.password.clone(),
            credentials.as_ref().map(|c| c.password_hash.clone()),
        )
        .await?;
    let Some(credentials) = credentials else {
        fail(state, client, None, "unknown account").await?;
        return Err(Error::InvalidCredentials);
    };
    if !verification.matches {
        return count_failure(state, client, &credentials.id).await;
    }
    if !credentials.active.0 {
        // Documented choice: an inactive account looks exactly like wrong credentials, even
        // with the right password, so deactivation reveals nothing to whoever holds it.
        fail(state, client, Some(&credentials.id), "inactive account").await?;
        return Err(Error::InvalidCredentials);
    }
    // Rehash outside the transaction: hashing is slow and SQLite has one writer.
    let rehash = if verification.needs_rehash {
        Some(state.hasher.hash(attempt.password).await?)
    } else {
        None
    };
    let role =
        Role::parse(&credentials.role).ok_or_else(|| Error::internal("stored role is unknown"))?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    if !users::clear_failures(&mut tx, &credentials.id, now).await? {
        drop(tx);
        return Err(locked_now(state, &credentials.id, now).await?);
    }
    if let Some(hash) = &rehash {
        users::set_password_hash(&mut tx, &credentials.id, hash).await?;
    }
    let pair = sessions::open(
        &mut tx,
        &state.tokens,
        &credentials.id,
        role.claims(),
        &attempt.device_label,
        client,
        now,
    )
    .await?;
    events::record(
        &mut tx,
        &SecurityEvent {
            user_id: Some(credentials.id.clone()),
            session_id: Some(pair.session_id.clone()),
            ip: client.ip.clone(),
            user_agent: client.user_agent.clone(),
            detail: if rehash.is_some() {
                "password rehashed with current parameters".into()
            } else {
                String::new()
            },
            ..SecurityEvent::new(EventType::LoginSucceeded)
        },
        now,
    )
    .await?;
    let user = users::get(&mut tx, &credentials.id)
        .await?
        .ok_or_else(|| Error::internal("user vanished during login"))?;
    tx.commit().await?;
    Ok(LoggedIn { user, pair })
}

/// Deletes per-IP windows that ended before the current one: a client that never returns
/// would otherwise leave its rows forever. Run periodically by the app.
pub async fn sweep_ip_windows(db: &shared::db::Db, now: Micros) -> Result<u64> {
    let window = micros(IP_WINDOW);
    let start = now - now.rem_euclid(window);
    let mut tx = db.begin().await?;
    let deleted = login_attempts::forget_all_before(&mut tx, start).await?;
    tx.commit().await?;
    Ok(deleted)
}

/// Counts one attempt for the client IP in the current one-minute window; over the limit is
/// RESOURCE_EXHAUSTED until the window ends.
async fn throttle_ip(state: &AppState, client: &Client) -> Result<()> {
    let now = state.clock.now();
    let window = micros(IP_WINDOW);
    let start = now - now.rem_euclid(window);
    let mut tx = state.db.begin().await?;
    login_attempts::forget_before(&mut tx, &client.ip, start).await?;
    let attempts = login_attempts::hit(&mut tx, &client.ip, start).await?;
    let over = attempts > i64::from(state.config.lockout.ip_limit);
    if over {
        events::record(
            &mut tx,
            &SecurityEvent {
                ip: client.ip.clone(),
                user_agent: client.user_agent.clone(),
                detail: "too many attempts from this IP".into(),
                ..SecurityEvent::new(EventType::LoginFailed)
            },
            now,
        )
        .await?;
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
async fn count_failure(state: &AppState, client: &Client, user_id: &str) -> Result<LoggedIn> {
    let now = state.clock.now();
    let policy = &state.config.lockout;
    let mut tx = state.db.begin().await?;
    let Some((failures, lockouts)) = users::count_failure(&mut tx, user_id, now).await? else {
        // Locked by a concurrent attempt while this one was hashing.
        drop(tx);
        fail(state, client, Some(user_id), "account locked").await?;
        return Err(locked_now(state, user_id, now).await?);
    };
    let event = SecurityEvent {
        user_id: Some(user_id.to_owned()),
        ip: client.ip.clone(),
        user_agent: client.user_agent.clone(),
        ..SecurityEvent::new(EventType::LoginFailed)
    };
    events::record(
        &mut tx,
        &SecurityEvent {
            detail: format!("wrong password ({failures} consecutive)"),
            ..event.clone()
        },
        now,
    )
    .await?;
    if failures >= i64::from(policy.threshold) {
        let lock_for = lock_duration(policy.duration, policy.max_duration, lockouts);
        users::lock(&mut tx, user_id, now.saturating_add(micros(lock_for))).await?;
        events::record(
            &mut tx,
            &SecurityEvent {
                kind: EventType::AccountLocked,
                detail: format!(
                    "locked for {}s after {failures} failed logins",
                    lock_for.as_secs()
                ),
                ..event
            },
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Err(Error::InvalidCredentials)
}

/// The lock time after `previous` lockouts: `base` doubled each time, at most `max`.
pub fn lock_duration(base: Duration, max: Duration, previous: i64) -> Duration {
    let doublings = u32::try_from(previous.clamp(0, 30)).unwrap_or(30);
    base.checked_mul(1_u32 << doublings).unwrap_or(max).min(max)
}

/// Records a refused attempt that changes no counter.
async fn fail(state: &AppState, client: &Client, user_id: Option<&str>, why: &str) -> Result<()> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    events::record(
        &mut tx,
        &SecurityEvent {
            user_id: user_id.map(str::to_owned),
            ip: client.ip.clone(),
            user_agent: client.user_agent.clone(),
            detail: why.to_owned(),
            ..SecurityEvent::new(EventType::LoginFailed)
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The RESOURCE_EXHAUSTED for an account found locked at `now`.
async fn locked_now(state: &AppState, user_id: &str, now: Micros) -> Result<Error> {
    let mut conn = state.db.pool().acquire().await?;
    let until = users::credentials_by_id(&mut conn, user_id)
        .await?
        .and_then(|c| c.locked_until)
        .unwrap_or(now);
    Ok(locked(until, now))
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
