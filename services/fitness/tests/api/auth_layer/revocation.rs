//! Revocation reaching fitness through auth's feed, and failing closed while auth is down.

use std::time::Duration;

use shared::pb::auth::v1 as authpb;
use shared::pb::auth::v1::admin_service_client::AdminServiceClient;
use shared::pb::auth::v1::session_service_client::SessionServiceClient;
use testkit::bearer::bearer;
use testkit::{Backend, TestAuth, TestFitness, backend_tests};
use tonic::Code;

use crate::helpers::{
    Bearer, RestartableAuth, Stack, assert_code, poll_until, reason, register_at,
};

use super::{admin, call, revoke_own_session, until_accepted};

async fn a_revoked_session_is_refused_by_fitness_through_the_feed(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let ada = stack.user("ada").await;
    let other_session = stack.login("ada").await;
    until_accepted(&stack.fitness, &ada.access_token).await;
    until_accepted(&stack.fitness, &other_session.access_token).await;

    SessionServiceClient::new(stack.auth.channel().await)
        .revoke_session(bearer(
            authpb::RevokeSessionRequest {
                session_id: ada.session_id.clone(),
            },
            &ada.access_token,
        ))
        .await
        .expect("RevokeSession succeeds");
    // The feed is fresh (heartbeats every second, bound 5 s), so the rejection comes from the
    // feed, not a per-request check. The deadline is generous so a loaded machine cannot make
    // this flaky; the 50 ms p99 target is measured by `stride-bench revocation-latency`.
    let (status, took) = poll_until(Duration::from_secs(5), || async {
        call(&stack.fitness, Bearer::new(&ada.access_token))
            .await
            .err()
    })
    .await;
    assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
    assert_eq!(reason(&status), "TOKEN_REVOKED");
    eprintln!("revocation reached fitness in {took:?}");
    // Only that session: the user's other session still works.
    call(&stack.fitness, Bearer::new(&other_session.access_token))
        .await
        .unwrap();
    stack.stop().await;
}

async fn a_deactivated_user_can_no_longer_call_fitness(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let ada = stack.user("ada").await;
    let root = stack.user("root").await;
    let root = admin(&stack, &root).await;
    until_accepted(&stack.fitness, &ada.access_token).await;
    AdminServiceClient::new(stack.auth.channel().await)
        .update_user(bearer(
            authpb::UpdateUserRequest {
                user_id: ada.id.clone(),
                active: Some(false),
                role: 0,
                update_mask: None,
            },
            &root.access_token,
        ))
        .await
        .expect("deactivation succeeds");
    let (status, _) = poll_until(Duration::from_secs(2), || async {
        call(&stack.fitness, Bearer::new(&ada.access_token))
            .await
            .err()
    })
    .await;
    assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
    stack.stop().await;
}

async fn with_auth_unreachable_from_the_start_requests_fail_closed(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    let (_, tokens) = register_at(auth.channel().await, "ada").await;
    // Fitness pointed at nothing: it starts, but can neither fetch keys nor check revocation.
    let fitness = TestFitness::spawn(backend, "http://127.0.0.1:9".to_owned()).await;
    let status = assert_code(
        call(&fitness, Bearer::new(&tokens.access_token)).await,
        Code::Unavailable,
    );
    assert_eq!(reason(&status), "SIGNING_KEYS_UNAVAILABLE");
    // Requests without credentials are still plainly unauthenticated.
    assert_code(call(&fitness, Bearer::none()).await, Code::Unauthenticated);
    fitness.stop().await;
    auth.stop().await;
}

async fn with_auth_down_fitness_serves_until_the_staleness_bound_then_fails_closed_and_recovers(
    backend: Backend,
) {
    // The bound is well above the feed's 1 s heartbeat, so a healthy feed is never stale and
    // a slow stop on a loaded machine still leaves the first call inside the bound.
    let bound = Duration::from_secs(3);
    let mut auth = RestartableAuth::start(backend).await;
    let fitness = TestFitness::spawn_with(backend, auth.url(), |config| {
        config.auth.max_staleness = bound;
    })
    .await;
    let (_, tokens) = register_at(auth.channel().await, "ada").await;
    let token = tokens.access_token;
    until_accepted(&fitness, &token).await;

    auth.stop().await;
    let stopped = std::time::Instant::now();
    // Within the bound the revocation set is trusted: still serving.
    call(&fitness, Bearer::new(&token))
        .await
        .expect("served within the staleness bound");
    // Past it, and with auth unable to answer CheckRevocation: UNAVAILABLE.
    let (status, _) = poll_until(Duration::from_secs(20), || async {
        call(&fitness, Bearer::new(&token)).await.err()
    })
    .await;
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    assert_eq!(reason(&status), "REVOCATION_UNAVAILABLE");
    // Not before the bound (less the heartbeat interval that may have passed before the stop):
    // load can only make this later, so the check cannot flake.
    assert!(
        stopped.elapsed() >= bound - Duration::from_secs(1),
        "failed closed after only {:?}",
        stopped.elapsed()
    );

    // Auth comes back on the same address: fitness recovers by itself.
    auth.restart().await;
    poll_until(Duration::from_secs(10), || async {
        call(&fitness, Bearer::new(&token)).await.ok()
    })
    .await;
    fitness.stop().await;
    auth.stop().await;
}

