//! Administration (role ADMIN): users, their sessions and avatars, the security log, signing
//! keys.

use shared::db::Db;
use shared::paging::{Page, PageRequest};
use shared::time::Micros;

use crate::clock::Clock;
use crate::config::TokenConfig;
use crate::domain::caller::Caller;
use crate::domain::security_events::{self, EventType, SecurityEvent};
use crate::domain::session_list::{self, Position};
use crate::domain::{Client, Role, profile, revocation};
use crate::error::{Error, Result};
use crate::feed::FeedNotifier;
use crate::keys::{KeyRing, PublicKey};
use crate::store::security_events::{self as event_store, EventFilter, EventRow};
use crate::store::sessions::SessionView;
use crate::store::users::listing::{self, UserFilter};
use crate::store::users::{self, UserRow};

/// Users matching `filter`, oldest first.
pub(crate) async fn list_users(
    db: &Db,
    filter: &UserFilter,
    page: &PageRequest<Position>,
) -> Result<Page<UserRow>> {
    let mut conn = db.read().await?;
    let rows = listing::list(&mut conn, filter, page.after.as_ref(), page.limit()).await?;
    Ok(page.page(rows, |u| (u.created_at, u.id.clone())))
}

/// One user, NOT_FOUND if absent.
pub(crate) async fn get_user(db: &Db, user_id: &str) -> Result<UserRow> {
    let mut conn = db.read().await?;
    users::get(&mut conn, user_id)
        .await?
        .ok_or(Error::NotFound("user"))
}

/// What an admin changes about a user; `None` leaves it as it is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct UserChange {
    /// Activate or deactivate.
    pub active: Option<bool>,
    /// The new role.
    pub role: Option<Role>,
}

/// What administering users needs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Admin<'a> {
    /// The auth database.
    pub db: &'a Db,
    /// "Now".
    pub clock: &'a Clock,
    /// Woken when revocations commit.
    pub feed: &'a FeedNotifier,
}

impl Admin<'_> {
    /// Applies `change`. Deactivation revokes every session of the user
    /// (`USER_DEACTIVATED`), reactivation records `USER_ACTIVATED`, a role change
    /// `ROLE_CHANGED` and revokes every session (the role is in the tokens); unchanged values
    /// record nothing. An admin cannot deactivate or demote themselves (that could leave no
    /// admin at all): FAILED_PRECONDITION.
    #[tracing::instrument(skip_all, fields(user_id))]
    pub(crate) async fn update_user(
        &self,
        caller: &Caller,
        user_id: &str,
        change: UserChange,
        client: &Client,
    ) -> Result<UserRow> {
        if user_id == caller.user_id
            && (change.active == Some(false) || change.role.is_some_and(|r| r != Role::Admin))
        {
            return Err(Error::FailedPrecondition("CANNOT_DEMOTE_SELF"));
        }
        let now = self.clock.now();
        let event = SecurityEvent::new(EventType::RoleChanged)
            .user(user_id)
            .by(client);
        let mut tx = self.db.begin().await?;
        let (stored_role, stored_active) = users::role_and_active_for_update(&mut tx, user_id)
            .await?
            .ok_or(Error::NotFound("user"))?;
        if let Some(active) = change.active.filter(|a| *a != stored_active.0) {
            users::set_active(&mut tx, user_id, active, now).await?;
            let (kind, detail) = if active {
                (
                    EventType::UserActivated,
                    format!("by admin {}", caller.user_id),
                )
            } else {
                let reason = "user deactivated";
                let revoked = self.revoke_all(&mut tx, user_id, reason, now).await?;
                (
                    EventType::UserDeactivated,
                    format!("by admin {}; {revoked} sessions revoked", caller.user_id),
                )
            };
            let event = SecurityEvent {
                kind,
                ..event.clone()
            };
            security_events::record(&mut tx, &event.detail(detail), now).await?;
        }
        if let Some(role) = change.role.filter(|r| r.as_str() != stored_role) {
            users::set_role(&mut tx, user_id, role.as_str(), now).await?;
            // Access tokens carry the role and other services trust the claim: revoking every
            // session makes the change take effect everywhere within the feed latency instead
            // of lingering until the tokens expire.
            let revoked = self
                .revoke_all(&mut tx, user_id, "role changed", now)
                .await?;
            let detail = format!(
                "role {stored_role} -> {} by admin {}; {revoked} sessions revoked",
                role.as_str(),
                caller.user_id,
            );
            security_events::record(&mut tx, &event.detail(detail), now).await?;
        }
        let user = users::get(&mut tx, user_id)
            .await?
            .ok_or(Error::NotFound("user"))?;
        tx.commit().await?;
        Ok(user)
    }

    /// Revokes every active session of a user, with an `ALL_SESSIONS_REVOKED` event. Returns
    /// how many were active.
    #[tracing::instrument(skip_all, fields(user_id))]
    pub(crate) async fn revoke_user_sessions(
        &self,
        caller: &Caller,
        user_id: &str,
        client: &Client,
    ) -> Result<usize> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        if users::role_and_active(&mut tx, user_id).await?.is_none() {
            return Err(Error::NotFound("user"));
        }
        let revoked = self
            .revoke_all(&mut tx, user_id, "revoked by admin", now)
            .await?;
        let event = SecurityEvent::new(EventType::AllSessionsRevoked)
            .user(user_id)
            .by(client)
            .detail(format!(
                "by admin {}; {revoked} sessions revoked",
                caller.user_id
            ));
        security_events::record(&mut tx, &event, now).await?;
        tx.commit().await?;
        Ok(revoked)
    }

    async fn revoke_all(
        &self,
        tx: &mut shared::db::Tx,
        user_id: &str,
        reason: &str,
        now: Micros,
    ) -> Result<usize> {
        Ok(revocation::revoke_user_sessions(tx, self.feed, user_id, None, reason, now).await?)
    }
}

