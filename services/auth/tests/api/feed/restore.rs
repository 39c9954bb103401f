//! Positions and digests: a consumer keeps the digest of the event at its position and sends it
//! back, so a database restored from a backup (same feed id, sequences reused by other
//! events) replays the feed instead of letting the consumer skip what was written since.

use testkit::backend_tests;

use super::*;

/// Logs out `n` fresh users, one SESSION event each; returns their session ids in order.
async fn revoke_new_sessions(auth: &TestAuth, names: &[&str]) -> Vec<String> {
    let mut sids = Vec::new();
    for name in names {
        let pair = signed_up(auth, name).await;
        logout(auth, &pair.refresh_token).await;
        sids.push(pair.session_id);
    }
    sids
}

fn sequences(events: &[RevocationEvent]) -> Vec<i64> {
    events.iter().map(|e| e.sequence).collect()
}

/// Every event and heartbeat carries the digest of the event at its sequence, and resuming
/// with a digest that matches continues right after the position, replaying nothing.
async fn a_consumer_resuming_with_the_digest_of_its_position_receives_only_what_follows(
    backend: Backend,
) {
    let auth = TestAuth::spawn(backend).await;
    revoke_new_sessions(&auth, &["ada", "bob", "cat"]).await;
    let mut feed = watch(auth.addr, 0).await;
    let (events, heartbeat) = caught_up(&mut feed).await;
    assert_eq!(sequences(&events), [1, 2, 3]);
    let digests: BTreeSet<&str> = events.iter().map(|e| e.digest.as_str()).collect();
    assert_eq!(digests.len(), 3, "one digest per event: {digests:?}");
    assert!(digests.iter().all(|d| d.len() == 32), "{digests:?}");
    assert_eq!(
        (heartbeat.head_sequence, heartbeat.head_digest.as_str()),
        (3, events[2].digest.as_str()),
        "a heartbeat names the digest of its head"
    );

    let mut from_two = resume(auth.addr, &heartbeat.feed_id, 2, &events[1].digest).await;
    let (after_two, at_head) = caught_up(&mut from_two).await;
    assert_eq!(after_two, events[2..], "only what follows, unchanged");
    assert_eq!(
        at_head,
        Heartbeat {
            server_time: at_head.server_time,
            ..heartbeat.clone()
        }
    );

    let mut from_head = resume(auth.addr, &heartbeat.feed_id, 3, &heartbeat.head_digest).await;
    let (nothing, still) = caught_up(&mut from_head).await;
    assert!(nothing.is_empty(), "{nothing:?}");
    assert_eq!(still.head_sequence, 3);
    auth.stop().await;
}

/// The restore: a backup taken at sequence 1, while the consumer has followed up to 3. The
/// restored database has the same feed id, and its next revocations take sequences 2, 3 and 4.
/// Resuming "after 3" would skip the first two; the digest kept for 3 shows the event stored
/// there now is another one, so the feed is replayed and every new revocation arrives.
async fn after_a_restore_from_a_backup_a_consumer_resuming_its_old_position_receives_the_revocations_at_reused_sequences(
    backend: Backend,
) {
    let auth = TestAuth::spawn(backend).await;
    revoke_new_sessions(&auth, &["ada", "bob", "cat"]).await;
    let mut feed = watch(auth.addr, 0).await;
    let (before, held) = caught_up(&mut feed).await;
    assert_eq!(sequences(&before), [1, 2, 3]);
    drop(feed);

    let db = auth.stop_keeping_db().await.unwrap();
    testkit::backup::restore_revocation_feed(db.url(), 1).await;
    let auth = TestAuth::start(db, |_| {}).await.unwrap();
    let revoked_since = revoke_new_sessions(&auth, &["dan", "eve", "fay"]).await;

    let mut resumed = resume(auth.addr, &held.feed_id, 3, &held.head_digest).await;
    let (replayed, heartbeat) = caught_up(&mut resumed).await;
    assert_eq!(
        sequences(&replayed),
        [1, 2, 3, 4],
        "replayed from the start"
    );
    assert_eq!(
        replayed[0], before[0],
        "the backup's own event is unchanged"
    );
    let sids: Vec<&str> = replayed[1..].iter().map(|e| e.sid.as_str()).collect();
    assert_eq!(
        sids, revoked_since,
        "every revocation written since the restore"
    );
    assert_ne!(
        replayed[2].digest, held.head_digest,
        "sequence 3 is another event"
    );
    assert_eq!(
        (heartbeat.feed_id.as_str(), heartbeat.head_sequence),
        (held.feed_id.as_str(), 4),
        "the same feed id: only the digest tells the histories apart"
    );
    assert_eq!(heartbeat.head_digest, replayed[3].digest);
    auth.stop().await;
}

