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
use crate::domain::security_events::{self, EventType, SecurityEvent};
use crate::domain::values::PresentedPassword;
use crate::domain::{Client, reauth, revocation};
use crate::error::{Error, Result};
use crate::feed::FeedNotifier;
use crate::mail::{self, Outgoing, Template};
use crate::store::security_events as events;
use crate::store::users;

/// Who asked for a deletion, for the security log.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Requester<'a> {
    /// The user themself.
    Owner,
    /// An admin, by user id.
    Admin(&'a str),
}

/// Deletes the caller's account, once the caller has proven it is them
/// ([`reauth::confirm`]: the password or a recent sign-in, and the second factor when one is
/// enrolled).
pub(crate) async fn delete_me(
    state: &AppState,
    caller: &Caller,
    password: Option<PresentedPassword>,
    mfa_code: &str,
    client: &Client,
) -> Result<()> {
    reauth::confirm(state, caller, password, mfa_code, client).await?;
    commit(state, &caller.user_id, Requester::Owner, client).await?;
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
    commit(state, user_id, Requester::Admin(&admin.user_id), client).await?;
    tracing::info!(user_id, admin_id = %admin.user_id, "account deleted by an admin");
    Ok(())
}

/// Deletes `user_id` in a transaction of its own; NOT_FOUND when there is no such user.
async fn commit(
    state: &AppState,
    user_id: &str,
    requester: Requester<'_>,
    client: &Client,
) -> Result<()> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let deleted = delete_account(
        &mut tx,
        &state.feed,
        &state.config.account,
        user_id,
        requester,
        client,
        now,
    )
    .await?;
    if !deleted {
        return Err(Error::NotFound("user"));
    }
    tx.commit().await?;
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
