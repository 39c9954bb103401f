//! The read side of the revocation feed: `WatchRevocations` streams, the head sequence every
//! stream follows, and the pruning of events that no longer matter (see
//! `docs/ARCHITECTURE.md`, "The revocation feed").
//!
//! Events are appended by [`crate::domain::revocation`] inside the revoking transaction,
//! numbered from
//! the single-row `revocation_sequence` counter whose row lock makes commits happen in
//! sequence order. So the committed counter value `H` means "every event up to `H` is
//! committed" (or pruned), and a stream that has sent everything up to `H` can never be
//! surprised by a smaller sequence later: resuming after the last sequence seen misses
//! nothing and repeats nothing.
//!
//! How a stream learns that the head moved:
//! - in-process, instantly: every revocation registers [`FeedNotifier::published`] on its
//!   transaction, run once it commits;
//! - from other replicas sharing the database: a poller re-reads the counter every
//!   `STRIDE_REVOCATION_POLL_INTERVAL`.
//!
//! A position is only meaningful in the history it was taken in: [`resume`] decides whether a
//! consumer's position (sequence, feed id, [`digest`] of the event seen there) is in this
//! feed's, and a stream starts from the beginning when it is not.

mod digest;
mod resume;
mod stream;

pub(crate) use resume::Position;

use std::time::Duration;

use shared::config::{ConfigError, Env};
use tokio::sync::watch;

use shared::db::Db;
use shared::time::Micros;

use crate::clock::{Clock, micros};
use crate::store::revocation_events as store;

/// Feed settings.
#[derive(Debug, Clone)]
pub struct FeedConfig {
    /// `STRIDE_REVOCATION_HEARTBEAT`: how often a stream sends a heartbeat.
    pub heartbeat: Duration,
    /// `STRIDE_REVOCATION_POLL_INTERVAL`: how often the head is re-read from the database, so
    /// revocations committed by other replicas reach this replica's streams.
    pub poll_interval: Duration,
    /// `STRIDE_REVOCATION_PRUNE_INTERVAL`: how often events that can no longer matter are
    /// deleted.
    pub prune_interval: Duration,
}

impl FeedConfig {
    /// Reads the `STRIDE_REVOCATION_*` variables of the auth service.
    pub fn from_env(env: Env<'_>) -> Result<Self, ConfigError> {
        let config = Self {
            heartbeat: env.duration("STRIDE_REVOCATION_HEARTBEAT", Duration::from_secs(1))?,
            poll_interval: env.duration(
                "STRIDE_REVOCATION_POLL_INTERVAL",
                Duration::from_millis(100),
            )?,
            prune_interval: env
                .duration("STRIDE_REVOCATION_PRUNE_INTERVAL", Duration::from_secs(60))?,
        };
        for (var, value) in [
            ("STRIDE_REVOCATION_HEARTBEAT", config.heartbeat),
            ("STRIDE_REVOCATION_POLL_INTERVAL", config.poll_interval),
            ("STRIDE_REVOCATION_PRUNE_INTERVAL", config.prune_interval),
        ] {
            if value < Duration::from_millis(10) {
                return Err(ConfigError::new(
                    var,
                    env.get(var).unwrap_or_default(),
                    "at least 10ms",
                ));
            }
        }
        Ok(config)
    }

    /// The defaults (tests shorten what they need).
    pub fn for_tests() -> Self {
        Self {
            heartbeat: Duration::from_secs(1),
            poll_interval: Duration::from_millis(100),
            prune_interval: Duration::from_secs(60),
        }
    }
}

/// The feed of this process: the database it reads, the notifier its streams follow, and
/// what its streams and background tasks need. Cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct Feed {
    db: Db,
    clock: Clock,
    config: FeedConfig,
    /// The verifiers' clock leeway: an event matters until its `expires_at` plus this.
    leeway: Duration,
    notifier: FeedNotifier,
}

impl Feed {
    /// The feed over `db`, woken by `notifier`.
    pub(crate) fn new(
        db: Db,
        clock: Clock,
        config: FeedConfig,
        leeway: Duration,
        notifier: FeedNotifier,
    ) -> Self {
        Self {
            db,
            clock,
            config,
            leeway,
            notifier,
        }
    }

    /// How recent a read of the head must be for a heartbeat to be sent: a few poll
    /// intervals, so one slow poll does not silence the stream.
    fn heartbeat_backing(&self) -> Duration {
        self.config.poll_interval * 3 + Duration::from_secs(1)
    }

    /// The earliest `expires_at` an event may have and still matter at `now`: a token is
    /// accepted until `exp` plus the clock leeway, so its revocation must outlive that too.
    fn live_after(&self, now: Micros) -> Micros {
        now.saturating_sub(micros(self.leeway))
    }

