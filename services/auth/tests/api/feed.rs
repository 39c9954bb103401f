//! The revocation feed: resume without loss or repetition, several replicas on one database,
//! heartbeats, expiry and pruning, shutdown.

use std::collections::BTreeSet;
use std::time::Duration;

use shared::pb::auth::v1::watch_revocations_response::Payload;
use shared::pb::auth::v1::{
    ChangePasswordRequest, LogoutRequest, RevocationKind, RevokeTokenRequest,
    RevokeUserSessionsRequest, Role, UpdateUserRequest, WatchRevocationsRequest,
    WatchRevocationsResponse,
};
use stride_auth::clock::ManualClock;
use testkit::{Backend, TestAuth, backend_tests};
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
    shared::pb::auth::v1::token_introspection_service_client::TokenIntrospectionServiceClient::new(
        testkit::channel(addr).await,
    )
    .watch_revocations(with_key(WatchRevocationsRequest {
        after_sequence: after,
        feed_id: feed_id.to_owned(),
    }))
    .await
    .unwrap()
    .into_inner()
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
async fn next_events(feed: &mut Feed, n: usize) -> Vec<shared::pb::auth::v1::RevocationEvent> {
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

async fn logout(auth: &TestAuth, refresh_token: &str) {
    auth_client(auth)
        .await
        .logout(LogoutRequest {
            refresh_token: refresh_token.to_owned(),
        })
        .await
        .unwrap();
}

async fn a_consumer_resuming_from_its_last_sequence_receives_every_event_exactly_once(
    backend: Backend,
) {
    let auth = TestAuth::spawn(backend).await;
    let mut pairs = Vec::new();
    for i in 0..8 {
        pairs.push(signed_up(&auth, &format!("user{i}")).await);
    }
    logout(&auth, &pairs[0].refresh_token).await; // Backlog before the first connection.
    let mut feed = watch(auth.addr, 0).await;
    logout(&auth, &pairs[1].refresh_token).await;
    logout(&auth, &pairs[2].refresh_token).await;
    let mut seen = next_events(&mut feed, 3).await;
    drop(feed);
    // Missed while disconnected.
    for pair in &pairs[3..6] {
        logout(&auth, &pair.refresh_token).await;
    }
    let last = seen.last().unwrap().sequence;
    let mut feed = watch(auth.addr, last).await;
    seen.extend(next_events(&mut feed, 3).await);
    assert_eq!(
        next_heartbeat(&mut feed).await,
        seen.last().unwrap().sequence
    );
    // Live after reconnecting.
    for pair in &pairs[6..8] {
        logout(&auth, &pair.refresh_token).await;
    }
    seen.extend(next_events(&mut feed, 2).await);

    let sequences: Vec<i64> = seen.iter().map(|e| e.sequence).collect();
    assert!(sequences.windows(2).all(|w| w[0] < w[1]), "{sequences:?}");
    let sids: BTreeSet<&str> = seen.iter().map(|e| e.sid.as_str()).collect();
    let expected: BTreeSet<&str> = pairs.iter().map(|p| p.session_id.as_str()).collect();
    assert_eq!(sids, expected, "every revocation exactly once");
    assert!(
        seen.iter()
            .all(|e| e.kind == RevocationKind::Session as i32 && e.expires_at.is_some())
    );
    auth.stop().await;
}

async fn a_revocation_on_one_instance_reaches_a_consumer_of_another(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    let pair = signed_up(&auth, "ada").await;
    let config = stride_auth::Config::for_tests(auth.test_db().url().clone());
    let replica = stride_auth::App::build(config).await.unwrap();
    let replica_addr = replica.local_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(replica.run(async move {
        let _ = stopped.await;
    }));

    let mut feed = watch(replica_addr, 0).await;
    assert_eq!(next_heartbeat(&mut feed).await, 0);
    let started = std::time::Instant::now();
    logout(&auth, &pair.refresh_token).await;
    let event = next_events(&mut feed, 1).await.remove(0);
    assert_eq!(event.sid, pair.session_id);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );

    let _ = stop.send(());
    server.await.unwrap().unwrap();
    let end = tokio::time::timeout(Duration::from_secs(5), feed.message())
        .await
        .expect("the stream ends at shutdown");
    assert!(matches!(end, Ok(None)), "ended cleanly: {end:?}");
    auth.stop().await;
}

async fn expired_events_are_never_sent_and_are_pruned(backend: Backend) {
    let clock = ManualClock::new();
    let auth = TestAuth::spawn_with(backend, |c| {
        c.clock = clock.clock();
        c.feed.prune_interval = Duration::from_millis(50);
        c.feed.heartbeat = Duration::from_millis(100);
    })
    .await;
    let short = signed_up(&auth, "ada").await;
    let long = signed_up(&auth, "bob").await;
    session_client(&auth)
        .await
        .revoke_token(bearer(
            RevokeTokenRequest {
                jti: jti_of(&short.access_token),
            },
            &short.access_token,
        ))
        .await
        .unwrap();
    logout(&auth, &long.refresh_token).await;
    // The access token (10 min) can no longer verify once its expiry plus leeway is past.
    clock.advance(Duration::from_secs(600 + 61));
    let mut feed = watch(auth.addr, 0).await;
    let events = next_events(&mut feed, 1).await;
    assert_eq!(events[0].sid, long.session_id, "only the live event");
    assert_eq!(events[0].sequence, 2);
    assert_eq!(next_heartbeat(&mut feed).await, 2);
    eventually("the expired event is pruned", || async {
        let left: Vec<i64> = sqlx::query_scalar("SELECT sequence FROM revocation_events")
            .fetch_all(auth.db.pool())
            .await
            .unwrap();
        left == [2]
    })
    .await;
    // Resuming from before the pruned event misses nothing live.
    let mut again = watch(auth.addr, 0).await;
    assert_eq!(next_events(&mut again, 1).await[0].sequence, 2);
    auth.stop().await;
}

