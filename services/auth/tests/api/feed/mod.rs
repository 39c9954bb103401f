//! The revocation feed: resume without loss or repetition, several replicas on one database,
//! heartbeats, expiry and pruning, shutdown, a database restored from a backup.

mod appended;
mod delivery;
mod positions;
mod restore;

use std::collections::BTreeSet;
use std::time::Duration;

use shared::pb::auth::v1::watch_revocations_response::Payload;
use shared::pb::auth::v1::{
    ChangePasswordRequest, Heartbeat, LogoutRequest, RevocationEvent, RevocationKind,
    RevokeTokenRequest, RevokeUserSessionsRequest, Role, UpdateUserRequest,
    WatchRevocationsRequest, WatchRevocationsResponse,
};
use stride_auth::clock::ManualClock;
use testkit::{Backend, TestAuth};
use tonic::{Code, Streaming};

use crate::helpers::*;

type Feed = Streaming<WatchRevocationsResponse>;

async fn watch(addr: std::net::SocketAddr, after: i64) -> Feed {
    let channel = testkit::channel(addr).await;
    shared::pb::auth::v1::token_introspection_service_client::TokenIntrospectionServiceClient::new(
        channel,
    )
    .watch_revocations(with_key(WatchRevocationsRequest {
        after_sequence: after,
        ..WatchRevocationsRequest::default()
    }))
    .await
    .unwrap()
    .into_inner()
}

/// Like [`watch`], resuming a position in the feed named `feed_id`.
async fn watch_in(addr: std::net::SocketAddr, feed_id: &str, after: i64) -> Feed {
    resume(addr, feed_id, after, "").await
}

/// Like [`watch_in`], sending the digest of the event the consumer saw at `after`.
async fn resume(addr: std::net::SocketAddr, feed_id: &str, after: i64, digest: &str) -> Feed {
    shared::pb::auth::v1::token_introspection_service_client::TokenIntrospectionServiceClient::new(
        testkit::channel(addr).await,
    )
    .watch_revocations(with_key(WatchRevocationsRequest {
        after_sequence: after,
        feed_id: feed_id.to_owned(),
        after_digest: digest.to_owned(),
    }))
    .await
    .unwrap()
    .into_inner()
}

/// The events up to the first heartbeat, and that heartbeat (a stream sends one only once it
/// has caught up), within 5 s.
async fn caught_up(feed: &mut Feed) -> (Vec<RevocationEvent>, Heartbeat) {
    let mut events = Vec::new();
    let heartbeat = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match feed.message().await.unwrap().unwrap().payload.unwrap() {
                Payload::Event(e) => events.push(e),
                Payload::Heartbeat(h) => return h,
            }
        }
    })
    .await
    .expect("the stream catches up");
    (events, heartbeat)
}

/// The next heartbeat's feed id, skipping nothing: fails on an event.
async fn heartbeat_feed(feed: &mut Feed) -> String {
    tokio::time::timeout(Duration::from_secs(5), async {
        match feed.message().await.unwrap().unwrap().payload.unwrap() {
            Payload::Heartbeat(h) => h.feed_id,
            Payload::Event(e) => panic!("unexpected event {e:?}"),
        }
    })
    .await
    .expect("a heartbeat arrives")
}

/// The next `n` events, skipping heartbeats, within 5 s.
async fn next_events(feed: &mut Feed, n: usize) -> Vec<RevocationEvent> {
    let mut events = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), async {
        while events.len() < n {
            match feed.message().await.unwrap().unwrap().payload.unwrap() {
                Payload::Event(e) => events.push(e),
                Payload::Heartbeat(_) => {}
            }
        }
    })
    .await
    .expect("events arrive");
    events
}

/// The next heartbeat's head, within 5 s, failing on any event.
async fn next_heartbeat(feed: &mut Feed) -> i64 {
    tokio::time::timeout(Duration::from_secs(5), async {
        match feed.message().await.unwrap().unwrap().payload.unwrap() {
            Payload::Heartbeat(h) => h.head_sequence,
            Payload::Event(e) => panic!("unexpected event {e:?}"),
        }
    })
    .await
    .expect("a heartbeat arrives")
}

/// The sequences of the events stored, pruned ones gone.
async fn stored_sequences(auth: &TestAuth) -> Vec<i64> {
    sqlx::query_scalar("SELECT sequence FROM revocation_events ORDER BY sequence")
        .fetch_all(auth.db.pool())
        .await
        .unwrap()
}

async fn logout(auth: &TestAuth, refresh_token: &str) {
    auth_client(auth)
        .await
        .logout(LogoutRequest {
            refresh_token: refresh_token.to_owned(),
        })
        .await
        .unwrap();
}