    /// Re-reads the head from the database every poll interval until the feed closes, so
    /// events committed by other replicas reach the streams.
    pub(crate) async fn poll_head(self) {
        let mut tick = tokio::time::interval(self.config.poll_interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = self.notifier.closed() => return,
                _ = tick.tick() => {}
            }
            match self.read_head().await {
                Ok(head) => {
                    self.notifier.verified_now();
                    self.notifier.published(head);
                }
                Err(err) => tracing::warn!(error = %err, "cannot read the revocation feed head"),
            }
        }
    }

    async fn read_head(&self) -> sqlx::Result<i64> {
        let mut conn = self.db.pool().acquire().await?;
        store::head(&mut conn).await
    }

    /// Deletes events that can no longer matter every prune interval until the feed closes.
    /// Harmless when several replicas prune at once. A consumer resuming from an old sequence
    /// loses nothing by it: every deleted event concerned tokens that can no longer verify
    /// (one whose position's event was pruned is streamed the feed from the beginning, since
    /// its digest can no longer be checked). The event at the head is kept, so heartbeats can
    /// always name its digest.
    pub(crate) async fn prune(self) {
        let mut tick = tokio::time::interval(self.config.prune_interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = self.notifier.closed() => return,
                _ = tick.tick() => {}
            }
            match self.prune_once().await {
                Ok(0) => {}
                Ok(deleted) => tracing::debug!(deleted, "pruned expired revocation events"),
                Err(err) => tracing::warn!(error = %err, "cannot prune revocation events"),
            }
        }
    }

    /// One pruning pass; returns how many events it deleted.
    async fn prune_once(&self) -> crate::error::Result<u64> {
        let before = self.live_after(self.clock.now());
        let mut tx = self.db.begin().await?;
        let deleted = store::delete_expired(&mut tx, before).await?;
        tx.commit().await?;
        Ok(deleted)
    }
}

/// What every stream of this process watches: the highest committed feed sequence known here,
/// and whether the server is shutting down. Cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct FeedNotifier {
    head: watch::Sender<i64>,
    closing: watch::Sender<bool>,
    /// Identity of the feed in this database (see migration 0003); set once at start.
    id: std::sync::Arc<std::sync::OnceLock<String>>,
    /// When the head was last read from the database. A heartbeat claims "nothing you have
    /// not seen up to here", which only a recent read can back: a replica whose poller cannot
    /// reach the database stops sending them, so consumers notice the silence and fall back.
    verified: std::sync::Arc<std::sync::Mutex<Option<tokio::time::Instant>>>,
}

impl Default for FeedNotifier {
    fn default() -> Self {
        Self::new()
    }
}

impl FeedNotifier {
    /// A notifier at head 0; the poller reads the real head as soon as it starts, and every
    /// stream reads it from the database when it opens.
    pub(crate) fn new() -> Self {
        Self {
            head: watch::Sender::new(0),
            closing: watch::Sender::new(false),
            id: std::sync::Arc::default(),
            verified: std::sync::Arc::default(),
        }
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

    /// Records that the head was just read from the database.
    pub(crate) fn verified_now(&self) {
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
    use shared::config::EnvMap;

    fn parse(pairs: &[(&str, &str)]) -> Result<FeedConfig, ConfigError> {
        let map: EnvMap = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        FeedConfig::from_env(Env::new(&map))
    }

    #[test]
    fn defaults_and_overrides() {
        let d = parse(&[]).unwrap();
        assert_eq!(
            (d.heartbeat, d.poll_interval, d.prune_interval),
            (
                Duration::from_secs(1),
                Duration::from_millis(100),
                Duration::from_secs(60)
            )
        );
        let c = parse(&[
            ("STRIDE_REVOCATION_HEARTBEAT", "250ms"),
            ("STRIDE_REVOCATION_POLL_INTERVAL", "20ms"),
            ("STRIDE_REVOCATION_PRUNE_INTERVAL", "5m"),
        ])
        .unwrap();
        assert_eq!(
            (c.heartbeat, c.poll_interval, c.prune_interval),
            (
                Duration::from_millis(250),
                Duration::from_millis(20),
                Duration::from_secs(300)
            )
        );
    }

    #[test]
    fn intervals_below_ten_milliseconds_name_their_variable() {
        for var in [
            "STRIDE_REVOCATION_HEARTBEAT",
            "STRIDE_REVOCATION_POLL_INTERVAL",
            "STRIDE_REVOCATION_PRUNE_INTERVAL",
        ] {
            assert_eq!(parse(&[(var, "0")]).unwrap_err().var, var);
            assert_eq!(parse(&[(var, "soon")]).unwrap_err().var, var);
        }
    }

    #[test]
    fn the_head_only_moves_forward_and_close_is_observed() {
        let feed = FeedNotifier::new();
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
}
