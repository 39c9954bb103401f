//! The token tree of a session: its refresh tokens in rotation order, each with the access
//! tokens issued with it, and each token's status.

use std::collections::HashMap;

use shared::time::Micros;

use shared::db::Db;

use crate::error::{Error, Result};
use crate::store::access_tokens::{self, AccessRow};
use crate::store::refresh_tokens::{self, RefreshRow};
use crate::store::sessions::{self, SessionView};

/// Lifecycle status of one token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenStatus {
    /// Usable.
    Active,
    /// Refresh tokens only: exchanged by Refresh.
    Rotated,
    /// Revoked explicitly, with its session, or by reuse detection.
    Revoked,
    /// Past its expiry (or its session's absolute end).
    Expired,
}

/// A session's tree.
#[derive(Debug)]
pub(crate) struct Tree {
    /// The session.
    pub session: SessionView,
    /// Refresh tokens in rotation order, each with its access tokens (oldest first).
    pub refresh_tokens: Vec<(RefreshRow, Vec<AccessRow>)>,
    /// True when older refresh tokens than these exist (see [`MAX_REFRESH_TOKENS`]).
    pub truncated: bool,
}

/// Most refresh tokens a tree lists: the newest, so one answer stays bounded however long the
/// session has been refreshed (every ten minutes for 90 days is some 13,000).
pub(crate) const MAX_REFRESH_TOKENS: usize = 100;

/// The tree of one of `user_id`'s sessions (the caller's own, or any user's for an admin);
/// NOT_FOUND if it is missing or someone else's.
#[tracing::instrument(skip_all, fields(session_id))]
pub(crate) async fn tree(db: &Db, user_id: &str, session_id: &str) -> Result<Tree> {
    let mut conn = db.read().await?;
    let session = sessions::view(&mut conn, user_id, session_id)
        .await?
        .ok_or(Error::NotFound("session"))?;
    let limit = i64::try_from(MAX_REFRESH_TOKENS + 1).unwrap_or(i64::MAX);
    let mut refresh = refresh_tokens::newest_of_session(&mut conn, session_id, limit).await?;
    let truncated = refresh.len() > MAX_REFRESH_TOKENS;
    refresh.truncate(MAX_REFRESH_TOKENS);
    refresh.reverse();
    let jtis: Vec<String> = refresh.iter().map(|r| r.jti.clone()).collect();
    let access = access_tokens::of_refresh_tokens(&mut conn, &jtis).await?;
    let mut by_refresh: HashMap<String, Vec<AccessRow>> = HashMap::new();
    for a in access {
        by_refresh.entry(a.refresh_jti.clone()).or_default().push(a);
    }
    let refresh_tokens = chain(refresh)
        .into_iter()
        .map(|r| {
            let access = by_refresh.remove(&r.jti).unwrap_or_default();
            (r, access)
        })
        .collect();
    Ok(Tree {
        session,
        refresh_tokens,
        truncated,
    })
}

/// Orders a session's refresh tokens (given oldest first) by rotation: the root, its child,
/// that one's child… Issue times have one-second resolution, so several rotations within a
/// second tie; the parent links do not. Rotation keeps chains linear; should a row ever fork,
/// its branches follow depth first, oldest first, so nothing is hidden.
pub(crate) fn chain(rows: Vec<RefreshRow>) -> Vec<RefreshRow> {
    let known: std::collections::HashSet<String> = rows.iter().map(|r| r.jti.clone()).collect();
    let mut children: HashMap<Option<String>, Vec<RefreshRow>> = HashMap::new();
    for row in rows {
        // A parent outside the session cannot happen; treat such a row as a root.
        let parent = row.parent_jti.clone().filter(|p| known.contains(p));
        children.entry(parent).or_default().push(row);
    }
    let mut ordered = Vec::with_capacity(known.len());
    let mut stack: Vec<RefreshRow> = children.remove(&None).unwrap_or_default();
    stack.reverse();
    while let Some(row) = stack.pop() {
        if let Some(mut next) = children.remove(&Some(row.jti.clone())) {
            next.reverse();
            stack.extend(next);
        }
        ordered.push(row);
    }
    ordered
}

/// A refresh token's status at `now`.
pub(crate) fn refresh_status(
    row: &RefreshRow,
    session_expires_at: Micros,
    now: Micros,
) -> TokenStatus {
    if row.revoked_at.is_some() {
        TokenStatus::Revoked
    } else if row.rotated_at.is_some() {
        TokenStatus::Rotated
    } else if row.expires_at <= now || session_expires_at <= now {
        TokenStatus::Expired
    } else {
        TokenStatus::Active
    }
}

/// An access token's status at `now`.
pub(crate) fn access_status(row: &AccessRow, now: Micros) -> TokenStatus {
    if row.revoked_at.is_some() {
        TokenStatus::Revoked
    } else if row.expires_at <= now {
        TokenStatus::Expired
    } else {
        TokenStatus::Active
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(jti: &str, parent: Option<&str>) -> RefreshRow {
        RefreshRow {
            jti: jti.into(),
            session_id: "s".into(),
            user_id: "u".into(),
            parent_jti: parent.map(Into::into),
            // All in one second, in an order unrelated to the chain.
            issued_at: 1_000_000,
            expires_at: 2_000_000,
            rotated_at: None,
            revoked_at: None,
            ip: String::new(),
            user_agent: String::new(),
            device_label: String::new(),
        }
    }

    #[test]
    fn the_chain_follows_parent_links_not_issue_times() {
        let rows = vec![
            row("c", Some("b")),
            row("a", None),
            row("d", Some("c")),
            row("b", Some("a")),
        ];
        let order: Vec<String> = chain(rows).into_iter().map(|r| r.jti).collect();
        assert_eq!(order, ["a", "b", "c", "d"]);
    }
}
