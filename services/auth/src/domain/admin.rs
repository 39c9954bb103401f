//! Administration (role ADMIN): users, their sessions, the security log, signing keys.

use serde::{Deserialize, Serialize};
use shared::paging;
use shared::time::Micros;

use crate::app::AppState;
use crate::authn::Caller;
use crate::domain::{Client, Role};
use crate::error::{Error, Result};
use crate::events::{self, EventType, SecurityEvent};
use crate::revocation;
use crate::store::events::{self as event_store, EventFilter, EventRow};
use crate::store::lifecycle::{self as session_store, OwnSessionRow};
use crate::store::users::{self, UserFilter, UserRow};

/// A keyset position: `(created_at, id)` of the last row served.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Position(pub Micros, pub String);

/// One page of a listing.
#[derive(Debug)]
pub struct Page<T> {
    /// The rows.
    pub items: Vec<T>,
    /// Token of the next page; empty at the end.
    pub next_page_token: String,
}

/// A validated page request: size and position, bound to the listing's filters.
#[derive(Debug)]
pub struct PageRequest {
    /// Rows wanted.
    pub size: i64,
    /// Where to continue.
    pub after: Option<Position>,
    /// The filters' fingerprint, for the next token.
    pub fingerprint: String,
}

impl PageRequest {
    /// Parses `page_size` and `page_token` for a listing with `filters`.
    pub fn parse(
        page_size: i32,
        page_token: &str,
        filters: &[&str],
        v: &mut shared::error::Violations,
    ) -> Self {
        let fingerprint = paging::fingerprint(filters);
        let size = match paging::page_size(page_size) {
            Ok(size) => size,
            Err(violation) => {
                v.add(violation.field, violation.description);
                paging::DEFAULT_PAGE_SIZE
            }
        };
        let after = match paging::decode_token::<Position>(page_token, &fingerprint) {
            Ok(after) => after,
            Err(violation) => {
                v.add(violation.field, violation.description);
                None
            }
        };
        Self {
            size,
            after,
            fingerprint,
        }
    }

    /// Builds the page from `size + 1` fetched rows.
    fn page<T>(&self, mut rows: Vec<T>, position: impl Fn(&T) -> Position) -> Page<T> {
        let more = i64::try_from(rows.len()).unwrap_or(i64::MAX) > self.size;
        rows.truncate(usize::try_from(self.size).unwrap_or(usize::MAX));
        let next_page_token = match rows.last() {
            Some(last) if more => paging::encode_token(&self.fingerprint, &position(last)),
            _ => String::new(),
        };
        Page {
            items: rows,
            next_page_token,
        }
    }

    fn after(&self) -> Option<(Micros, &str)> {
        self.after.as_ref().map(|p| (p.0, p.1.as_str()))
    }
}

/// Users matching `filter`, oldest first.
pub async fn list_users(
    state: &AppState,
    filter: &UserFilter<'_>,
    page: &PageRequest,
) -> Result<Page<UserRow>> {
    let mut conn = state.db.pool().acquire().await?;
    let rows = users::list(&mut conn, filter, page.after(), page.size + 1).await?;
    Ok(page.page(rows, |u| Position(u.created_at, u.id.clone())))
}

/// One user, NOT_FOUND if absent.
pub async fn get_user(state: &AppState, user_id: &str) -> Result<UserRow> {
    let mut conn = state.db.pool().acquire().await?;
    users::get(&mut conn, user_id)
        .await?
        .ok_or(Error::NotFound("user"))
}

