//! Where a `WatchRevocations` stream starts: right after the consumer's position when that
//! position is in this feed's history, otherwise from the beginning.
//!
//! A position is a sequence, the feed it was taken in, and the digest of the event the
//! consumer saw there. Starting from the beginning is always safe (consumers apply events
//! idempotently and keep what they already know); starting after a position from another
//! history is not: the events this feed numbered up to that sequence would never reach the
//! consumer. So any sign that the position is not ours restarts the stream:
//! - another feed id: the database was replaced;
//! - a sequence beyond the head: the database was replaced or restored from a backup, and
//!   has not caught up with the consumer's position yet;
//! - a digest that differs from the event stored at that sequence, or no event stored there:
//!   the database was restored and the sequence reused by another event (or the event was
//!   pruned, and the consumer was away longer than it mattered).
//!
//! A consumer that sends no digest (an older one) gets only the first two checks.

use crate::feed::digest::digest;
use crate::store::revocation_events::EventRow;

/// A consumer's position in the feed, as it sent it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Position {
    /// The last sequence it has seen; 0 for none.
    pub(crate) after: i64,
    /// The feed that sequence belongs to; empty for "this one".
    pub(crate) feed_id: String,
    /// The digest of the event it saw at `after`; empty when it does not know it.
    pub(crate) digest: String,
}

/// Why a position is not in this feed's history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Elsewhere {
    /// It names another feed.
    OtherFeed,
    /// It is beyond this feed's head.
    BeyondHead,
    /// The event stored at its sequence is another one.
    OtherEvent,
    /// It has a digest, but no event is stored at its sequence.
    NoEvent,
}

impl Elsewhere {
    /// The name logged.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::OtherFeed => "other_feed",
            Self::BeyondHead => "beyond_head",
            Self::OtherEvent => "other_event",
            Self::NoEvent => "no_event",
        }
    }
}

/// Where to stream from: `Ok(after)` to resume the consumer's position, or why it is not in
/// this feed's history (the stream then starts from 0). `feed_id` is this feed's identity,
/// `head` its committed head and `stored` the event stored at `position.after`, if any.
pub(crate) fn start(
    position: &Position,
    feed_id: &str,
    head: i64,
    stored: Option<&EventRow>,
) -> Result<i64, Elsewhere> {
    if position.after == 0 {
        return Ok(0);
    }
    if !position.feed_id.is_empty() && position.feed_id != feed_id {
        return Err(Elsewhere::OtherFeed);
    }
    if position.after > head {
        return Err(Elsewhere::BeyondHead);
    }
    if position.digest.is_empty() {
        return Ok(position.after);
    }
    match stored {
        None => Err(Elsewhere::NoEvent),
        Some(event) if digest(event) != position.digest => Err(Elsewhere::OtherEvent),
        Some(_) => Ok(position.after),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FEED: &str = "feed-a";

    fn stored(sequence: i64, sid: &str) -> EventRow {
        EventRow {
            sequence,
            kind: "SESSION".into(),
            jti: None,
            session_id: Some(sid.into()),
            user_id: "u".into(),
            revoked_at: 1,
            expires_at: 2,
        }
    }

    fn at(after: i64, feed_id: &str, digest: &str) -> Position {
        Position {
            after,
            feed_id: feed_id.into(),
            digest: digest.into(),
        }
    }

    #[test]
    fn a_position_in_this_history_resumes_after_it() {
        let event = stored(5, "s5");
        let seen = digest(&event);
        assert_eq!(start(&at(5, FEED, &seen), FEED, 9, Some(&event)), Ok(5));
        assert_eq!(start(&at(5, "", &seen), FEED, 5, Some(&event)), Ok(5));
        assert_eq!(start(&at(0, "other", "x"), FEED, 0, None), Ok(0));
    }

    #[test]
    fn without_a_digest_only_the_feed_and_the_head_are_checked() {
        assert_eq!(start(&at(5, FEED, ""), FEED, 9, None), Ok(5));
        assert_eq!(
            start(&at(10, FEED, ""), FEED, 9, None),
            Err(Elsewhere::BeyondHead)
        );
    }

    #[test]
    fn a_position_from_another_history_starts_over() {
        let seen = digest(&stored(5, "s5"));
        let reused = stored(5, "another session");
        assert_eq!(
            start(&at(5, "feed-b", &seen), FEED, 9, Some(&reused)),
            Err(Elsewhere::OtherFeed)
        );
        assert_eq!(
            start(&at(12, FEED, &seen), FEED, 9, None),
            Err(Elsewhere::BeyondHead)
        );
        assert_eq!(
            start(&at(5, FEED, &seen), FEED, 9, Some(&reused)),
            Err(Elsewhere::OtherEvent)
        );
        assert_eq!(
            start(&at(5, FEED, &seen), FEED, 9, None),
            Err(Elsewhere::NoEvent)
        );
    }
}