/// A restore under a running service: the head poller finds the head below the one it knew
/// and ends the open streams, so their consumers resume and have their positions checked.
/// Streams opened afterwards follow the restored history from its head, not from the old one.
async fn a_restore_under_a_running_service_ends_open_streams_and_new_ones_follow_the_restored_head(
    backend: Backend,
) {
    let auth = TestAuth::spawn(backend).await;
    revoke_new_sessions(&auth, &["ada", "bob", "cat"]).await;
    let mut open = watch(auth.addr, 0).await;
    let (_, held) = caught_up(&mut open).await;
    assert_eq!(held.head_sequence, 3);

    testkit::backup::restore_revocation_feed(auth.test_db().url(), 1).await;
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match open.message().await {
                Ok(Some(_)) => {}
                other => return other,
            }
        }
    })
    .await
    .expect("the open stream ends");
    let status = ended.expect_err("an error the consumer can tell");
    assert_eq!(
        (status.code(), reason(&status).as_str()),
        (Code::Unavailable, "REVOCATION_FEED_REWOUND")
    );

    let second = revoke_new_sessions(&auth, &["dan"]).await;
    let mut fresh = watch(auth.addr, 0).await;
    let (events, heartbeat) = caught_up(&mut fresh).await;
    assert_eq!(sequences(&events), [1, 2]);
    assert_eq!(events[1].sid, second[0]);
    assert_eq!(
        heartbeat.head_sequence, 2,
        "the restored head, not the old one"
    );
    let third = revoke_new_sessions(&auth, &["eve"]).await;
    let live = next_events(&mut fresh, 1).await;
    assert_eq!(
        (live[0].sequence, live[0].sid.as_str()),
        (3, third[0].as_str())
    );

    let mut resumed = resume(auth.addr, &held.feed_id, 3, &held.head_digest).await;
    let (replayed, _) = caught_up(&mut resumed).await;
    assert_eq!(sequences(&replayed), [1, 2, 3], "replayed from the start");
    auth.stop().await;
}

/// A restored database that has not caught up with the consumer's position yet: with or
/// without a digest, the position is beyond the head and the feed is replayed.
async fn a_position_beyond_the_head_replays_the_feed_from_the_start(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    revoke_new_sessions(&auth, &["ada", "bob"]).await;
    let mut feed = watch(auth.addr, 0).await;
    let feed_id = caught_up(&mut feed).await.1.feed_id;
    for digest in ["", "0123456789abcdef0123456789abcdef"] {
        for in_feed in ["", feed_id.as_str()] {
            let mut ahead = resume(auth.addr, in_feed, 5, digest).await;
            let (replayed, heartbeat) = caught_up(&mut ahead).await;
            assert_eq!(
                sequences(&replayed),
                [1, 2],
                "digest {digest:?}, feed {in_feed:?}"
            );
            assert_eq!(heartbeat.head_sequence, 2);
        }
    }
    let negative = introspection_client(&auth)
        .await
        .watch_revocations(with_key(WatchRevocationsRequest {
            after_sequence: -1,
            ..WatchRevocationsRequest::default()
        }))
        .await
        .unwrap_err();
    assert_eq!(negative.code(), Code::InvalidArgument);
    auth.stop().await;
}

/// Expired events are pruned, but not the one at the head, whose digest heartbeats carry: a
/// quiet feed still lets consumers prove their position.
async fn the_event_at_the_head_outlives_its_expiry_so_heartbeats_keep_its_digest(backend: Backend) {
    let clock = ManualClock::new();
    let auth = TestAuth::spawn_with(backend, |c| {
        c.clock = clock.clock();
        c.feed.prune_interval = Duration::from_millis(20);
        c.feed.heartbeat = Duration::from_millis(50);
    })
    .await;
    revoke_new_sessions(&auth, &["ada", "bob"]).await;
    let mut feed = watch(auth.addr, 0).await;
    let (events, _) = caught_up(&mut feed).await;
    // Past every session's end: both events can no longer matter.
    clock.advance(Duration::from_secs(400 * 24 * 3600));
    eventually("the expired event below the head is pruned", || async {
        stored_sequences(&auth).await == [2]
    })
    .await;
    let mut quiet = watch(auth.addr, 0).await;
    let (nothing, heartbeat) = caught_up(&mut quiet).await;
    assert!(
        nothing.is_empty(),
        "expired events are not sent: {nothing:?}"
    );
    assert_eq!(
        (heartbeat.head_sequence, heartbeat.head_digest.as_str()),
        (2, events[1].digest.as_str())
    );
    auth.stop().await;
}

backend_tests!(
    a_consumer_resuming_with_the_digest_of_its_position_receives_only_what_follows,
    after_a_restore_from_a_backup_a_consumer_resuming_its_old_position_receives_the_revocations_at_reused_sequences,
    a_restore_under_a_running_service_ends_open_streams_and_new_ones_follow_the_restored_head,
    a_position_beyond_the_head_replays_the_feed_from_the_start,
    the_event_at_the_head_outlives_its_expiry_so_heartbeats_keep_its_digest,
);
