//! The consumer of `TokenIntrospectionService.WatchRevocations`: applies every event to the
//! revocation set, notes heartbeats, and on any failure reconnects with exponential backoff,
//! resuming from its position (the last sequence delivered, its digest and its feed) so
//! nothing is missed. When the auth service does not find that position in its feed's
//! history (its database was replaced or restored from a backup) it replays the feed from
//! the start, and the next heartbeat gives the position in that history.
//!
//! A USER_DELETED event also deletes the account's data (`domain::deletion::erase`), before
//! the position moves past it: when the deletion fails (the database is down), the stream is
//! dropped and reopened from the event before, so the auth service sends the event again and
//! the deletion is retried until it commits, never skipped. Meanwhile the feed is not heard
//! from, so requests fall back to asking the auth service. After a restart the position
//! starts at 0 and the feed is replayed, deletions included: one that happened while this
//! service was down is applied then (the event stays in the feed for 30 days), and one
//! applied before deletes nothing more.

use std::sync::Arc;
use std::time::Duration;

use shared::db::Db;
use shared::pb::auth::v1 as pb;
use shared::pb::auth::v1::watch_revocations_response::Payload;
use shared::time::from_timestamp;

use super::client::AuthClient;
use super::revocation::Revocations;
use crate::domain::deletion;
use crate::domain::ids::UserId;
use crate::error::Result;

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

/// Follows the feed forever (the task is aborted at shutdown), deleting the data of deleted
/// accounts from `db`. `idle_timeout` is how long a connected stream may stay silent before
/// it is presumed dead and reopened.
pub async fn follow(
    client: AuthClient,
    revocations: Arc<Revocations>,
    db: Db,
    idle_timeout: Duration,
) {
    let mut backoff = MIN_BACKOFF;
    loop {
        let position = revocations.position();
        let after = position.sequence;
        match client.watch_revocations(position).await {
            Ok(mut stream) => {
                tracing::info!(after_sequence = after, "following the revocation feed");
                loop {
                    match tokio::time::timeout(idle_timeout, stream.message()).await {
                        Ok(Ok(Some(message))) => match apply(&revocations, &db, message).await {
                            Ok(()) => backoff = MIN_BACKOFF,
                            Err(err) => {
                                // The position is still the event before: reopening the
                                // stream from it delivers this event again.
                                tracing::warn!(error = %err, "cannot apply a revocation event; retrying it");
                                break;
                            }
                        },
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

/// Applies one message of the stream. An error (only a deletion can fail) leaves the
/// position before the event, for the caller to have it sent again.
pub async fn apply(
    revocations: &Revocations,
    db: &Db,
    message: pb::WatchRevocationsResponse,
) -> Result<()> {
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
                Ok(pb::RevocationKind::UserDeleted) if !event.user_id.is_empty() => {
                    // Tokens first: they are refused even while the deletion is retried.
                    revocations.revoke_user(event.user_id.clone(), expires_at);
                    if let Some(user_id) = UserId::parse(event.user_id) {
                        deletion::erase(db, &user_id).await?;
                    }
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
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::clock::Clock;
    use crate::domain::deletion::tests::{Scratch, count_rows};

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

    fn user_deleted(sequence: i64, user_id: &str) -> pb::WatchRevocationsResponse {
        let mut message = event(sequence, pb::RevocationKind::UserDeleted, "", "");
        if let Some(Payload::Event(event)) = &mut message.payload {
            event.user_id = user_id.into();
        }
        message
    }

    #[tokio::test]
    async fn a_token_event_revokes_the_token_not_its_session() {
        let (r, db) = (revocations(), Scratch::new().await);
        apply(&r, &db.db, event(7, pb::RevocationKind::Token, "j1", "s1"))
            .await
            .unwrap();
        assert!(r.is_revoked("j1", "s-other"));
        assert!(!r.is_revoked("j2", "s1"));
        assert_eq!(r.position().sequence, 7);
        assert_eq!(
            r.position().digest,
            "d7",
            "the digest comes with the position"
        );
    }

    #[tokio::test]
    async fn a_session_event_revokes_every_token_of_the_session() {
        let (r, db) = (revocations(), Scratch::new().await);
        apply(&r, &db.db, event(3, pb::RevocationKind::Session, "", "s1"))
            .await
            .unwrap();
        assert!(r.is_revoked("any", "s1"));
        assert!(
            !r.is_user_revoked("u"),
            "a session is not the whole account"
        );
        assert_eq!(r.position().sequence, 3);
    }

    #[tokio::test]
    async fn heartbeats_only_refresh_liveness() {
        let (r, db) = (revocations(), Scratch::new().await);
        apply(&r, &db.db, heartbeat("", 9)).await.unwrap();
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

    #[tokio::test]
    async fn a_heartbeat_of_another_feed_moves_the_position_to_that_feed() {
        let (r, db) = (revocations(), Scratch::new().await);
        let db = &db.db;
        apply(&r, db, heartbeat("feed-a", 0)).await.unwrap();
        apply(&r, db, event(12, pb::RevocationKind::Session, "", "s1"))
            .await
            .unwrap();
        apply(&r, db, heartbeat("feed-a", 12)).await.unwrap();
        assert_eq!(r.position().feed_id, "feed-a");
        assert_eq!(r.position().sequence, 12);
        // The server replayed feed B from its start, and is caught up at 3.
        apply(&r, db, event(2, pb::RevocationKind::Session, "", "s2"))
            .await
            .unwrap();
        apply(&r, db, heartbeat("feed-b", 3)).await.unwrap();
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

    #[tokio::test]
    async fn a_user_deleted_event_refuses_the_users_tokens_and_deletes_their_rows() {
        let (r, scratch) = (revocations(), Scratch::new().await);
        scratch.seed("ada").await;
        scratch.seed("bob").await;
        apply(&r, &scratch.db, user_deleted(4, "ada"))
            .await
            .unwrap();
        assert!(r.is_user_revoked("ada"));
        assert!(!r.is_user_revoked("bob"));
        assert_eq!(r.position().sequence, 4);
        assert_eq!(count_rows(&scratch.db, "ada").await, 0);
        assert!(
            count_rows(&scratch.db, "bob").await > 0,
            "only ada's rows go"
        );
    }

    #[tokio::test]
    async fn a_deletion_that_fails_keeps_the_position_before_its_event_until_it_is_retried() {
        let r = revocations();
        let scratch = Scratch::new().await;
        scratch.seed("ada").await;
        apply(
            &r,
            &scratch.db,
            event(1, pb::RevocationKind::Session, "", "s1"),
        )
        .await
        .unwrap();

        // The database is unreachable: the deletion fails and the position stays at 1, so a
        // reconnect asks for the event at 2 again.
        let broken = Scratch::new().await;
        broken.db.close().await;
        apply(&r, &broken.db, user_deleted(2, "ada"))
            .await
            .expect_err("the deletion cannot commit");
        assert_eq!(
            (r.position().sequence, r.position().digest.as_str()),
            (1, "d1")
        );
        assert!(r.is_user_revoked("ada"), "the tokens are refused meanwhile");
        assert!(count_rows(&scratch.db, "ada").await > 0);

        // The event delivered again, the database back: deleted, and the position moves on.
        apply(&r, &scratch.db, user_deleted(2, "ada"))
            .await
            .unwrap();
        assert_eq!(r.position().sequence, 2);
        assert_eq!(count_rows(&scratch.db, "ada").await, 0);
    }
}