async fn when_auth_starts_over_on_a_new_database_fitness_follows_its_feed_from_the_start(
    backend: Backend,
) {
    let mut auth = RestartableAuth::start(backend).await;
    // A long staleness bound: within it only a working feed can deliver a revocation.
    let fitness = TestFitness::spawn_with(backend, auth.url(), |config| {
        config.auth.max_staleness = Duration::from_secs(60);
    })
    .await;
    // Move fitness's feed position past 0 on the first database.
    let (_, ada) = register_at(auth.channel().await, "ada").await;
    until_accepted(&fitness, &ada.access_token).await;
    revoke_own_session(auth.channel().await, &ada).await;
    poll_until(Duration::from_secs(5), || async {
        call(&fitness, Bearer::new(&ada.access_token)).await.err()
    })
    .await;

    // The new feed's head (0, then 1) is behind fitness's position: fitness must start over.
    auth.stop().await;
    auth.restart_on_a_fresh_database(backend).await;
    let (_, bob) = register_at(auth.channel().await, "bob").await;
    until_accepted(&fitness, &bob.access_token).await;
    revoke_own_session(auth.channel().await, &bob).await;
    let (status, _) = poll_until(Duration::from_secs(10), || async {
        call(&fitness, Bearer::new(&bob.access_token)).await.err()
    })
    .await;
    assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
    fitness.stop().await;
    auth.stop().await;
}

/// Auth's database is restored from a backup taken when its feed's head was 1, while fitness
/// had followed it to 3. Before fitness reconnects, two sessions are revoked: the restored
/// feed numbers them 2 and 3, sequences fitness has already seen. Fitness resumes with the
/// digest of the event it saw at 3, auth finds another event there and replays its feed, and
/// both revoked tokens are refused.
async fn after_auth_is_restored_from_a_backup_fitness_refuses_tokens_revoked_at_reused_sequences(
    backend: Backend,
) {
    let mut auth = RestartableAuth::start(backend).await;
    // A long staleness bound: within it only a working feed can deliver a revocation.
    let fitness = TestFitness::spawn_with(backend, auth.url(), |config| {
        config.auth.max_staleness = Duration::from_secs(60);
    })
    .await;
    let mut users = Vec::new();
    for name in ["ada", "bob", "cat", "dan", "eve"] {
        let (_, tokens) = register_at(auth.channel().await, name).await;
        until_accepted(&fitness, &tokens.access_token).await;
        users.push(tokens);
    }
    // Sequences 1 to 3; the backup is taken after the first.
    for tokens in &users[..3] {
        revoke_own_session(auth.channel().await, tokens).await;
    }
    poll_until(Duration::from_secs(5), || async {
        call(&fitness, Bearer::new(&users[2].access_token))
            .await
            .err()
    })
    .await;

    auth.stop().await;
    auth.restore_feed_to(1).await;
    let aside = auth.start_aside().await;
    for tokens in &users[3..] {
        revoke_own_session(testkit::channel(aside.addr).await, tokens).await;
    }
    aside.stop().await.expect("the second instance stops");
    auth.restart().await;

    for tokens in &users[3..] {
        let (status, _) = poll_until(Duration::from_secs(10), || async {
            call(&fitness, Bearer::new(&tokens.access_token))
                .await
                .err()
        })
        .await;
        assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
        assert_eq!(reason(&status), "TOKEN_REVOKED");
    }
    fitness.stop().await;
    auth.stop().await;
}

backend_tests!(
    a_revoked_session_is_refused_by_fitness_through_the_feed,
    a_deactivated_user_can_no_longer_call_fitness,
    with_auth_unreachable_from_the_start_requests_fail_closed,
    with_auth_down_fitness_serves_until_the_staleness_bound_then_fails_closed_and_recovers,
    when_auth_starts_over_on_a_new_database_fitness_follows_its_feed_from_the_start,
    after_auth_is_restored_from_a_backup_fitness_refuses_tokens_revoked_at_reused_sequences,
);
