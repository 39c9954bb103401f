//! Email verification: Register and an email change send a single-use link
//! ([`send`]); `VerifyEmail` consumes it ([`verify`]): the registered address becomes
//! verified, or a requested change takes effect. Until then a requested address is only the
//! user's `pending_email`: nobody can take over an account's mail by typing an address, and the
//! current address is told of the request. `ResendVerification` ([`resend`]) is limited per
//! account.

use std::time::Duration;

use shared::db::{Db, Tx};
use shared::time::Micros;

use crate::clock::{Clock, micros};
use crate::config::AccountConfig;
use crate::domain::caller::Caller;
use crate::domain::register::map_taken;
use crate::domain::security_events::{self, EventType, SecurityEvent};
use crate::domain::throttle::{self, Action};
use crate::domain::{Client, link_tokens};
use crate::error::{Error, Result};
use crate::mail::{self, Outgoing, Template};
use crate::store::account_tokens::{self, RESET_PASSWORD, VERIFY_EMAIL};
use crate::store::users;

/// Why a verification link is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// The address the account was registered with.
    Registration,
    /// An address the user asked to change to.
    Change,
}

/// Sends a verification link for `email` to `email`, in the caller's transaction: replaces
/// any earlier unused link of the user, queues the message and records
/// `EMAIL_VERIFICATION_SENT`.
#[allow(clippy::too_many_arguments)] // One transaction's worth of context, named.
pub(crate) async fn send(
    tx: &mut Tx,
    config: &AccountConfig,
    user_id: &str,
    username: &str,
    email: &str,
    purpose: Purpose,
    client: &Client,
    now: Micros,
) -> Result<()> {
    account_tokens::forget_unused(tx, user_id, VERIFY_EMAIL).await?;
    let (token, digest) = link_tokens::generate();
    let expires_at = now.saturating_add(micros(config.verification_ttl));
    account_tokens::insert(tx, &digest, user_id, VERIFY_EMAIL, email, now, expires_at).await?;
    let message = Outgoing {
        to: email.to_owned(),
        username: username.to_owned(),
        template: Template::VerifyEmail {
            token: token.to_string(),
            change: purpose == Purpose::Change,
        },
    };
    mail::enqueue(tx, now, &message).await?;
    let detail = match purpose {
        Purpose::Registration => "registered address",
        Purpose::Change => "requested address",
    };
    let event = SecurityEvent::new(EventType::EmailVerificationSent)
        .user(user_id)
        .by(client)
        .detail(detail);
    security_events::record(tx, &event, now).await?;
    Ok(())
}

/// Consumes a verification token: marks the registered address verified, or makes the
/// requested address the user's email. UNAUTHENTICATED (`INVALID_TOKEN`) for an unknown, used,
/// expired or superseded token; ALREADY_EXISTS (`EMAIL_TAKEN`) when another account took the
/// address meanwhile (the token stays unused).
pub(crate) async fn verify(db: &Db, clock: &Clock, token: &str, client: &Client) -> Result<String> {
    let digest = link_tokens::digest(token);
    let now = clock.now();
    // A read first: an unknown token (anyone can send one) never takes the writer's turn.
    let live = |row: &account_tokens::TokenRow| row.used_at.is_none() && row.expires_at > now;
    {
        let mut conn = db.read().await?;
        account_tokens::find(&mut conn, &digest, VERIFY_EMAIL)
            .await?
            .filter(live)
            .ok_or(Error::Unauthenticated("INVALID_TOKEN"))?;
    }
    let mut tx = db.begin().await?;
    let row = account_tokens::find(&mut tx, &digest, VERIFY_EMAIL)
        .await?
        .filter(live)
        .ok_or(Error::Unauthenticated("INVALID_TOKEN"))?;
    let user = users::get(&mut tx, &row.user_id)
        .await?
        .ok_or(Error::Unauthenticated("INVALID_TOKEN"))?;
    let adopted = if user.email.to_lowercase() == row.email.to_lowercase() {
        users::mark_email_verified(&mut tx, &user.id, now).await?;
        false
    } else if user.pending_email.as_deref() == Some(row.email.as_str()) {
        if users::email_taken_by_other(&mut tx, &row.email.to_lowercase(), &user.id).await? {
            return Err(Error::AlreadyExists("EMAIL_TAKEN"));
        }
        if !users::adopt_pending_email(&mut tx, &user.id, &row.email, now)
            .await
            .map_err(map_taken)?
        {
            // Another address was asked for meanwhile.
            return Err(Error::Unauthenticated("INVALID_TOKEN"));
        }
        // Reset links went to the old address: they stop working with it.
        account_tokens::forget_unused(&mut tx, &user.id, RESET_PASSWORD).await?;
        true
    } else {
        // The user asked for another address since this link was sent.
        return Err(Error::Unauthenticated("INVALID_TOKEN"));
    };
    if !account_tokens::consume(&mut tx, &digest, VERIFY_EMAIL, now).await? {
        return Err(Error::Unauthenticated("INVALID_TOKEN"));
    }
    let detail = if adopted {
        "email changed to the verified address"
    } else {
        "registered address verified"
    };
    let event = SecurityEvent::new(EventType::EmailVerified)
        .user(&user.id)
        .by(client)
        .detail(detail);
    security_events::record(&mut tx, &event, now).await?;
    tx.commit().await?;
    Ok(user.id)
}

/// Counts one request for a verification message of `user_id` (a resend, or an email change)
/// against the account's hourly limit: RESOURCE_EXHAUSTED with `RetryInfo` beyond it, so no
/// account can make the service mail addresses without end.
pub(crate) async fn count_request(
    db: &Db,
    clock: &Clock,
    config: &AccountConfig,
    user_id: &str,
    client: &Client,
) -> Result<()> {
    let action = Action {
        name: "verification_resend",
        limit: config.mail_requests_per_account,
        window: Duration::from_secs(3600),
        event: EventType::MailRequestThrottled,
    };
    throttle::attempt_in(db, clock, action, user_id, client).await
}

/// Sends a new link for the caller's pending address, or for the unverified registered one.
/// FAILED_PRECONDITION (`EMAIL_ALREADY_VERIFIED`) when there is nothing to verify;
/// RESOURCE_EXHAUSTED with `RetryInfo` after `config.mail_requests_per_account` in an hour.
pub(crate) async fn resend(
    db: &Db,
    clock: &Clock,
    config: &AccountConfig,
    caller: &Caller,
    client: &Client,
) -> Result<()> {
    let user = {
        let mut conn = db.read().await?;
        users::get(&mut conn, &caller.user_id)
            .await?
            .ok_or(Error::NotFound("user"))?
    };
    let (email, purpose) = match (&user.pending_email, user.email_verified.0) {
        (Some(pending), _) => (pending.clone(), Purpose::Change),
        (None, false) => (user.email.clone(), Purpose::Registration),
        (None, true) => return Err(Error::FailedPrecondition("EMAIL_ALREADY_VERIFIED")),
    };
    count_request(db, clock, config, &user.id, client).await?;
    let now = clock.now();
    let mut tx = db.begin().await?;
    send(
        &mut tx,
        config,
        &user.id,
        &user.username,
        &email,
        purpose,
        client,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