async fn a_position_the_feed_never_reached_is_refused(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    let mut client = introspection_client(&auth).await;
    let ahead = client
        .watch_revocations(with_key(WatchRevocationsRequest {
            after_sequence: 5,
            ..WatchRevocationsRequest::default()
        }))
        .await
        .unwrap_err();
    assert_eq!(ahead.code(), Code::FailedPrecondition);
    assert_eq!(reason(&ahead), "SEQUENCE_AHEAD_OF_FEED");
    let negative = client
        .watch_revocations(with_key(WatchRevocationsRequest {
            after_sequence: -1,
            ..WatchRevocationsRequest::default()
        }))
        .await
        .unwrap_err();
    assert_eq!(negative.code(), Code::InvalidArgument);
    auth.stop().await;
}

/// Every revocation path wakes streams on commit: with the head poll slowed to a minute, only
/// the in-process notification can deliver these events within the 5 s of `next_events`.
async fn every_revocation_path_wakes_streams_without_waiting_for_the_poll(backend: Backend) {
    let auth = TestAuth::spawn_with(backend, |config| {
        config.feed.poll_interval = Duration::from_secs(60);
    })
    .await;
    let admin = register(&auth, "root").await;
    sqlx::query("UPDATE users SET role = 'ADMIN' WHERE id = $1")
        .bind(admin.user.unwrap().id)
        .execute(auth.db.pool())
        .await
        .unwrap();
    let admin_token = sign_in(&auth, "root", "admin console").await.access_token;
    let mut users = Vec::new();
    for name in ["pass", "bulk", "role", "gone"] {
        let id = register(&auth, name).await.user.unwrap().id;
        users.push(id);
    }
    let mut feed = watch(auth.addr, 0).await;

    // ChangePassword from a second session revokes the registration session.
    let current = sign_in(&auth, "pass", "second device").await;
    user_client(&auth)
        .await
        .change_password(bearer(
            ChangePasswordRequest {
                current_password: PASSWORD.to_owned(),
                new_password: "amber-lantern-quiet-4410".to_owned(),
            },
            &current.access_token,
        ))
        .await
        .unwrap();
    assert_eq!(next_events(&mut feed, 1).await[0].user_id, users[0]);

    let mut admin_client = shared::pb::auth::v1::admin_service_client::AdminServiceClient::new(
        testkit::channel(auth.addr).await,
    );
    admin_client
        .revoke_user_sessions(bearer(
            RevokeUserSessionsRequest {
                user_id: users[1].clone(),
            },
            &admin_token,
        ))
        .await
        .unwrap();
    assert_eq!(next_events(&mut feed, 1).await[0].user_id, users[1]);

    admin_client
        .update_user(bearer(
            UpdateUserRequest {
                user_id: users[2].clone(),
                role: Role::Staff as i32,
                ..UpdateUserRequest::default()
            },
            &admin_token,
        ))
        .await
        .unwrap();
    assert_eq!(next_events(&mut feed, 1).await[0].user_id, users[2]);

    admin_client
        .update_user(bearer(
            UpdateUserRequest {
                user_id: users[3].clone(),
                active: Some(false),
                ..UpdateUserRequest::default()
            },
            &admin_token,
        ))
        .await
        .unwrap();
    assert_eq!(next_events(&mut feed, 1).await[0].user_id, users[3]);
    auth.stop().await;
}

/// Sequences only mean something within one feed: heartbeats name the feed, and a position
/// from another feed (a replaced database) replays this one from its start.
async fn a_position_in_another_feed_replays_this_feed_from_the_start(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    for name in ["ada", "bob"] {
        let pair = signed_up(&auth, name).await;
        logout(&auth, &pair.refresh_token).await;
    }
    let mut fresh = watch(auth.addr, 2).await;
    let feed_id = heartbeat_feed(&mut fresh).await;
    assert!(!feed_id.is_empty(), "heartbeats name the feed");

    let mut same = watch_in(auth.addr, &feed_id, 2).await;
    assert_eq!(
        heartbeat_feed(&mut same).await,
        feed_id,
        "nothing after 2 in this feed"
    );

    let mut other = watch_in(auth.addr, "a-feed-that-was-replaced", 2).await;
    let replayed: Vec<i64> = next_events(&mut other, 2)
        .await
        .iter()
        .map(|e| e.sequence)
        .collect();
    assert_eq!(replayed, [1, 2]);
    assert_eq!(heartbeat_feed(&mut other).await, feed_id);
    auth.stop().await;
}

backend_tests!(
    a_consumer_resuming_from_its_last_sequence_receives_every_event_exactly_once,
    a_revocation_on_one_instance_reaches_a_consumer_of_another,
    expired_events_are_never_sent_and_are_pruned,
    a_position_the_feed_never_reached_is_refused,
    every_revocation_path_wakes_streams_without_waiting_for_the_poll,
    a_position_in_another_feed_replays_this_feed_from_the_start,
);
