//! One `WatchRevocations` stream: the live backlog after the consumer's position (or from the
//! beginning, when that position is not in this feed's history), then new events as the head
//! moves, with heartbeats while idle. Every event and heartbeat carries the digest of the
//! event at its sequence, which the consumer sends back when it resumes.

use std::collections::VecDeque;
use std::pin::Pin;

use futures::Stream;
use shared::pb::auth::v1 as pb;
use shared::pb::auth::v1::watch_revocations_response::Payload;
use shared::time::to_timestamp;
use tokio::sync::watch;
use tokio::time::{Interval, MissedTickBehavior};
use tonic::Status;

use crate::domain::revocation::{KIND_SESSION, KIND_TOKEN, KIND_USER_DELETED};
use crate::error::{Error, Result};
use crate::feed::Feed;
use crate::feed::digest::digest;
use crate::feed::pages::Range;
use crate::feed::resume::{self, Elsewhere, Position};
use crate::store::revocation_events::{self as store, EventRow};

/// Events fetched per query; a long backlog is served in pages of this size.
const BATCH: i64 = 500;

/// The stream tonic sends to the consumer.
pub(crate) type EventStream =
    Pin<Box<dyn Stream<Item = Result<pb::WatchRevocationsResponse, Status>> + Send>>;

impl Feed {
    /// Opens a stream of every live event after `position`, or from the beginning when that
    /// position is not in this feed's history (see [`super::resume`]).
    pub(crate) async fn open(&self, position: Position) -> Result<EventStream> {
        open(self.clone(), position).await
    }
}

