//! The in-memory revocation set, checked on every request after the token verifies: revoked
//! token ids and session ids (a `shared::revoked::RevokedSet`, kept until no token they
//! concern can verify), deleted accounts (every token of theirs), plus where the feed stands
//! and when it was last heard from.

use std::collections::HashMap;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use shared::revoked::RevokedSet;
use shared::time::Micros;
use tokio::time::Instant;

use crate::domain::clock::Clock;

/// A position in the revocation feed: what a reconnect sends so the auth service resumes
/// right after it, or replays its feed from the start when the position is not in its
/// history.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Position {
    /// The feed the position belongs to ("" until the first heartbeat names it).
    pub feed_id: String,
    /// The last sequence delivered.
    pub sequence: i64,
    /// The digest of the event at `sequence`, as the feed sent it ("" when not known).
    pub digest: String,
}

/// Revoked tokens and sessions, and the feed's freshness.
#[derive(Debug)]
pub struct Revocations {
    set: RevokedSet,
    /// Deleted accounts (`sub`) → until when their tokens are refused (Unix microseconds):
    /// the feed's own expiry of the deletion event, plus the leeway. Pruned as it grows.
    deleted_users: RwLock<DeletedUsers>,
    /// The verifiers' leeway, added to each deleted account's expiry.
    leeway: Micros,
    /// "Now", for expiring deleted accounts.
    clock: Clock,
    /// Where a reconnect resumes: the last position the feed's stream delivered.
    position: std::sync::Mutex<Position>,
    /// Milliseconds after `origin` when the feed last spoke, plus one (0: never).
    last_heard: AtomicU64,
    origin: Instant,
}

/// Deleted accounts whose tokens are refused, and when they were last pruned.
#[derive(Debug)]
struct DeletedUsers {
    until: HashMap<String, Micros>,
    pruned_at: Micros,
}

/// How long a deleted account is kept when the feed did not say: longer than any access token
/// lives (as `shared::revoked` keeps such entries).
const UNKNOWN_EXPIRY_KEPT: Micros = 24 * 3600 * 1_000_000;
/// Least time between two prunes of the deleted accounts.
const PRUNE_EVERY: Micros = 30 * 1_000_000;

impl Revocations {
    /// An empty set that has never heard from the feed, for a verifier accepting tokens up to
    /// `leeway` after their expiry.
    pub fn new(leeway: Duration, clock: Clock) -> Self {
        Self {
            set: RevokedSet::new(leeway, clock.clone()),
            deleted_users: RwLock::new(DeletedUsers {
                until: HashMap::new(),
                pruned_at: clock.now(),
            }),
            leeway: i64::try_from(leeway.as_micros()).unwrap_or(i64::MAX),
            clock,
            position: std::sync::Mutex::default(),
            last_heard: AtomicU64::new(0),
            origin: Instant::now(),
        }
    }

    /// True when the token or its session is revoked.
    pub fn is_revoked(&self, jti: &str, sid: &str) -> bool {
        self.set.is_revoked(jti, sid)
    }

    /// Records a revoked token whose expiry is `expires_at` (Unix microseconds; `None`:
    /// unknown).
    pub fn revoke_token(&self, jti: String, expires_at: Option<Micros>) {
        self.set.revoke_token(jti, expires_at);
    }

    /// Records a revoked session whose tokens all expire by `expires_at`.
    pub fn revoke_session(&self, sid: String, expires_at: Option<Micros>) {
        self.set.revoke_session(sid, expires_at);
    }

    /// Records a deleted account: every token whose `sub` is `user_id` is refused until
    /// `expires_at` (Unix microseconds; `None`: unknown) plus the leeway.
    pub fn revoke_user(&self, user_id: String, expires_at: Option<Micros>) {
        let now = self.clock.now();
        let until = expires_at
            .unwrap_or_else(|| now.saturating_add(UNKNOWN_EXPIRY_KEPT))
            .saturating_add(self.leeway);
        let mut deleted = self
            .deleted_users
            .write()
            .unwrap_or_else(|p| p.into_inner());
        if now.saturating_sub(deleted.pruned_at) >= PRUNE_EVERY {
            deleted.until.retain(|_, until| *until >= now);
            deleted.pruned_at = now;
        }
        let slot = deleted.until.entry(user_id).or_insert(until);
        *slot = (*slot).max(until);
    }

    /// True when the account `user_id` was deleted.
    pub fn is_user_revoked(&self, user_id: &str) -> bool {
        // Plain maps, replaced entry by entry: a panic elsewhere cannot leave them torn.
        let deleted = self.deleted_users.read().unwrap_or_else(|p| p.into_inner());
        deleted.until.contains_key(user_id)
    }

    /// Where a reconnect resumes.
    pub fn position(&self) -> Position {
        self.lock_position().clone()
    }

