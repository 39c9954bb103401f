//! The in-memory revocation set, checked on every request after the token verifies: revoked
//! token ids and session ids, plus when the feed was last heard from.
//!
//! An entry is kept until no token it concerns can verify anywhere any more: the tokens'
//! expiry plus the verifier's leeway. Dropping it at the bare expiry would let a revoked
//! token through again for the length of the leeway. The set only grows when an entry is
//! added, so that is where it is pruned, at most once per [`PRUNE_EVERY`].

use std::collections::HashMap;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use shared::time::Micros;
use tokio::time::Instant;

use crate::domain::clock::Clock;

/// Least time between two prunes of the set.
const PRUNE_EVERY: Duration = Duration::from_secs(30);
/// How long an entry whose expiry the feed did not say is kept: longer than any access token
/// lives.
const UNKNOWN_EXPIRY_KEPT: Duration = Duration::from_secs(24 * 3600);

#[derive(Debug)]
struct Entries {
    /// Revoked `jti` → until when it must be refused (Unix microseconds).
    jtis: HashMap<String, Micros>,
    /// Revoked `sid` → until when its tokens must be refused (Unix microseconds).
    sids: HashMap<String, Micros>,
    /// When expired entries were last dropped.
    pruned_at: Micros,
}

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
    entries: RwLock<Entries>,
    /// The verifier's leeway on `exp`: how long after its expiry a token still verifies.
    leeway: Micros,
    /// "Now", for pruning.
    clock: Clock,
    /// Where a reconnect resumes: the last position the feed's stream delivered.
    position: std::sync::Mutex<Position>,
    /// Milliseconds after `origin` when the feed last spoke, plus one (0: never).
    last_heard: AtomicU64,
    origin: Instant,
}

impl Revocations {
    /// An empty set that has never heard from the feed, for a verifier accepting tokens up to
    /// `leeway` after their expiry.
    pub fn new(leeway: Duration, clock: Clock) -> Self {
        Self {
            entries: RwLock::new(Entries {
                jtis: HashMap::new(),
                sids: HashMap::new(),
                pruned_at: clock.now(),
            }),
            leeway: micros(leeway),
            clock,
            position: std::sync::Mutex::default(),
            last_heard: AtomicU64::new(0),
            origin: Instant::now(),
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Entries> {
        // Entries are plain maps; a panic elsewhere cannot leave them half-written.
        self.entries.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Entries> {
        self.entries.write().unwrap_or_else(|p| p.into_inner())
    }

    /// True when the token or its session is revoked.
    pub fn is_revoked(&self, jti: &str, sid: &str) -> bool {
        let entries = self.read();
        entries.jtis.contains_key(jti) || entries.sids.contains_key(sid)
    }

    /// Records a revoked token whose expiry is `expires_at` (Unix microseconds; `None`:
    /// unknown).
    pub fn revoke_token(&self, jti: String, expires_at: Option<Micros>) {
        self.insert(|entries| &mut entries.jtis, jti, expires_at);
    }

    /// Records a revoked session whose tokens all expire by `expires_at`.
    pub fn revoke_session(&self, sid: String, expires_at: Option<Micros>) {
        self.insert(|entries| &mut entries.sids, sid, expires_at);
    }

    fn insert(
        &self,
        map: impl FnOnce(&mut Entries) -> &mut HashMap<String, Micros>,
        id: String,
        expires_at: Option<Micros>,
    ) {
        let now = self.clock.now();
        let refused_until = expires_at
            .unwrap_or_else(|| now.saturating_add(micros(UNKNOWN_EXPIRY_KEPT)))
            .saturating_add(self.leeway);
        let mut entries = self.write();
        if now.saturating_sub(entries.pruned_at) >= micros(PRUNE_EVERY) {
            let dropped = prune(&mut entries, now);
            tracing::debug!(dropped, "pruned revocations no token can outlive");
        }
        let slot = map(&mut entries).entry(id).or_insert(refused_until);
        *slot = (*slot).max(refused_until);
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

    /// True when the feed spoke within `max_staleness`.
    pub fn is_fresh(&self, max_staleness: Duration) -> bool {
        match self.last_heard.load(Ordering::Acquire) {
            0 => false,
            heard => {
                let now = u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX);
                let max = u64::try_from(max_staleness.as_millis()).unwrap_or(u64::MAX);
                now.saturating_sub(heard - 1) <= max
            }
        }
    }
}

/// Forgets the entries no token can verify against any more at `now`; how many went.
fn prune(entries: &mut Entries, now: Micros) -> usize {
    let before = entries.jtis.len() + entries.sids.len();
    // The verifier accepts a token while `now <= exp + leeway`, so the bound itself is kept.
    entries.jtis.retain(|_, until| *until >= now);
    entries.sids.retain(|_, until| *until >= now);
    entries.pruned_at = now;
    before - entries.jtis.len() - entries.sids.len()
}

/// A duration in microseconds, saturating (configured durations are far below the limit).
fn micros(d: Duration) -> Micros {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
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
    fn a_revoked_token_or_session_is_refused_until_it_can_no_longer_verify() {
        let (r, now) = at_hand();
        let exp = 1_010 * SECOND;
        r.revoke_token("j1".into(), Some(exp));
        r.revoke_session("s1".into(), Some(exp + 100 * SECOND));
        assert!(r.is_revoked("j1", "other"));
        assert!(r.is_revoked("other", "s1"));
        assert!(!r.is_revoked("j2", "s2"));
        // Past the expiry, inside the leeway, and long enough after the last prune for the
        // next revocation to prune: the token still verifies, so it must stay refused.
        now.store(exp + 59 * SECOND, Ordering::SeqCst);
        r.revoke_token("j-later".into(), Some(exp + 600 * SECOND));
        assert!(r.is_revoked("j1", "other"), "kept through the leeway");
        // Past expiry plus leeway it can verify nowhere: forgotten at the next prune.
        now.store(
            exp + 60 * SECOND + micros(PRUNE_EVERY) + 1,
            Ordering::SeqCst,
        );
        r.revoke_token("j-latest".into(), None);
        assert!(!r.is_revoked("j1", "other"));
        assert!(
            r.is_revoked("other", "s1"),
            "the session's tokens live longer"
        );
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
