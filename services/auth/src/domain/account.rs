//! Account security of the signed-in user: changing the password.

use zeroize::Zeroizing;

use crate::app::AppState;
use crate::authn::Caller;
use crate::domain::{Client, validate};
use crate::error::{Error, Result};
use crate::events::{self, EventType, SecurityEvent};
use crate::revocation;
use crate::store::users;

/// Replaces the caller's password after checking the current one, and revokes every other
/// session of the caller (the current one stays), with a `PASSWORD_CHANGED` event, all in one
/// transaction. A wrong current password is UNAUTHENTICATED (`INVALID_CREDENTIALS`).
#[tracing::instrument(skip_all, fields(user_id = %caller.user_id))]
pub async fn change_password(
    state: &AppState,
    caller: &Caller,
    current: Zeroizing<String>,
    new: Zeroizing<String>,
    client: &Client,
) -> Result<usize> {
    let user = {
        let mut conn = state.db.pool().acquire().await?;
        users::get(&mut conn, &caller.user_id)
            .await?
            .ok_or(Error::NotFound("user"))?
    };
    let local = user.email.split('@').next().unwrap_or_default();
    let inputs = [
        user.username.as_str(),
        local,
        &user.first_name,
        &user.last_name,
    ];
    if let Err(why) = validate::password(&new, &state.config.password, &inputs) {
        return Err(Error::invalid("new_password", why));
    }
    if *new == *current {
        return Err(Error::invalid(
            "new_password",
            "must differ from the current password",
        ));
    }
    let stored = {
        let mut conn = state.db.pool().acquire().await?;
        users::credentials_by_id(&mut conn, &caller.user_id)
            .await?
            .ok_or(Error::NotFound("user"))?
    };
    let verification = state
        .hasher
        .verify(current, Some(stored.password_hash))
        .await?;
    if !verification.matches {
        return Err(Error::InvalidCredentials);
    }
    let hash = state.hasher.hash(new).await?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    users::set_password_hash(&mut tx, &caller.user_id, &hash).await?;
    let revoked = revocation::revoke_user_sessions(
        &mut tx,
        &caller.user_id,
        Some(&caller.session_id),
        "password changed",
        now,
    )
    .await?;
    events::record(
        &mut tx,
        &SecurityEvent {
            user_id: Some(caller.user_id.clone()),
            session_id: Some(caller.session_id.clone()),
            ip: client.ip.clone(),
            user_agent: client.user_agent.clone(),
            detail: format!("{} other sessions revoked", revoked.len()),
            ..SecurityEvent::new(EventType::PasswordChanged)
        },
        now,
    )
    .await?;
    tx.commit().await?;
    // Wake WatchRevocations streams now rather than at the next poll of the head.
    state.feed.published_all(revoked.iter().map(|r| r.sequence));
    Ok(revoked.len())
}
