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
mod mirror;
mod notifier;
mod pages;
mod resume;
mod stream;

pub(crate) use mirror::Mirror;
pub(crate) use notifier::FeedNotifier;
pub(crate) use resume::Position;

use std::time::Duration;

use shared::config::{ConfigError, Env};

use shared::db::Db;
use shared::time::Micros;

use crate::clock::{Clock, micros};
use crate::store::revocation_events as store;

/// Events read per statement when loading the mirror.
const MIRROR_BATCH: i64 = 1_000;

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
    /// The last page of events read for the streams (see [`pages`]).
    pages: pages::SharedPage,
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
            pages: pages::SharedPage::default(),
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
    /// events committed by other replicas reach the streams, and a head that went backwards
    /// (a restore under this process) ends the open streams.
    pub(crate) async fn poll_head(self) {
        let mut tick = tokio::time::interval(self.config.poll_interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = self.notifier.closed() => return,
                _ = tick.tick() => {}
            }
            let before = self.notifier.head();
            match self.read_head().await {
                Ok(head) => self.notifier.read_from_database(before, head),
                Err(err) => tracing::warn!(error = %err, "cannot read the revocation feed head"),
            }
        }
    }

    async fn read_head(&self) -> sqlx::Result<i64> {
        let mut conn = self.db.read().await?;
        store::head(&mut conn).await
    }

    /// Keeps this process's [`Mirror`] loaded until the feed closes: reads every event up to
    /// the head whenever the head moves (events of other replicas, which the head poller
    /// notices), from the beginning at start and after the head went backwards.
    pub(crate) async fn keep_mirror(self) {
        let mut head = self.notifier.subscribe();
        let mut rewinds = self.notifier.subscribe_rewinds();
        loop {
            if rewinds.has_changed().unwrap_or(false) {
                rewinds.mark_unchanged();
                self.notifier.mirror().reload();
            }
            head.mark_unchanged();
            if let Err(err) = self.load_mirror().await {
                tracing::warn!(error = %err, "cannot load revocations for introspection");
                // Retried at the next head change or poll; until then introspection reads
                // the database.
            }
            tokio::select! {
                () = self.notifier.closed() => return,
                changed = head.changed() => if changed.is_err() { return },
                changed = rewinds.changed() => if changed.is_err() { return },
            }
        }
    }

    /// Loads every event after the mirror's position up to the current head.
    async fn load_mirror(&self) -> crate::error::Result<()> {
        let mirror = self.notifier.mirror();
        let mut conn = self.db.read().await?;
        let upto = store::head(&mut conn).await?;
        let from = mirror.progress();
        let mut after = from.loaded.max(0);
        loop {
            let live_after = self.live_after(self.clock.now());
            let events =
                store::events_between(&mut conn, after, upto, live_after, MIRROR_BATCH).await?;
            for event in &events {
                mirror.apply(event);
            }
            match events.last() {
                Some(last) if i64::try_from(events.len()).unwrap_or(i64::MAX) >= MIRROR_BATCH => {
                    after = last.sequence;
                }
                _ => break,
            }
        }
        mirror.loaded_up_to(from, upto);
        Ok(())
    }

    /// Whether the token `jti` or its session `sid` is revoked, by the mirror; `None` when
    /// the mirror cannot vouch for being current (see [`Mirror::answers`]).
    pub(crate) fn mirror_says_revoked(&self, jti: &str, sid: &str) -> Option<bool> {
        let recently = self.notifier.verified_within(self.heartbeat_backing());
        let mirror = self.notifier.mirror();
        mirror
            .answers(recently)
            .then(|| mirror.is_revoked(jti, sid))
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
}
