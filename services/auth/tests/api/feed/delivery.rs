//! Delivery: every event exactly once on resume, across instances, woken on commit.

use testkit::backend_tests;

use super::*;

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
                ..Default::default()
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

backend_tests!(
    a_consumer_resuming_from_its_last_sequence_receives_every_event_exactly_once,
    a_revocation_on_one_instance_reaches_a_consumer_of_another,
    every_revocation_path_wakes_streams_without_waiting_for_the_poll,
);