async fn open(feed: Feed, position: Position) -> Result<EventStream> {
    // Subscribe before reading the head: a publication racing with the read is then either
    // in the value read below or wakes the stream later, never lost in between.
    let mut head_rx = feed.notifier.subscribe();
    let mut rewinds = feed.notifier.subscribe_rewinds();
    let before = feed.notifier.head();
    let (head, stored) = {
        let mut conn = feed.db.read().await?;
        store::head_and_event(&mut conn, position.after).await?
    };
    let after = match resume::start(&position, feed.notifier.id(), head, stored.as_ref()) {
        Ok(after) => after,
        Err(elsewhere) => {
            if elsewhere == Elsewhere::OtherFeed {
                tracing::info!(
                    after_sequence = position.after,
                    consumer_feed = %position.feed_id,
                    "a consumer resumes from another feed; streaming from the start"
                );
            } else {
                tracing::warn!(
                    after_sequence = position.after,
                    head,
                    reason = elsewhere.as_str(),
                    "a consumer's position is not in this feed's history (database restored?); \
                     streaming from the start"
                );
            }
            0
        }
    };
    feed.notifier.read_from_database(before, head);
    // The position was checked against what was just read: a rewind found by that read, or
    // by another before it, is no reason to end this stream.
    rewinds.mark_unchanged();
    let target = head.max(*head_rx.borrow_and_update());
    let mut heartbeat = tokio::time::interval(feed.config.heartbeat);
    heartbeat.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let watcher = Watcher {
        feed,
        cursor: after,
        cursor_digest: match stored {
            Some(event) if after > 0 => Some(digest(&event)),
            _ => None,
        },
        target,
        pending: VecDeque::new(),
        head_rx,
        rewinds,
        heartbeat,
        done: false,
        _consumer: Consumer::counted(),
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
    /// The digest of the event at `cursor`, once known (`None`: to be read before the next
    /// heartbeat, which carries it).
    cursor_digest: Option<String>,
    /// The committed head to catch up to.
    target: i64,
    /// Fetched, not yet sent.
    pending: VecDeque<EventRow>,
    head_rx: watch::Receiver<i64>,
    /// Changes when the head goes backwards (see `FeedNotifier`): the stream then ends.
    rewinds: watch::Receiver<u64>,
    heartbeat: Interval,
    done: bool,
    _consumer: Consumer,
}

/// One open stream in `stride_feed_consumers`, for as long as the stream lives.
struct Consumer;

impl Consumer {
    fn counted() -> Self {
        metrics::gauge!("stride_feed_consumers").increment(1.0);
        Self
    }
}

impl Drop for Consumer {
    fn drop(&mut self) {
        metrics::gauge!("stride_feed_consumers").decrement(1.0);
    }
}

impl Watcher {
    async fn next(&mut self) -> Option<Result<pb::WatchRevocationsResponse, Status>> {
        loop {
            if self.done {
                return None;
            }
            if self.rewinds.has_changed().unwrap_or(true) {
                return Some(self.rewound());
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
                _ = self.rewinds.changed() => return Some(self.rewound()),
                _ = self.heartbeat.tick() => {
                    if !self.feed.notifier.verified_within(self.feed.heartbeat_backing()) {
                        tracing::warn!("the revocation feed head is stale: heartbeat withheld");
                        continue;
                    }
                    // Without the head's digest a heartbeat would leave the consumer a position
                    // it cannot prove on resume: withhold it, as when the head is stale.
                    let head_digest = match self.head_digest().await {
                        Ok(digest) => digest,
                        Err(err) => {
                            tracing::warn!(
                                error = %err,
                                "cannot read the feed head's digest: heartbeat withheld"
                            );
                            continue;
                        }
                    };
                    return Some(Ok(message(Payload::Heartbeat(pb::Heartbeat {
                        head_sequence: self.cursor,
                        server_time: Some(to_timestamp(self.feed.clock.now())),
                        feed_id: self.feed.notifier.id().to_owned(),
                        head_digest,
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

    /// Ends the stream because the head went backwards: the cursor may stand in a history
    /// the database no longer has, and what the stream would send next could skip events.
    /// The consumer resumes from its position, which is checked against the restored history.
    fn rewound(&mut self) -> Result<pb::WatchRevocationsResponse, Status> {
        self.done = true;
        Err(Error::Unavailable("REVOCATION_FEED_REWOUND").into())
    }

    /// Queues the next page of events in `(cursor, target]`: the page another stream of this
    /// replica just read for the same range, or a read of its own (see [`super::pages`]).
    async fn fetch(&mut self) -> Result<()> {
        let live_after = self.feed.live_after(self.feed.clock.now());
        let range = Range {
            rewinds: *self.rewinds.borrow(),
            after: self.cursor,
            upto: self.target,
        };
        let (db, cursor, target) = (&self.feed.db, self.cursor, self.target);
        let rows = self
            .feed
            .pages
            .get(range, || async move {
                let mut conn = db.read().await?;
                store::events_between(&mut conn, cursor, target, live_after, BATCH).await
            })
            .await?;
        let full = i64::try_from(rows.len()).unwrap_or(i64::MAX) >= BATCH;
        self.cursor = match rows.last() {
            Some(last) if full => last.sequence,
            // A short page means nothing else live up to the target.
            _ => self.target,
        };
        self.cursor_digest = rows
            .last()
            .filter(|last| last.sequence == self.cursor)
            .map(digest);
        // A shared page may have been read a moment earlier: what expired since stays out.
        self.pending.extend(
            rows.iter()
                .filter(|row| row.expires_at > live_after)
                .cloned(),
        );
        Ok(())
    }

    /// The digest of the event at the cursor, for a heartbeat: "" at 0 or when that event is
    /// gone. Read from the database only when the cursor moved past events that were not sent
    /// (expired ones), so a caught-up stream reads it at most once per head.
    async fn head_digest(&mut self) -> Result<String> {
        if self.cursor == 0 {
            return Ok(String::new());
        }
        if self.cursor_digest.is_none() {
            let mut conn = self.feed.db.read().await?;
            let stored = store::event_at(&mut conn, self.cursor).await?;
            self.cursor_digest = Some(stored.as_ref().map(digest).unwrap_or_default());
        }
        Ok(self.cursor_digest.clone().unwrap_or_default())
    }
}

fn message(payload: Payload) -> pb::WatchRevocationsResponse {
    pb::WatchRevocationsResponse {
        payload: Some(payload),
    }
}

fn event(row: EventRow) -> pb::RevocationEvent {
    let digest = digest(&row);
    let kind = match row.kind.as_str() {
        KIND_TOKEN => pb::RevocationKind::Token,
        KIND_SESSION => pb::RevocationKind::Session,
        KIND_USER_DELETED => pb::RevocationKind::UserDeleted,
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
        digest,
    }
}
