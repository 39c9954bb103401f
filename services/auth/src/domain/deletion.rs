//! Account deletion: `DeleteMe` ([`delete_me`]) after the password, or a recent sign-in, and
//! the second factor when one is enrolled; `AdminService.DeleteUser` ([`delete_by_admin`]).
//!
//! One transaction ([`delete_account`]) revokes every session (SESSION events, so every
//! service refuses the user's tokens through the feed), announces the deletion on the feed
//! (USER_DELETED, which other services act on by deleting the user's data), queues a
//! confirmation to the user's address, strips the user's security events down to what the
//! log needs, records `USER_DELETED`, and deletes the user row: the profile, avatar, sessions,
//! tokens, known clients, second factor and mailed-link tokens go with it.

use shared::db::Tx;
use shared::time::Micros;

use crate::app::AppState;
use crate::clock::micros;
use crate::config::AccountConfig;
use crate::domain::caller::Caller;
use crate::domain::lockout::Lockout;
use crate::domain::security_events::{self, EventType, SecurityEvent};
use crate::domain::throttle::{self, Action};
use crate::domain::values::PresentedPassword;
use crate::domain::{Client, mfa, revocation};
use crate::error::{Error, Result};
use crate::feed::FeedNotifier;
use crate::mail::{self, Outgoing, Template};
use crate::store::users::{self, lockout};
use crate::store::{security_events as events, sessions};

/// Who asked for a deletion, for the security log.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Requester<'a> {
    /// The user themself.
    Owner,
    /// An admin, by user id.
    Admin(&'a str),
}

/// Deletes the caller's account. With `password`, it is checked like a login (throttled per
/// client, wrong guesses counted toward the lockout); without, the caller's session must have
/// signed in within `STRIDE_RECENT_SIGN_IN`, else FAILED_PRECONDITION `PASSWORD_REQUIRED`.
/// With a second factor enrolled, `mfa_code` or a recent second factor is needed as well.
pub(crate) async fn delete_me(
    state: &AppState,
    caller: &Caller,
    password: Option<PresentedPassword>,
    mfa_code: &str,
    client: &Client,
) -> Result<()> {
    match password {
        Some(password) => check_password(state, caller, &password, client).await?,
        None => {
            let signed_in = {
                let mut conn = state.db.read().await?;
                sessions::signed_in_at(&mut conn, &caller.session_id).await?
            };
            let recent = state
                .clock
                .now()
                .saturating_sub(micros(state.config.account.recent_sign_in));
            if signed_in.is_none_or(|at| at < recent) {
                return Err(Error::FailedPrecondition("PASSWORD_REQUIRED"));
            }
        }
    }
    mfa::require_second_factor(state, caller, mfa_code, client).await?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let deleted = delete_account(
        &mut tx,
        &state.feed,
        &state.config.account,
        &caller.user_id,
        Requester::Owner,
        client,
        now,
    )
    .await?;
    if !deleted {
        return Err(Error::NotFound("user"));
    }
    tx.commit().await?;
    tracing::info!(user_id = %caller.user_id, "account deleted by its owner");
    Ok(())
}

/// Deletes `user_id` for an admin. NOT_FOUND for an unknown user; FAILED_PRECONDITION
/// `CANNOT_DELETE_SELF` for the admin's own account (that is `DeleteMe`, with its checks).
pub(crate) async fn delete_by_admin(
    state: &AppState,
    admin: &Caller,
    user_id: &str,
    client: &Client,
) -> Result<()> {
    if admin.user_id == user_id {
        return Err(Error::FailedPrecondition("CANNOT_DELETE_SELF"));
    }
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let deleted = delete_account(
        &mut tx,
        &state.feed,
        &state.config.account,
        user_id,
        Requester::Admin(&admin.user_id),
        client,
        now,
    )
    .await?;
    if !deleted {
        return Err(Error::NotFound("user"));
    }
    tx.commit().await?;
    tracing::info!(user_id, admin_id = %admin.user_id, "account deleted by an admin");
    Ok(())
}

/// The deletion itself, in the caller's transaction; false when there is no such user.
pub(crate) async fn delete_account(
    tx: &mut Tx,
    feed: &FeedNotifier,
    config: &AccountConfig,
    user_id: &str,
    requester: Requester<'_>,
    client: &Client,
    now: Micros,
) -> Result<bool> {
    let Some(user) = users::get(tx, user_id).await? else {
        return Ok(false);
    };
    let revoked =
        revocation::revoke_user_sessions(tx, feed, user_id, None, "account deleted", now).await?;
    revocation::announce_deletion(tx, feed, user_id, now, micros(config.deletion_retention))
        .await?;
    let goodbye = Outgoing {
        to: user.email.clone(),
        username: user.username.clone(),
        template: Template::AccountDeleted,
    };
    mail::enqueue(tx, now, &goodbye).await?;
    events::anonymise(tx, user_id).await?;
    let detail = match requester {
        Requester::Owner => format!("by the user; {revoked} sessions revoked"),
        Requester::Admin(admin) => format!("by admin {admin}; {revoked} sessions revoked"),
    };
    let mut event = SecurityEvent::new(EventType::UserDeleted)
        .user(user_id)
        .detail(detail);
    if let Requester::Admin(_) = requester {
        // The admin's address, not the deleted user's: it stays in the log.
        event = event.by(client);
    }
    security_events::record(tx, &event, now).await?;
    Ok(users::delete(tx, user_id).await?)
}

/// The caller's password, checked like a password change checks it.
async fn check_password(
    state: &AppState,
    caller: &Caller,
    password: &PresentedPassword,
    client: &Client,
) -> Result<()> {
    let action = Action {
        name: "password_change",
        limit: state.config.lockout.ip_limit,
        window: crate::domain::login::WINDOW,
        event: EventType::PasswordChangeFailed,
    };
    throttle::attempt(&state.db, &state.clock, action, client).await?;
    let stored = {
        let mut conn = state.db.read().await?;
        lockout::credentials_by_id(&mut conn, &caller.user_id)
            .await?
            .ok_or(Error::NotFound("user"))?
    };
    let guard = Lockout {
        db: &state.db,
        clock: &state.clock,
        policy: &state.config.lockout,
    };
    let kind = EventType::PasswordChangeFailed;
    guard.refuse_if_locked(&stored, kind, client).await?;
    let verification = state
        .hasher
        .verify(password.secret(), Some(stored.password_hash.clone()))
        .await?;
    if !verification.matches {
        return Err(guard.count_failure(&stored.id, kind, client).await?);
    }
    Ok(())
}