    fn lock_position(&self) -> std::sync::MutexGuard<'_, Position> {
        // A plain value, replaced whole: a panic elsewhere cannot leave it half-written.
        self.position.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Notes that the stream delivered the event at `sequence`, whose digest is `digest`.
    ///
    /// The position becomes that event's even when it is lower than the one held: a stream
    /// sends events in order, starting either right after our position (the server found it
    /// in its history) or from the beginning (it did not, as after a restore from a backup),
    /// so in both cases everything up to this event has reached us, and this is the position
    /// the server can recognise.
    pub fn advance(&self, sequence: i64, digest: &str) {
        let mut position = self.lock_position();
        position.sequence = sequence;
        digest.clone_into(&mut position.digest);
    }

    /// Notes a heartbeat of the feed `feed_id`: every event up to `head` (whose digest is
    /// `head_digest`) has been sent on this stream, so that is our position, in that feed.
    /// A heartbeat that names no feed (an older server) moves nothing.
    pub fn note_heartbeat(&self, feed_id: &str, head: i64, head_digest: &str) {
        if feed_id.is_empty() {
            return;
        }
        let mut position = self.lock_position();
        if !position.feed_id.is_empty() && position.feed_id != feed_id {
            tracing::warn!(
                from = %position.feed_id,
                to = feed_id,
                head,
                "the revocation feed was replaced; following the new one"
            );
        } else if head < position.sequence {
            tracing::warn!(
                held = position.sequence,
                head,
                "the revocation feed replayed from its start (auth database restored?); \
                 following it from its head"
            );
        }
        *position = Position {
            feed_id: feed_id.to_owned(),
            sequence: head,
            digest: head_digest.to_owned(),
        };
    }

    /// Forgets the feed position, to follow a feed from its start: the auth service's feed
    /// no longer reaches our position (its database was replaced). Revocations already
    /// known stay until they expire.
    pub fn restart_position(&self) {
        let mut position = self.lock_position();
        position.sequence = 0;
        position.digest.clear();
    }

    /// Notes that the feed just spoke (an event or a heartbeat).
    pub fn heard(&self) {
        let millis = u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX - 1);
        self.last_heard.store(millis + 1, Ordering::Release);
    }

    /// Revoked tokens and sessions held.
    pub fn len(&self) -> usize {
        self.set.len()
    }

    /// How long since the feed last spoke (`None`: never).
    pub fn silent_for(&self) -> Option<Duration> {
        match self.last_heard.load(Ordering::Acquire) {
            0 => None,
            heard => {
                let now = u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX);
                Some(Duration::from_millis(now.saturating_sub(heard - 1)))
            }
        }
    }

    /// True when the feed spoke within `max_staleness`.
    pub fn is_fresh(&self, max_staleness: Duration) -> bool {
        self.silent_for()
            .is_some_and(|silent| silent <= max_staleness)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::AtomicI64;

    use super::*;

    const SECOND: Micros = 1_000_000;
    const LEEWAY: Duration = Duration::from_secs(60);

    /// A set on a clock the test moves, starting at 1000 s.
    fn at_hand() -> (Revocations, Arc<AtomicI64>) {
        let now = Arc::new(AtomicI64::new(1_000 * SECOND));
        let read = Arc::clone(&now);
        let clock = Clock::from_fn(move || read.load(Ordering::SeqCst));
        (Revocations::new(LEEWAY, clock), now)
    }

    #[test]
    fn the_position_is_the_last_one_the_stream_delivered() {
        let (r, _) = at_hand();
        r.note_heartbeat("feed-a", 5, "d5");
        r.advance(6, "d6");
        assert_eq!(
            r.position(),
            Position {
                feed_id: "feed-a".into(),
                sequence: 6,
                digest: "d6".into()
            }
        );
        // The server replayed its feed from the start (restored from a backup): its head
        // is now behind the position held, and the heartbeat says so.
        r.advance(1, "e1");
        r.note_heartbeat("feed-a", 3, "e3");
        assert_eq!(
            r.position(),
            Position {
                feed_id: "feed-a".into(),
                sequence: 3,
                digest: "e3".into()
            }
        );
        r.restart_position();
        assert_eq!(
            (r.position().sequence, r.position().digest.as_str()),
            (0, "")
        );
    }

    #[tokio::test(start_paused = true)]
    async fn freshness_follows_the_last_time_the_feed_spoke() {
        let (r, _) = at_hand();
        let bound = Duration::from_millis(300);
        assert!(!r.is_fresh(bound), "never heard is stale");
        r.heard();
        assert!(r.is_fresh(bound));
        tokio::time::advance(Duration::from_millis(250)).await;
        assert!(r.is_fresh(bound));
        tokio::time::advance(Duration::from_millis(100)).await;
        assert!(!r.is_fresh(bound));
        r.heard();
        assert!(r.is_fresh(bound));
    }
}
