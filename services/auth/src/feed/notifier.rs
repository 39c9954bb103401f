//! What every `WatchRevocations` stream of this process watches: the committed head, whether
//! it went backwards, and whether the server is closing. Revocations publish to it after they
//! commit; the head poller and opening streams publish what they read from the database.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use super::mirror::Mirror;

/// What every stream of this process watches: the highest committed feed sequence known here,
/// and whether the server is shutting down. Cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct FeedNotifier {
    head: watch::Sender<i64>,
    closing: watch::Sender<bool>,
    /// Bumped whenever the database's head is found below one already known here: the
    /// database was restored from a backup under this process, and open streams may stand at
    /// positions of a history it no longer has. They end, so their consumers resume and have
    /// their positions checked (see `resume`).
    rewinds: watch::Sender<u64>,
    /// Identity of the feed in this database (see migration 0003); set once at start.
    id: std::sync::Arc<std::sync::OnceLock<String>>,
    /// When the head was last read from the database. A heartbeat claims "nothing you have
    /// not seen up to here", which only a recent read can back: a replica whose poller cannot
    /// reach the database stops sending them, so consumers notice the silence and fall back.
    verified: std::sync::Arc<std::sync::Mutex<Option<tokio::time::Instant>>>,
    /// The revocations themselves, for introspection (see `mirror`).
    mirror: Arc<Mirror>,
}

impl FeedNotifier {
    /// A notifier at head 0; the poller reads the real head as soon as it starts, and every
    /// stream reads it from the database when it opens. Committed revocations go to `mirror`.
    pub(crate) fn new(mirror: Arc<Mirror>) -> Self {
        Self {
            head: watch::Sender::new(0),
            closing: watch::Sender::new(false),
            rewinds: watch::Sender::new(0),
            id: std::sync::Arc::default(),
            verified: std::sync::Arc::default(),
            mirror,
        }
    }

    /// This process's copy of the revocations.
    pub(crate) fn mirror(&self) -> &Mirror {
        &self.mirror
    }

    /// Sets the feed identity read from the database (first call wins).
    pub(crate) fn set_id(&self, id: String) {
        let _ = self.id.set(id);
    }

    /// The feed identity ("" before `set_id`).
    pub(crate) fn id(&self) -> &str {
        self.id.get().map_or("", String::as_str)
    }

    /// Records that a transaction appending events up to `sequence` has COMMITTED, waking
    /// every stream. Call it after `commit()`, never before: a stream woken early would read
    /// nothing, and only the poller would deliver the event.
    pub(crate) fn published(&self, sequence: i64) {
        self.head.send_if_modified(|head| {
            if sequence > *head {
                *head = sequence;
                true
            } else {
                false
            }
        });
    }

    /// The highest committed head known here.
    pub(crate) fn head(&self) -> i64 {
        *self.head.borrow()
    }

    /// Records `head`, just read from the database by a read that began when this notifier's
    /// head was `before`. Everything published had committed by then, so the read sees at
    /// least `before`, unless the counter went backwards: the database was restored from a
    /// backup. Then the head is set back to what the database holds and every open stream
    /// ends.
    pub(crate) fn read_from_database(&self, before: i64, head: i64) {
        self.verified_now();
        self.mirror.database_head_is(head);
        if head >= before {
            self.published(head);
            return;
        }
        tracing::warn!(
            head,
            known = before,
            "the revocation feed's head went backwards (database restored?); ending open streams"
        );
        self.head.send_replace(head);
        self.mirror.reload();
        self.rewinds
            .send_modify(|count| *count = count.wrapping_add(1));
    }

    /// A receiver that changes whenever the head goes backwards.
    pub(crate) fn subscribe_rewinds(&self) -> watch::Receiver<u64> {
        self.rewinds.subscribe()
    }

    /// Records that the head was just read from the database.
    fn verified_now(&self) {
        if let Ok(mut at) = self.verified.lock() {
            *at = Some(tokio::time::Instant::now());
        }
    }

    /// True when the head was read from the database within `max_age`.
    pub(crate) fn verified_within(&self, max_age: Duration) -> bool {
        self.verified
            .lock()
            .ok()
            .and_then(|at| *at)
            .is_some_and(|at| at.elapsed() <= max_age)
    }

    /// A receiver that changes whenever the head moves.
    pub(crate) fn subscribe(&self) -> watch::Receiver<i64> {
        self.head.subscribe()
    }

    /// Ends every open stream (the server is shutting down) and stops the background tasks.
    pub(crate) fn close(&self) {
        self.closing.send_replace(true);
    }

    /// Resolves once [`close`](Self::close) has been called.
    pub(crate) async fn closed(&self) {
        let mut rx = self.closing.subscribe();
        // An error means the sender is gone, which only happens when `self` is: closed too.
        let _ = rx.wait_for(|closing| *closing).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notifier() -> FeedNotifier {
        FeedNotifier::new(Arc::new(Mirror::new(
            Duration::from_secs(60),
            shared::clock::Clock::system(),
        )))
    }

    #[test]
    fn the_head_only_moves_forward_and_close_is_observed() {
        let feed = notifier();
        let head = feed.subscribe();
        feed.published(5);
        feed.published(3);
        feed.published(9);
        feed.published(7);
        assert_eq!(*head.borrow(), 9);
        feed.close();
        let closed = futures::FutureExt::now_or_never(feed.closed());
        assert!(closed.is_some());
    }

    #[test]
    fn a_read_below_a_known_head_sets_it_back_and_signals_a_rewind() {
        let feed = notifier();
        let mut rewinds = feed.subscribe_rewinds();
        feed.published(9);
        // A read that began before 9 was published may see less: not a rewind.
        feed.read_from_database(7, 8);
        assert_eq!(feed.head(), 9);
        feed.read_from_database(9, 9);
        assert!(!rewinds.has_changed().unwrap());
        // Less than what was known when the read began: the counter went backwards.
        feed.read_from_database(9, 4);
        assert_eq!(feed.head(), 4);
        assert!(rewinds.has_changed().unwrap());
        rewinds.mark_unchanged();
        feed.read_from_database(4, 6);
        assert_eq!(feed.head(), 6);
        assert!(!rewinds.has_changed().unwrap());
    }
}
