//! The in-memory revocation set, checked on every request after the token verifies: revoked
//! token ids and session ids, each kept until every token it concerns has expired, plus when the feed was last heard from.

use std::collections::HashMap;
use std::sync::RwLock;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use tokio::time::Instant;

#[derive(Debug, Default)]
struct Entries {
    /// Revoked `jti` → when it stops mattering (Unix microseconds).
    jtis: HashMap<String, i64>,
    /// Revoked `sid` → when it stops mattering (Unix microseconds).
    sids: HashMap<String, i64>,
}

/// Revoked tokens and sessions, and the feed's freshness.
#[derive(Debug)]
pub struct Revocations {
    entries: RwLock<Entries>,
    /// Highest feed sequence applied: where a reconnect resumes.
    last_sequence: AtomicI64,
    /// The feed `last_sequence` belongs to ("" until the first heartbeat names it).
    feed_id: std::sync::Mutex<String>,
    /// Milliseconds after `origin` when the feed last spoke, plus one (0: never).
    last_heard: AtomicU64,
    origin: Instant,
}

impl Default for Revocations {
    fn default() -> Self {
        Self::new()
    }
}

impl Revocations {
    /// An empty set that has never heard from the feed.
    pub fn new() -> Self {
        Self {
            entries: RwLock::new(Entries::default()),
            last_sequence: AtomicI64::new(0),
            feed_id: std::sync::Mutex::new(String::new()),
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

    /// Records a revoked token.
    pub fn revoke_token(&self, jti: String, expires_at: i64) {
        let mut entries = self.write();
        let slot = entries.jtis.entry(jti).or_insert(expires_at);
        *slot = (*slot).max(expires_at);
    }

    /// Records a revoked session.
    pub fn revoke_session(&self, sid: String, expires_at: i64) {
        let mut entries = self.write();
        let slot = entries.sids.entry(sid).or_insert(expires_at);
        *slot = (*slot).max(expires_at);
    }

    /// Forgets entries whose tokens have all expired by `now` (Unix microseconds).
    pub fn prune(&self, now: i64) -> usize {
        let mut entries = self.write();
        let before = entries.jtis.len() + entries.sids.len();
        entries.jtis.retain(|_, exp| *exp > now);
        entries.sids.retain(|_, exp| *exp > now);
        before - entries.jtis.len() - entries.sids.len()
    }

    /// The last feed sequence applied.
    pub fn last_sequence(&self) -> i64 {
        self.last_sequence.load(Ordering::Acquire)
    }

    /// The feed the position belongs to.
    pub fn feed_id(&self) -> String {
        self.feed_id
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Notes which feed a heartbeat came from. When it is another feed than the one the
    /// position belongs to, the server streamed it from its start, and a heartbeat means
    /// every event up to `head` was sent: that is the position in the new feed.
    pub fn note_feed(&self, feed_id: &str, head: i64) {
        let mut current = self.feed_id.lock().unwrap_or_else(|p| p.into_inner());
        if feed_id.is_empty() || *current == feed_id {
            return;
        }
        if !current.is_empty() {
            tracing::warn!(
                from = %current,
                to = feed_id,
                head,
                "the revocation feed was replaced; following the new one"
            );
        }
        *current = feed_id.to_owned();
        self.last_sequence.store(head, Ordering::Release);
    }

    /// Forgets the feed position, to follow a feed from its start: the auth service's feed
    /// no longer reaches our position (its database was replaced). Revocations already
    /// known stay until they expire.
    pub fn restart_position(&self) {
        self.last_sequence.store(0, Ordering::Release);
    }

    /// Notes that the feed delivered `sequence` (never moves backwards).
    pub fn advance(&self, sequence: i64) {
        self.last_sequence.fetch_max(sequence, Ordering::AcqRel);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_revoked_token_or_session_is_found_until_pruned() {
        let r = Revocations::new();
        r.revoke_token("j1".into(), 100);
        r.revoke_session("s1".into(), 200);
        assert!(r.is_revoked("j1", "other"));
        assert!(r.is_revoked("other", "s1"));
        assert!(!r.is_revoked("j2", "s2"));
        assert_eq!(r.prune(150), 1);
        assert!(!r.is_revoked("j1", "other"));
        assert!(r.is_revoked("other", "s1"));
    }

    #[test]
    fn the_sequence_never_moves_backwards() {
        let r = Revocations::new();
        r.advance(5);
        r.advance(3);
        assert_eq!(r.last_sequence(), 5);
    }

    #[tokio::test(start_paused = true)]
    async fn freshness_follows_the_last_time_the_feed_spoke() {
        let r = Revocations::new();
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
