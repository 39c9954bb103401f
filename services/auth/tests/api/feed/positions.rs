//! Positions in the feed: expired events, positions in another feed (positions never reached
//! and positions in a restored history: `restore.rs`).

use testkit::backend_tests;

use super::*;

async fn expired_events_are_never_sent_and_are_pruned(backend: Backend) {
    let clock = ManualClock::new();
    let auth = TestAuth::spawn_with(backend, |c| {
        c.clock = clock.clock();
        c.feed.prune_interval = Duration::from_millis(50);
        c.feed.heartbeat = Duration::from_millis(100);
    })
    .await;
    let short = signed_up(&auth, "ada").await;
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
    // Five minutes later a session ends: its event lives as long as its access token.
    clock.advance(Duration::from_secs(300));
    let long = signed_up(&auth, "bob").await;
    logout(&auth, &long.refresh_token).await;
    // The first access token (10 min) can no longer verify once its expiry plus leeway is
    // past; the second still can.
    clock.advance(Duration::from_secs(300 + 61));
    let mut feed = watch(auth.addr, 0).await;
    let events = next_events(&mut feed, 1).await;
    assert_eq!(events[0].sid, long.session_id, "only the live event");
    assert_eq!(events[0].sequence, 2);
    assert_eq!(next_heartbeat(&mut feed).await, 2);
    eventually("the expired event is pruned", || async {
        stored_sequences(&auth).await == [2]
    })
    .await;
    // Resuming from before the pruned event misses nothing live.
    let mut again = watch(auth.addr, 0).await;
    assert_eq!(next_events(&mut again, 1).await[0].sequence, 2);
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
    heartbeats_stop_when_the_head_can_no_longer_be_read,
    expired_events_are_never_sent_and_are_pruned,
    a_position_in_another_feed_replays_this_feed_from_the_start,
);

/// A heartbeat says "nothing you have not seen up to here": a replica that cannot read its
/// database's head any more stops sending them, so its consumers notice the silence and fall
/// back to asking, instead of staying "fresh" but blind.
async fn heartbeats_stop_when_the_head_can_no_longer_be_read(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    let mut feed = watch(auth.addr, 0).await;
    next_heartbeat(&mut feed).await;
    // The poller's reads now fail, as they would with the database unreachable.
    auth.db.close().await;
    let mut late_heartbeats = 0;
    let started = std::time::Instant::now();
    let _ = tokio::time::timeout(Duration::from_secs(5), async {
        while let Ok(Some(message)) = feed.message().await {
            if matches!(message.payload, Some(Payload::Heartbeat(_)))
                && started.elapsed() > Duration::from_secs(2)
            {
                late_heartbeats += 1;
            }
        }
    })
    .await;
    assert_eq!(late_heartbeats, 0, "no heartbeat without a current head");
    auth.stop().await;
}