/// NOT_FOUND unless user `user_id` exists.
async fn require_user(db: &Db, user_id: &str) -> Result<()> {
    let mut conn = db.read().await?;
    match users::role_and_active(&mut conn, user_id).await? {
        Some(_) => Ok(()),
        None => Err(Error::NotFound("user")),
    }
}

/// A user's sessions, newest first. NOT_FOUND if the user does not exist.
pub(crate) async fn list_user_sessions(
    db: &Db,
    user_id: &str,
    page: &PageRequest<Position>,
) -> Result<Page<SessionView>> {
    require_user(db, user_id).await?;
    session_list::list(db, user_id, page).await
}

/// A user's avatar: `(content_type, image)`. NOT_FOUND naming the user when there is no such
/// user, naming the avatar when they have none.
pub(crate) async fn user_avatar(db: &Db, user_id: &str) -> Result<(String, Vec<u8>)> {
    require_user(db, user_id).await?;
    profile::get_avatar(db, user_id).await
}

/// Security events matching `filter`, newest first.
pub(crate) async fn list_events(
    db: &Db,
    filter: &EventFilter,
    page: &PageRequest<Position>,
) -> Result<Page<EventRow>> {
    let mut conn = db.read().await?;
    let rows = event_store::list(&mut conn, filter, page.after.as_ref(), page.limit()).await?;
    Ok(page.page(rows, |e| (e.created_at, e.id.clone())))
}

/// The key ring as the JWKS publishes it (see `KeyRing::fresh_public_keys`): the active key,
/// then the retired keys still verifying, newest first. Public halves only.
pub(crate) async fn signing_keys(keys: &KeyRing) -> Vec<PublicKey> {
    keys.fresh_public_keys().await
}

/// Makes a new signing key active, with a `SIGNING_KEY_ROTATED` event. Returns its kid.
pub(crate) async fn rotate_signing_key(
    keys: &KeyRing,
    tokens: &TokenConfig,
    caller: &Caller,
    client: &Client,
) -> Result<String> {
    // Not user-specific: the event's user is empty and the admin is named in the detail.
    let actor = SecurityEvent::new(EventType::SigningKeyRotated)
        .by(client)
        .detail(format!("by admin {}", caller.user_id));
    keys.rotate(tokens, &actor).await
}
