//! Password reset by mail: `RequestPasswordReset` ([`request`]) mails a single-use link to an
//! account's address; `ResetPassword` ([`reset`]) sets a new password with it and revokes
//! every session.
//!
//! A request answers the same whether or not the account exists, and in the same time: after
//! the per-client and per-name limits (counted alike for every name), the lookup, the token
//! and the message are written by a task of their own, so neither the answer nor its timing
//! depends on what the lookup finds. The limits are counted per login name, not per account,
//! so they too say nothing about existence.

use std::time::Duration;

use shared::db::Db;
use zeroize::Zeroizing;

use crate::clock::{Clock, micros};
use crate::config::{AccountConfig, PasswordConfig};
use crate::domain::security_events::{self, EventType, SecurityEvent};
use crate::domain::throttle::{self, Action};
use crate::domain::unknown_clients::NameDigest;
use crate::domain::values::{LoginName, NewPassword};
use crate::domain::{Client, link_tokens, revocation};
use crate::error::{Error, Result};
use crate::feed::FeedNotifier;
use crate::mail::{self, Outgoing, Template};
use crate::password::Hasher;
use crate::store::account_tokens::{self, RESET_PASSWORD};
use crate::store::users::{self, lockout};

/// The hour over which reset requests are counted.
const WINDOW: Duration = Duration::from_secs(3600);

/// Counts the request against the client's and the name's hourly limits (RESOURCE_EXHAUSTED
/// with `RetryInfo` beyond them), then queues the lookup and, for an active account, the
/// reset message; returns at once.
pub(crate) async fn request(
    db: &Db,
    clock: &Clock,
    config: &AccountConfig,
    login: LoginName,
    client: &Client,
) -> Result<()> {
    let per_client = Action {
        name: "password_reset_client",
        limit: config.mail_requests_per_client,
        window: WINDOW,
        event: EventType::MailRequestThrottled,
    };
    throttle::attempt(db, clock, per_client, client).await?;
    let per_name = Action {
        name: "password_reset_name",
        limit: config.mail_requests_per_account,
        window: WINDOW,
        event: EventType::MailRequestThrottled,
    };
    let name = NameDigest::of(login.key());
    throttle::attempt_in(db, clock, per_name, name.as_str(), client).await?;
    let (db, clock, config, client) = (db.clone(), clock.clone(), config.clone(), client.clone());
    tokio::spawn(async move {
        if let Err(err) = send(&db, &clock, &config, &login, &client).await {
            tracing::warn!(error = %err, "cannot queue a password reset message");
        }
    });
    Ok(())
}

/// Looks the account up and, when it exists and is active, replaces its unused reset links
/// with a new one, queues the message and records `PASSWORD_RESET_REQUESTED`.
async fn send(
    db: &Db,
    clock: &Clock,
    config: &AccountConfig,
    login: &LoginName,
    client: &Client,
) -> Result<()> {
    let user = {
        let mut conn = db.read().await?;
        let Some(found) = lockout::credentials_by_login(&mut conn, login.key()).await? else {
            return Ok(());
        };
        if !found.active.0 {
            return Ok(());
        }
        users::get(&mut conn, &found.id)
            .await?
            .ok_or_else(|| Error::internal("user vanished"))?
    };
    // Per account too: its username and its email are two names of one mailbox. Over the
    // limit nothing is sent, and the caller, answered already, learns nothing.
    let per_account = Action {
        name: "password_reset_account",
        limit: config.mail_requests_per_account,
        window: WINDOW,
        event: EventType::MailRequestThrottled,
    };
    if let Err(refused) = throttle::attempt_in(db, clock, per_account, &user.id, client).await {
        return match refused {
            Error::RetryLater { .. } => Ok(()),
            other => Err(other),
        };
    }
    let now = clock.now();
    let mut tx = db.begin().await?;
    account_tokens::forget_unused(&mut tx, &user.id, RESET_PASSWORD).await?;
    let (token, digest) = link_tokens::generate();
    let expires_at = now.saturating_add(micros(config.reset_ttl));
    account_tokens::insert(
        &mut tx,
        &digest,
        &user.id,
        RESET_PASSWORD,
        &user.email,
        now,
        expires_at,
    )
    .await?;
    let message = Outgoing {
        to: user.email.clone(),
        username: user.username.clone(),
        template: Template::PasswordReset {
            token: token.to_string(),
            valid_minutes: config.reset_ttl.as_secs().div_ceil(60),
        },
    };
    mail::enqueue(&mut tx, now, &message).await?;
    let event = SecurityEvent::new(EventType::PasswordResetRequested)
        .user(&user.id)
        .by(client);
    security_events::record(&mut tx, &event, now).await?;
    tx.commit().await?;
    Ok(())
}

