//! The write side of revocation: revoke one token, one session, or every session of a user,
//! inside the caller's transaction. Each revocation flags the rows, appends a sequenced event
//! to the feed `WatchRevocations` serves, and registers on the transaction the wake-up of this
//! process's streams once it commits: no caller can forget it, and a rollback wakes nobody.
//!
//! The sequence is taken with `UPDATE revocation_sequence … RETURNING` in the same
//! transaction, whose row lock makes revoking transactions commit in sequence order: a
//! consumer resuming after sequence N can never miss an event committed later with a smaller
//! number (see `docs/ARCHITECTURE.md`, "The revocation feed"). Security events are the
//! caller's business (it knows why it revokes).

use shared::db::Tx;
use shared::time::Micros;

use crate::feed::FeedNotifier;
use crate::store::revocation_events::{self as events, EventRow};
use crate::store::{access_tokens, refresh_tokens, sessions};

/// Feed event kind of a single token.
pub(crate) const KIND_TOKEN: &str = "TOKEN";
/// Feed event kind of a whole session.
pub(crate) const KIND_SESSION: &str = "SESSION";
/// Feed event kind of a deleted account.
pub(crate) const KIND_USER_DELETED: &str = "USER_DELETED";

/// Revokes session `session_id` and all its tokens, appending a SESSION feed event. False
/// when it was already revoked (idempotent) or does not exist.
///
/// The event expires with the session's last access token, not with the session: it exists
/// for resource servers, which see only access tokens (refresh tokens are checked against the
/// database), and no access token can be minted for a session once this transaction has
/// revoked it (a rotation locks the session row first). So every replica forgets it within an
/// access token's lifetime instead of holding it for the rest of the session's 90 days, and a
/// follower that connects later replays only what can still matter.
pub(crate) async fn revoke_session(
    tx: &mut Tx,
    feed: &FeedNotifier,
    session_id: &str,
    reason: &str,
    now: Micros,
) -> sqlx::Result<bool> {
    let Some((user_id, session_end)) = sessions::revoke(tx, session_id, reason, now).await? else {
        return Ok(false);
    };
    refresh_tokens::revoke_session(tx, session_id, now).await?;
    access_tokens::revoke_session(tx, session_id, now).await?;
    let expires_at = access_tokens::last_expiry(tx, session_id)
        .await?
        .unwrap_or(now)
        .min(session_end);
    append(
        tx,
        feed,
        EventRow {
            sequence: 0,
            kind: KIND_SESSION.to_owned(),
            jti: None,
            session_id: Some(session_id.to_owned()),
            user_id,
            revoked_at: now,
            expires_at,
        },
    )
    .await?;
    Ok(true)
}

/// Revokes every not-yet-revoked session of `user_id` except `keep` (the caller's current
/// session, if it should survive), one feed event each. Returns how many it revoked.
pub(crate) async fn revoke_user_sessions(
    tx: &mut Tx,
    feed: &FeedNotifier,
    user_id: &str,
    keep: Option<&str>,
    reason: &str,
    now: Micros,
) -> sqlx::Result<usize> {
    let mut revoked = 0;
    for session_id in sessions::unrevoked_of_user(tx, user_id).await? {
        if keep != Some(session_id.as_str())
            && revoke_session(tx, feed, &session_id, reason, now).await?
        {
            revoked += 1;
        }
    }
    Ok(revoked)
}

/// Announces that `user_id` was deleted: a USER_DELETED event, which consumers act on by
/// deleting the user's data, kept in the feed for `retention` so that a consumer which was
/// down or cut off reads it late rather than never. The user's sessions are revoked by the
/// caller first ([`revoke_user_sessions`]), so their tokens are refused through the usual
/// SESSION events whatever a consumer does with this one.
pub(crate) async fn announce_deletion(
    tx: &mut Tx,
    feed: &FeedNotifier,
    user_id: &str,
    now: Micros,
    retention: Micros,
) -> sqlx::Result<()> {
    append(
        tx,
        feed,
        EventRow {
            sequence: 0,
            kind: KIND_USER_DELETED.to_owned(),
            jti: None,
            session_id: None,
            user_id: user_id.to_owned(),
            revoked_at: now,
            expires_at: now.saturating_add(retention),
        },
    )
    .await
}

/// Revokes one access or refresh token by `jti`. False when it was already revoked or does not
/// exist. Only that token: what a refresh token's revocation implies for its successors is the
/// caller's decision.
///
/// Only an access token's revocation goes to the feed (a TOKEN event expiring with the
/// token): the feed is for resource servers, which never accept refresh tokens, and a refresh
/// token's state is read from this database wherever it is presented. So revoking a chain
/// refreshed N times publishes its live access tokens, not N refresh tokens every consumer
/// would keep in memory for two weeks.
pub(crate) async fn revoke_token(
    tx: &mut Tx,
    feed: &FeedNotifier,
    jti: &str,
    now: Micros,
) -> sqlx::Result<bool> {
    let Some((session_id, user_id, expires_at)) = access_tokens::revoke(tx, jti, now).await? else {
        return Ok(refresh_tokens::revoke(tx, jti, now).await?.is_some());
    };
    let revoked = (jti.to_owned(), session_id, user_id, expires_at);
    append(tx, feed, access_token_event(revoked, now)).await?;
    Ok(true)
}

/// Revokes refresh token `jti` and everything that came after it in its session (every
/// refresh token rotated from it, directly or not, and the access tokens of all of them),
/// skipping tokens that can no longer verify (expired before `live_after`); returns how many
/// this call revoked. Two set-based statements whatever the length of the line; only the
/// live access tokens go to the feed, as in [`revoke_token`].
pub(crate) async fn revoke_line(
    tx: &mut Tx,
    feed: &FeedNotifier,
    jti: &str,
    now: Micros,
    live_after: Micros,
) -> sqlx::Result<u64> {
    let refresh = refresh_tokens::revoke_line(tx, jti, now, live_after).await?;
    let access = access_tokens::revoke_of_line(tx, jti, now, live_after).await?;
    let revoked = refresh.saturating_add(u64::try_from(access.len()).unwrap_or(u64::MAX));
    for token in access {
        append(tx, feed, access_token_event(token, now)).await?;
    }
    Ok(revoked)
}

/// The TOKEN event of an access token revoked at `now`, expiring with the token; numbered by
/// [`append`].
fn access_token_event(
    (jti, session_id, user_id, expires_at): access_tokens::RevokedAccess,
    now: Micros,
) -> EventRow {
    EventRow {
        sequence: 0,
        kind: KIND_TOKEN.to_owned(),
        jti: Some(jti),
        session_id: Some(session_id),
        user_id,
        revoked_at: now,
        expires_at,
    }
}

/// Numbers `event` with the next sequence, appends it, and once the transaction commits,
/// records it in this process's mirror and wakes this process's streams.
async fn append(tx: &mut Tx, feed: &FeedNotifier, mut event: EventRow) -> sqlx::Result<()> {
    event.sequence = events::next_sequence(tx).await?;
    events::insert(tx, &event).await?;
    let feed = feed.clone();
    // Into this process's mirror first, so introspection here refuses the token as soon as
    // the revoking RPC returns; then the wake-up of the streams.
    tx.after_commit(move || {
        feed.mirror().apply(&event);
        feed.published(event.sequence);
    });
    Ok(())
}
