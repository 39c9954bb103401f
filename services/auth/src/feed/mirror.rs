//! This process's copy of the revocation feed: the revoked access tokens and sessions that
//! introspection answers from without reading the database.
//!
//! It is fed two ways, and answers only while it can vouch for being current:
//! - a revocation committed **here** is applied by the committing transaction's after-commit
//!   hook, before the RPC that made it returns: reflected at once;
//! - events committed by **other replicas** are read from the database by [`Feed::mirror`]
//!   whenever the head moves, which the head poller notices within
//!   `STRIDE_REVOCATION_POLL_INTERVAL`.
//!
//! [`Mirror::answers`] holds only when everything up to the head last read from the database
//! has been loaded and that read is recent (a few poll intervals); otherwise, and at start
//! until the first load, introspection reads the database as before.
//!
//! [`Feed::mirror`]: super::Feed::mirror

use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use shared::clock::Clock;
use shared::revoked::RevokedSet;

use crate::domain::revocation::KIND_SESSION;
use crate::store::revocation_events::EventRow;

/// How far the mirror has read the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Progress {
    /// Every event up to this sequence has been read (−1: not loaded yet).
    pub loaded: i64,
    /// Bumped by every [`Mirror::reload`], so a load that began before it cannot claim
    /// progress in a history the database no longer has.
    pub epoch: u64,
}

/// Revoked access tokens and sessions known in this process, and how far they are loaded.
#[derive(Debug)]
pub(crate) struct Mirror {
    set: RevokedSet,
    /// How far the database has been read.
    progress: Mutex<Progress>,
    /// The head as last read from the database (by the poller or an opening stream).
    database_head: AtomicI64,
}

impl Mirror {
    /// An empty mirror, not loaded yet, for tokens verified with `leeway`.
    pub(crate) fn new(leeway: Duration, clock: Clock) -> Self {
        Self {
            set: RevokedSet::new(leeway, clock),
            progress: Mutex::new(Progress {
                loaded: -1,
                epoch: 0,
            }),
            database_head: AtomicI64::new(0),
        }
    }

    /// Records one event (a committed revocation of this process, or one read back).
    pub(crate) fn apply(&self, event: &EventRow) {
        let expires_at = Some(event.expires_at);
        if event.kind == KIND_SESSION {
            if let Some(sid) = &event.session_id {
                self.set.revoke_session(sid.clone(), expires_at);
            }
        } else if let Some(jti) = &event.jti {
            self.set.revoke_token(jti.clone(), expires_at);
        }
    }

    /// True when the token `jti` or its session `sid` is known revoked.
    pub(crate) fn is_revoked(&self, jti: &str, sid: &str) -> bool {
        self.set.is_revoked(jti, sid)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Progress> {
        // A plain value: a panic elsewhere cannot leave it half-written.
        self.progress.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How far it is loaded; a load starts from here.
    pub(crate) fn progress(&self) -> Progress {
        *self.lock()
    }

    /// Notes that a load that started at `from` has read every event up to `sequence`;
    /// ignored if the mirror was reloaded meanwhile.
    pub(crate) fn loaded_up_to(&self, from: Progress, sequence: i64) {
        let mut progress = self.lock();
        if progress.epoch == from.epoch {
            progress.loaded = progress.loaded.max(sequence);
        }
    }

    /// Forgets how far it was loaded, so the next load starts from the beginning (the
    /// database's history changed under this process). What is held stays: an id once
    /// revoked never becomes valid again.
    pub(crate) fn reload(&self) {
        let mut progress = self.lock();
        progress.loaded = 0;
        progress.epoch = progress.epoch.wrapping_add(1);
    }

    /// Notes the head just read from the database.
    pub(crate) fn database_head_is(&self, head: i64) {
        self.database_head.store(head, Ordering::Release);
    }

    /// True when the mirror may answer instead of the database: everything up to the head
    /// last read from the database is loaded, and that read is recent (`read_recently`).
    pub(crate) fn answers(&self, read_recently: bool) -> bool {
        let loaded = self.lock().loaded;
        read_recently && loaded >= 0 && loaded >= self.database_head.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(sequence: i64, kind: &str, jti: Option<&str>, sid: &str) -> EventRow {
        EventRow {
            sequence,
            kind: kind.to_owned(),
            jti: jti.map(str::to_owned),
            session_id: Some(sid.to_owned()),
            user_id: "u".into(),
            revoked_at: 0,
            expires_at: i64::MAX / 2,
        }
    }

    #[test]
    fn it_answers_only_when_loaded_up_to_the_database_head_and_recently_read() {
        let mirror = Mirror::new(Duration::from_secs(60), Clock::system());
        assert!(!mirror.answers(true), "not loaded yet");
        mirror.database_head_is(5);
        let start = mirror.progress();
        mirror.loaded_up_to(start, 4);
        assert!(!mirror.answers(true), "behind the head");
        mirror.loaded_up_to(start, 5);
        assert!(mirror.answers(true));
        assert!(!mirror.answers(false), "the head read is stale");
        // A load that began before a reload claims nothing.
        let before = mirror.progress();
        mirror.reload();
        mirror.database_head_is(3);
        assert!(!mirror.answers(true));
        mirror.loaded_up_to(before, 7);
        assert!(!mirror.answers(true));
        mirror.loaded_up_to(mirror.progress(), 3);
        assert!(mirror.answers(true));
    }

    #[test]
    fn token_events_revoke_the_token_and_session_events_the_session() {
        let mirror = Mirror::new(Duration::from_secs(60), Clock::system());
        mirror.apply(&event(1, "TOKEN", Some("j1"), "s1"));
        mirror.apply(&event(2, KIND_SESSION, None, "s2"));
        assert!(mirror.is_revoked("j1", "other"));
        assert!(
            !mirror.is_revoked("j2", "s1"),
            "a token event leaves its session alone"
        );
        assert!(mirror.is_revoked("j3", "s2"));
    }
}
