//! One `WatchRevocations` stream: the live backlog after the consumer's sequence, then new
//! events as the head moves, with heartbeats while idle.

use std::collections::VecDeque;
use std::pin::Pin;

use futures::Stream;
use shared::pb::auth::v1 as pb;
use shared::pb::auth::v1::watch_revocations_response::Payload;
use shared::time::to_timestamp;
use tokio::sync::watch;
use tokio::time::{Interval, MissedTickBehavior};
use tonic::Status;

use crate::domain::revocation::{KIND_SESSION, KIND_TOKEN};
use crate::error::{Error, Result};
use crate::feed::Feed;
use crate::store::revocation_events::{self as store, EventRow};

/// Events fetched per query; a long backlog is served in pages of this size.
const BATCH: i64 = 500;

/// The stream tonic sends to the consumer.
pub(crate) type EventStream =
    Pin<Box<dyn Stream<Item = Result<pb::WatchRevocationsResponse, Status>> + Send>>;

impl Feed {
    /// Opens a stream of every live event with a sequence greater than `after`.
    ///
    /// FAILED_PRECONDITION (`SEQUENCE_AHEAD_OF_FEED`) when `after` is beyond the committed
    /// head: the consumer's position comes from another feed (a recreated database), and
    /// following this one from there would silently skip events; it should start again from 0.
    pub(crate) async fn open(&self, after: i64) -> Result<EventStream> {
        open(self.clone(), after).await
    }
}

async fn open(feed: Feed, after: i64) -> Result<EventStream> {
    // Subscribe before reading the head: a publication racing with the read is then either
    // in the value read below or wakes the stream later, never lost in between.
    let mut head_rx = feed.notifier.subscribe();
    let head = {
        let mut conn = feed.db.pool().acquire().await?;
        store::head(&mut conn).await?
    };
    if after > head {
        return Err(Error::FailedPrecondition("SEQUENCE_AHEAD_OF_FEED"));
    }
    feed.notifier.verified_now();
    feed.notifier.published(head);
    let target = head.max(*head_rx.borrow_and_update());
    let mut heartbeat = tokio::time::interval(feed.config.heartbeat);
    heartbeat.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let watcher = Watcher {
        feed,
        cursor: after,
        target,
        pending: VecDeque::new(),
        head_rx,
        heartbeat,
        done: false,
    };
    Ok(Box::pin(futures::stream::unfold(
        watcher,
        |mut watcher| async move { watcher.next().await.map(|item| (item, watcher)) },
    )))
}

struct Watcher {
    feed: Feed,
    /// Every live event up to here has been queued or sent.
    cursor: i64,
    /// The committed head to catch up to.
    target: i64,
    /// Fetched, not yet sent.
    pending: VecDeque<EventRow>,
    head_rx: watch::Receiver<i64>,
    heartbeat: Interval,
    done: bool,
}

impl Watcher {
    async fn next(&mut self) -> Option<Result<pb::WatchRevocationsResponse, Status>> {
        loop {
            if self.done {
                return None;
            }
            if let Some(row) = self.pending.pop_front() {
                return Some(Ok(message(Payload::Event(event(row)))));
            }
            if self.cursor < self.target {
                if let Err(err) = self.fetch().await {
                    self.done = true;
                    return Some(Err(err.into()));
                }
                continue;
            }
            tokio::select! {
                biased;
                () = self.feed.notifier.closed() => {
                    // Server shutdown: end cleanly; the consumer resumes elsewhere.
                    self.done = true;
                    return None;
                }
                _ = self.heartbeat.tick() => {
                    if !self.feed.notifier.verified_within(self.feed.heartbeat_backing()) {
                        tracing::warn!("the revocation feed head is stale: heartbeat withheld");
                        continue;
                    }
                    return Some(Ok(message(Payload::Heartbeat(pb::Heartbeat {
                        head_sequence: self.cursor,
                        server_time: Some(to_timestamp(self.feed.clock.now())),
                        feed_id: self.feed.notifier.id().to_owned(),
                    }))));
                }
                changed = self.head_rx.changed() => {
                    if changed.is_err() {
                        self.done = true;
                        return None;
                    }
                    self.target = self.target.max(*self.head_rx.borrow_and_update());
                }
            }
        }
    }

    /// Queues the next page of events in `(cursor, target]`.
    async fn fetch(&mut self) -> Result<()> {
        let live_after = self.feed.live_after(self.feed.clock.now());
        let mut conn = self.feed.db.pool().acquire().await?;
        let rows =
            store::events_between(&mut conn, self.cursor, self.target, live_after, BATCH).await?;
        let full = i64::try_from(rows.len()).unwrap_or(i64::MAX) >= BATCH;
        self.cursor = match rows.last() {
            Some(last) if full => last.sequence,
            // A short page means nothing else live up to the target.
            _ => self.target,
        };
        self.pending.extend(rows);
        Ok(())
    }
}

fn message(payload: Payload) -> pb::WatchRevocationsResponse {
    pb::WatchRevocationsResponse {
        payload: Some(payload),
    }
}

fn event(row: EventRow) -> pb::RevocationEvent {
    let kind = match row.kind.as_str() {
        KIND_TOKEN => pb::RevocationKind::Token,
        KIND_SESSION => pb::RevocationKind::Session,
        _ => pb::RevocationKind::Unspecified,
    };
    pb::RevocationEvent {
        sequence: row.sequence,
        kind: kind as i32,
        jti: row.jti.unwrap_or_default(),
        sid: row.session_id.unwrap_or_default(),
        user_id: row.user_id,
        revoked_at: Some(to_timestamp(row.revoked_at)),
        expires_at: Some(to_timestamp(row.expires_at)),
    }
}
