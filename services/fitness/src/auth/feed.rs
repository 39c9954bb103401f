//! The consumer of `TokenIntrospectionService.WatchRevocations`: applies every event to the
//! revocation set, notes heartbeats, and on any failure reconnects with exponential backoff,
//! resuming after the last sequence applied so nothing is missed.

use std::sync::Arc;
use std::time::Duration;

use shared::pb::auth::v1 as pb;
use shared::pb::auth::v1::watch_revocations_response::Payload;
use shared::time::{from_timestamp, now_micros};

use super::client::AuthClient;
use super::revocation::Revocations;

/// First wait before reconnecting; doubles per failure up to [`MAX_BACKOFF`].
const MIN_BACKOFF: Duration = Duration::from_millis(50);
/// Longest wait between reconnects, short so recovery after an auth restart is quick.
const MAX_BACKOFF: Duration = Duration::from_secs(2);
/// How often expired entries are dropped.
const PRUNE_EVERY: Duration = Duration::from_secs(30);

/// True for the auth service's answer to a position beyond its feed's head.
fn is_ahead_of_feed(status: &tonic::Status) -> bool {
    use tonic_types::StatusExt as _;
    status.code() == tonic::Code::FailedPrecondition
        && status
            .get_error_details()
            .error_info()
            .is_some_and(|info| info.reason == "SEQUENCE_AHEAD_OF_FEED")
}

/// Follows the feed forever (the task is aborted at shutdown). `idle_timeout` is how long a
/// connected stream may stay silent before it is presumed dead and reopened.
pub async fn follow(client: AuthClient, revocations: Arc<Revocations>, idle_timeout: Duration) {
    let mut backoff = MIN_BACKOFF;
    loop {
        let after = revocations.last_sequence();
        match client.watch_revocations(after, revocations.feed_id()).await {
            Ok(mut stream) => {
                tracing::info!(after_sequence = after, "following the revocation feed");
                loop {
                    match tokio::time::timeout(idle_timeout, stream.message()).await {
                        Ok(Ok(Some(message))) => {
                            apply(&revocations, message);
                            backoff = MIN_BACKOFF;
                        }
                        Ok(Ok(None)) => {
                            tracing::warn!("the revocation feed ended; reconnecting");
                            break;
                        }
                        Ok(Err(status)) => {
                            tracing::warn!(code = ?status.code(), message = status.message(), "the revocation feed failed; reconnecting");
                            break;
                        }
                        Err(_) => {
                            tracing::warn!(
                                idle_ms = idle_timeout.as_millis() as u64,
                                "the revocation feed went silent; reconnecting"
                            );
                            break;
                        }
                    }
                }
            }
            Err(status) if is_ahead_of_feed(&status) => {
                tracing::warn!(
                    after_sequence = after,
                    "the revocation feed is behind our position (auth database replaced?); following it from the start"
                );
                revocations.restart_position();
                continue;
            }
            Err(status) => {
                tracing::warn!(code = ?status.code(), message = status.message(), "cannot open the revocation feed");
            }
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// Drops expired entries every so often, forever (the task is aborted at shutdown).
pub async fn prune(revocations: Arc<Revocations>) {
    let mut every = tokio::time::interval(PRUNE_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        let dropped = revocations.prune(now_micros());
        tracing::debug!(dropped, "pruned expired revocations");
    }
}

/// Applies one message of the stream.
pub fn apply(revocations: &Revocations, message: pb::WatchRevocationsResponse) {
    match message.payload {
        Some(Payload::Event(event)) => {
            let expires_at = event
                .expires_at
                .as_ref()
                .map(from_timestamp)
                // Without an expiry, keep it for a day: longer than any access token lives.
                .unwrap_or_else(|| now_micros() + 86_400_000_000);
            match pb::RevocationKind::try_from(event.kind) {
                Ok(pb::RevocationKind::Token) if !event.jti.is_empty() => {
                    revocations.revoke_token(event.jti, expires_at);
                }
                Ok(pb::RevocationKind::Session) if !event.sid.is_empty() => {
                    revocations.revoke_session(event.sid, expires_at);
                }
                _ => tracing::warn!(
                    sequence = event.sequence,
                    kind = event.kind,
                    "ignoring a revocation event of unknown kind"
                ),
            }
            revocations.advance(event.sequence);
            revocations.heard();
        }
        Some(Payload::Heartbeat(heartbeat)) => {
            revocations.note_feed(&heartbeat.feed_id, heartbeat.head_sequence);
            revocations.heard();
        }
        None => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(
        sequence: i64,
        kind: pb::RevocationKind,
        jti: &str,
        sid: &str,
    ) -> pb::WatchRevocationsResponse {
        pb::WatchRevocationsResponse {
            payload: Some(Payload::Event(pb::RevocationEvent {
                sequence,
                kind: kind as i32,
                jti: jti.into(),
                sid: sid.into(),
                user_id: "u".into(),
                revoked_at: None,
                expires_at: Some(shared::time::to_timestamp(now_micros() + 60_000_000)),
            })),
        }
    }

    #[test]
    fn a_token_event_revokes_the_token_not_its_session() {
        let r = Revocations::new();
        apply(&r, event(7, pb::RevocationKind::Token, "j1", "s1"));
        assert!(r.is_revoked("j1", "s-other"));
        assert!(!r.is_revoked("j2", "s1"));
        assert_eq!(r.last_sequence(), 7);
    }

    #[test]
    fn a_session_event_revokes_every_token_of_the_session() {
        let r = Revocations::new();
        apply(&r, event(3, pb::RevocationKind::Session, "", "s1"));
        assert!(r.is_revoked("any", "s1"));
        assert_eq!(r.last_sequence(), 3);
    }

    #[test]
    fn heartbeats_only_refresh_liveness() {
        let r = Revocations::new();
        apply(
            &r,
            pb::WatchRevocationsResponse {
                payload: Some(Payload::Heartbeat(pb::Heartbeat {
                    head_sequence: 9,
                    server_time: None,
                    feed_id: String::new(),
                })),
            },
        );
        assert!(r.is_fresh(Duration::from_secs(1)));
        assert_eq!(r.last_sequence(), 0);
        assert_eq!(r.prune(i64::MAX), 0, "a heartbeat revokes nothing");
    }

    fn heartbeat(feed_id: &str, head_sequence: i64) -> pb::WatchRevocationsResponse {
        pb::WatchRevocationsResponse {
            payload: Some(Payload::Heartbeat(pb::Heartbeat {
                head_sequence,
                server_time: None,
                feed_id: feed_id.to_owned(),
            })),
        }
    }

    #[test]
    fn a_heartbeat_of_another_feed_moves_the_position_to_that_feed() {
        let r = Revocations::new();
        apply(&r, heartbeat("feed-a", 0));
        apply(&r, event(12, pb::RevocationKind::Session, "", "s1"));
        apply(&r, heartbeat("feed-a", 12));
        assert_eq!((r.feed_id().as_str(), r.last_sequence()), ("feed-a", 12));
        // The server replayed feed B from its start, and is caught up at 3.
        apply(&r, event(2, pb::RevocationKind::Session, "", "s2"));
        apply(&r, heartbeat("feed-b", 3));
        assert_eq!((r.feed_id().as_str(), r.last_sequence()), ("feed-b", 3));
        assert!(r.is_revoked("any", "s1") && r.is_revoked("any", "s2"));
    }
}
