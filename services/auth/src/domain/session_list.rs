//! A user's sessions as listed to their owner (`ListSessions`) and to an admin
//! (`ListUserSessions`): one listing and one status rule for both.

use shared::db::Db;
use shared::paging::{Page, PageRequest};
use shared::time::Micros;

use crate::error::Result;
use crate::store::sessions::{self, SessionView};

/// Keyset position of a session listing: `(created_at, id)` of the last row served.
pub(crate) type Position = (Micros, String);

/// Lifecycle status of a session as listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    /// Can still be refreshed.
    Active,
    /// Revoked (logout, the user, an admin, a password change, deactivation, reuse), or every
    /// refresh token of it revoked, so it can never be refreshed again.
    Revoked,
    /// Its newest refresh token expired (idle) or it reached its absolute end.
    Expired,
}

/// The status of a listed session at `now`.
pub(crate) fn status(view: &SessionView, now: Micros) -> Status {
    match view.live_until {
        _ if view.session.revoked_at.is_some() => Status::Revoked,
        None => Status::Revoked,
        Some(until) if until <= now || view.session.expires_at <= now => Status::Expired,
        Some(_) => Status::Active,
    }
}

/// A page of `user_id`'s sessions, newest first.
pub(crate) async fn list(
    db: &Db,
    user_id: &str,
    page: &PageRequest<Position>,
) -> Result<Page<SessionView>> {
    let mut conn = db.read().await?;
    let rows = sessions::list(&mut conn, user_id, page.after.as_ref(), page.limit()).await?;
    Ok(page.page(rows, |v| (v.session.created_at, v.session.id.clone())))
}
