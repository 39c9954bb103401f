//! A set of revoked token ids and session ids, each kept until no token it concerns can verify
//! anywhere any more: the tokens' expiry plus the verifiers' leeway. Dropping an entry at the
//! bare expiry would let a revoked token through again for the length of the leeway. The set
//! only grows when an entry is added, so that is where it is pruned, at most once per
//! [`PRUNE_EVERY`].
//!
//! The fitness service keeps one, fed by the auth service's revocation feed, and checks it on
//! every request; the auth service keeps one fed by its own feed, so introspecting an access
//! token needs no database read.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::Duration;

use crate::clock::Clock;
use crate::time::Micros;

/// Least time between two prunes of the set.
pub const PRUNE_EVERY: Duration = Duration::from_secs(30);
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

/// Revoked tokens and sessions, shared between threads.
#[derive(Debug)]
pub struct RevokedSet {
    entries: RwLock<Entries>,
    /// The verifiers' leeway on `exp`: how long after its expiry a token still verifies.
    leeway: Micros,
    /// "Now", for pruning.
    clock: Clock,
}

impl RevokedSet {
    /// An empty set, for verifiers accepting tokens up to `leeway` after their expiry.
    pub fn new(leeway: Duration, clock: Clock) -> Self {
        Self {
            entries: RwLock::new(Entries {
                jtis: HashMap::new(),
                sids: HashMap::new(),
                pruned_at: clock.now(),
            }),
            leeway: micros(leeway),
            clock,
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

    /// How many tokens and sessions are held.
    pub fn len(&self) -> usize {
        let entries = self.read();
        entries.jtis.len() + entries.sids.len()
    }

    /// True when nothing is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
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
    use std::sync::atomic::{AtomicI64, Ordering};

    use super::*;

    const SECOND: Micros = 1_000_000;
    const LEEWAY: Duration = Duration::from_secs(60);

    #[test]
    fn a_revoked_token_or_session_is_refused_until_it_can_no_longer_verify() {
        let now = Arc::new(AtomicI64::new(1_000 * SECOND));
        let read = Arc::clone(&now);
        let r = RevokedSet::new(LEEWAY, Clock::from_fn(move || read.load(Ordering::SeqCst)));
        let exp = 1_010 * SECOND;
        r.revoke_token("j1".into(), Some(exp));
        r.revoke_session("s1".into(), Some(exp + 100 * SECOND));
        assert!(r.is_revoked("j1", "other"));
        assert!(r.is_revoked("other", "s1"));
        assert!(!r.is_revoked("j2", "s2"));
        assert_eq!(r.len(), 2);
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
}