/// What a reset needs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reset<'a> {
    /// The auth database.
    pub db: &'a Db,
    /// Judges and hashes the new password.
    pub hasher: &'a Hasher,
    /// "Now".
    pub clock: &'a Clock,
    /// Woken when the sessions' revocations commit.
    pub feed: &'a FeedNotifier,
    /// The strength rules of passwords.
    pub policy: &'a PasswordConfig,
    /// Per-client attempts allowed a minute (as for logins).
    pub ip_limit: u32,
}

impl Reset<'_> {
    /// Sets `new` as the password of the token's user, consumes the token, clears the
    /// lockout (unless a second factor is enrolled: then wrong codes stay counted), revokes every session and records `PASSWORD_RESET`, in one transaction; the
    /// link also proves the address, which becomes verified if it is still the user's.
    /// UNAUTHENTICATED (`INVALID_TOKEN`) for an unknown, used or expired token;
    /// INVALID_ARGUMENT on `new_password` when it breaks the rules. Returns the user id.
    pub(crate) async fn reset(
        &self,
        token: &str,
        new: Zeroizing<String>,
        client: &Client,
    ) -> Result<String> {
        let action = Action {
            name: "password_reset",
            limit: self.ip_limit,
            window: crate::domain::login::WINDOW,
            event: EventType::MailRequestThrottled,
        };
        throttle::attempt(self.db, self.clock, action, client).await?;
        let digest = link_tokens::digest(token);
        let (row, user) = {
            let mut conn = self.db.read().await?;
            let now = self.clock.now();
            let row = account_tokens::find(&mut conn, &digest, RESET_PASSWORD)
                .await?
                .filter(|row| row.used_at.is_none() && row.expires_at > now)
                .ok_or(Error::Unauthenticated("INVALID_TOKEN"))?;
            let user = users::get(&mut conn, &row.user_id)
                .await?
                .filter(|user| user.active.0)
                .ok_or(Error::Unauthenticated("INVALID_TOKEN"))?;
            (row, user)
        };
        let new = NewPassword::parse(new.to_string(), self.policy)
            .map_err(|why| Error::invalid("new_password", why))?;
        let local = user.email.split('@').next().unwrap_or_default();
        let inputs = [
            user.username.as_str(),
            local,
            &user.first_name,
            &user.last_name,
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        self.hasher
            .judge(new.secret(), inputs, self.policy.min_score)
            .await?
            .map_err(|why| Error::invalid("new_password", why))?;
        let hash = self.hasher.hash(new.secret()).await?;
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        if !account_tokens::consume(&mut tx, &digest, RESET_PASSWORD, now).await? {
            return Err(Error::Unauthenticated("INVALID_TOKEN"));
        }
        users::set_password_hash(&mut tx, &user.id, &hash).await?;
        // The mail proves the mailbox, not the second factor: wrong codes stay counted.
        if !user.mfa_enabled.0 {
            lockout::reset_counters(&mut tx, &user.id).await?;
        }
        if user.email.to_lowercase() == row.email.to_lowercase() && !user.email_verified.0 {
            users::mark_email_verified(&mut tx, &user.id, now).await?;
        }
        let revoked = revocation::revoke_user_sessions(
            &mut tx,
            self.feed,
            &user.id,
            None,
            "password reset",
            now,
        )
        .await?;
        let event = SecurityEvent::new(EventType::PasswordReset)
            .user(&user.id)
            .by(client)
            .detail(format!("{revoked} sessions revoked"));
        security_events::record(&mut tx, &event, now).await?;
        tx.commit().await?;
        Ok(user.id)
    }
}
