//! The consumer of `TokenIntrospectionService.WatchRevocations`: applies every event to the
//! revocation set, notes heartbeats, and on any failure reconnects with exponential backoff,
//! resuming from its position (the last sequence delivered, its digest and its feed) so
//! nothing is missed. When the auth service does not find that position in its feed's
//! history (its database was replaced or restored from a backup) it replays the feed from
//! the start, and the next heartbeat gives the position in that history.

use std::sync::Arc;
use std::time::Duration;

use shared::pb::auth::v1 as pb;
use shared::pb::auth::v1::watch_revocations_response::Payload;
use shared::time::from_timestamp;

use super::client::AuthClient;
use super::revocation::Revocations;

/// First wait before reconnecting; doubles per failure up to [`MAX_BACKOFF`].
const MIN_BACKOFF: Duration = Duration::from_millis(50);
/// Longest wait between reconnects, short so recovery after an auth restart is quick.
const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// True for an older auth service's answer to a position beyond its feed's head (current ones
/// replay the feed from the start instead).
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
        let position = revocations.position();
        let after = position.sequence;
        match client.watch_revocations(position).await {
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

/// Applies one message of the stream.
pub fn apply(revocations: &Revocations, message: pb::WatchRevocationsResponse) {
    match message.payload {
        Some(Payload::Event(event)) => {
            let expires_at = event.expires_at.as_ref().map(from_timestamp);
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
            if let Some(revoked_at) = event.revoked_at.as_ref().map(from_timestamp) {
                // How long after the revocation this replica learnt of it.
                let lag = shared::time::now_micros().saturating_sub(revoked_at).max(0);
                metrics::histogram!("stride_revocation_feed_lag_seconds").record(lag as f64 / 1e6);
            }
            revocations.advance(event.sequence, &event.digest);
            revocations.heard();
        }
        Some(Payload::Heartbeat(heartbeat)) => {
            revocations.note_heartbeat(
                &heartbeat.feed_id,
                heartbeat.head_sequence,
                &heartbeat.head_digest,
            );
            revocations.heard();
        }
        None => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::clock::Clock;

    fn revocations() -> Revocations {
        Revocations::new(Duration::from_secs(60), Clock::system())
    }

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
                expires_at: Some(shared::time::to_timestamp(
                    shared::time::now_micros() + 60_000_000,
                )),
                digest: format!("d{sequence}"),
            })),
        }
    }

    #[test]
    fn a_token_event_revokes_the_token_not_its_session() {
        let r = revocations();
        apply(&r, event(7, pb::RevocationKind::Token, "j1", "s1"));
        assert!(r.is_revoked("j1", "s-other"));
        assert!(!r.is_revoked("j2", "s1"));
        assert_eq!(r.position().sequence, 7);
        assert_eq!(
            r.position().digest,
            "d7",
            "the digest comes with the position"
        );
    }

    #[test]
    fn a_session_event_revokes_every_token_of_the_session() {
        let r = revocations();
        apply(&r, event(3, pb::RevocationKind::Session, "", "s1"));
        assert!(r.is_revoked("any", "s1"));
        assert_eq!(r.position().sequence, 3);
    }

    #[test]
    fn heartbeats_only_refresh_liveness() {
        let r = revocations();
        apply(
            &r,
            pb::WatchRevocationsResponse {
                payload: Some(Payload::Heartbeat(pb::Heartbeat {
                    head_sequence: 9,
                    server_time: None,
                    feed_id: String::new(),
                    head_digest: "d9".into(),
                })),
            },
        );
        assert!(r.is_fresh(Duration::from_secs(1)));
        assert_eq!(r.position().sequence, 0);
        assert!(!r.is_revoked("", ""), "a heartbeat revokes nothing");
    }

    fn heartbeat(feed_id: &str, head_sequence: i64) -> pb::WatchRevocationsResponse {
        pb::WatchRevocationsResponse {
            payload: Some(Payload::Heartbeat(pb::Heartbeat {
                head_sequence,
                server_time: None,
                feed_id: feed_id.to_owned(),
                head_digest: format!("d{head_sequence}"),
            })),
        }
    }

    #[test]
    fn a_heartbeat_of_another_feed_moves_the_position_to_that_feed() {
        let r = revocations();
        apply(&r, heartbeat("feed-a", 0));
        apply(&r, event(12, pb::RevocationKind::Session, "", "s1"));
        apply(&r, heartbeat("feed-a", 12));
        assert_eq!(r.position().feed_id, "feed-a");
        assert_eq!(r.position().sequence, 12);
        // The server replayed feed B from its start, and is caught up at 3.
        apply(&r, event(2, pb::RevocationKind::Session, "", "s2"));
        apply(&r, heartbeat("feed-b", 3));
        let position = r.position();
        assert_eq!(
            (
                position.feed_id.as_str(),
                position.sequence,
                position.digest.as_str()
            ),
            ("feed-b", 3, "d3")
        );
        assert!(r.is_revoked("any", "s1") && r.is_revoked("any", "s2"));
    }
}