/// Sets `active` and/or `role`. Deactivation revokes every session of the user
/// (`USER_DEACTIVATED`), reactivation records `USER_ACTIVATED`, a role change `ROLE_CHANGED`
/// and revokes every session (the role is in the tokens); unchanged values record nothing. An admin cannot deactivate or demote themselves (that
/// could leave no admin at all): FAILED_PRECONDITION.
#[tracing::instrument(skip_all, fields(user_id))]
pub async fn update_user(
    state: &AppState,
    caller: &Caller,
    user_id: &str,
    active: Option<bool>,
    role: Option<Role>,
    client: &Client,
) -> Result<UserRow> {
    if user_id == caller.user_id
        && (active == Some(false) || role.is_some_and(|r| r != Role::Admin))
    {
        return Err(Error::FailedPrecondition("CANNOT_DEMOTE_SELF"));
    }
    let now = state.clock.now();
    let event = SecurityEvent {
        user_id: Some(user_id.to_owned()),
        ip: client.ip.clone(),
        user_agent: client.user_agent.clone(),
        ..SecurityEvent::new(EventType::RoleChanged)
    };
    let mut tx = state.db.begin().await?;
    // Feed sequences appended by this transaction, announced once it commits.
    let mut published = Vec::new();
    let (stored_role, stored_active) = users::role_and_active_for_update(&mut tx, user_id)
        .await?
        .ok_or(Error::NotFound("user"))?;
    if let Some(active) = active.filter(|a| *a != stored_active.0) {
        users::set_active(&mut tx, user_id, active, now).await?;
        let (kind, detail) = if active {
            (
                EventType::UserActivated,
                format!("by admin {}", caller.user_id),
            )
        } else {
            let revoked =
                revocation::revoke_user_sessions(&mut tx, user_id, None, "user deactivated", now)
                    .await?;
            published.extend(revoked.iter().map(|r| r.sequence));
            (
                EventType::UserDeactivated,
                format!(
                    "by admin {}; {} sessions revoked",
                    caller.user_id,
                    revoked.len()
                ),
            )
        };
        events::record(
            &mut tx,
            &SecurityEvent {
                kind,
                detail,
                ..event.clone()
            },
            now,
        )
        .await?;
    }
    if let Some(role) = role.filter(|r| r.as_str() != stored_role) {
        users::set_role(&mut tx, user_id, role.as_str(), now).await?;
        // Access tokens carry the role and other services trust the claim: revoking every
        // session makes the change take effect everywhere within the feed latency instead of
        // lingering until the tokens expire.
        let revoked =
            revocation::revoke_user_sessions(&mut tx, user_id, None, "role changed", now).await?;
        published.extend(revoked.iter().map(|r| r.sequence));
        events::record(
            &mut tx,
            &SecurityEvent {
                detail: format!(
                    "role {stored_role} -> {} by admin {}; {} sessions revoked",
                    role.as_str(),
                    caller.user_id,
                    revoked.len()
                ),
                ..event
            },
            now,
        )
        .await?;
    }
    let user = users::get(&mut tx, user_id)
        .await?
        .ok_or(Error::NotFound("user"))?;
    tx.commit().await?;
    state.feed.published_all(published);
    Ok(user)
}

/// A user's sessions, newest first. NOT_FOUND if the user does not exist.
pub async fn list_user_sessions(
    state: &AppState,
    user_id: &str,
    page: &PageRequest,
) -> Result<Page<OwnSessionRow>> {
    let mut conn = state.db.pool().acquire().await?;
    if users::credentials_by_id(&mut conn, user_id)
        .await?
        .is_none()
    {
        return Err(Error::NotFound("user"));
    }
    let rows =
        session_store::list_sessions(&mut conn, user_id, page.after(), page.size + 1).await?;
    Ok(page.page(rows, |s| {
        Position(s.session.created_at, s.session.id.clone())
    }))
}

/// Revokes every active session of a user, with an `ALL_SESSIONS_REVOKED` event. Returns how
/// many were active.
#[tracing::instrument(skip_all, fields(user_id))]
pub async fn revoke_user_sessions(
    state: &AppState,
    caller: &Caller,
    user_id: &str,
    client: &Client,
) -> Result<usize> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    if users::credentials_by_id(&mut tx, user_id).await?.is_none() {
        return Err(Error::NotFound("user"));
    }
    let revoked =
        revocation::revoke_user_sessions(&mut tx, user_id, None, "revoked by admin", now).await?;
    events::record(
        &mut tx,
        &SecurityEvent {
            user_id: Some(user_id.to_owned()),
            ip: client.ip.clone(),
            user_agent: client.user_agent.clone(),
            detail: format!(
                "by admin {}; {} sessions revoked",
                caller.user_id,
                revoked.len()
            ),
            ..SecurityEvent::new(EventType::AllSessionsRevoked)
        },
        now,
    )
    .await?;
    tx.commit().await?;
    state.feed.published_all(revoked.iter().map(|r| r.sequence));
    Ok(revoked.len())
}

/// Security events matching `filter`, newest first.
pub async fn list_events(
    state: &AppState,
    filter: &EventFilter<'_>,
    page: &PageRequest,
) -> Result<Page<EventRow>> {
    let mut conn = state.db.pool().acquire().await?;
    let rows = event_store::list(&mut conn, filter, page.after(), page.size + 1).await?;
    Ok(page.page(rows, |e| Position(e.created_at, e.id.clone())))
}

/// Makes a new signing key active, with a `SIGNING_KEY_ROTATED` event. Returns its kid.
pub async fn rotate_signing_key(
    state: &AppState,
    caller: &Caller,
    client: &Client,
) -> Result<String> {
    // Not user-specific: the event's user is empty and the admin is named in the detail.
    let actor = SecurityEvent {
        detail: format!("by admin {}", caller.user_id),
        ip: client.ip.clone(),
        user_agent: client.user_agent.clone(),
        ..SecurityEvent::new(EventType::SigningKeyRotated)
    };
    state.keys.rotate(&state.config.tokens, &actor).await
}
