//! The auth layer (SPEC §5) against the real auth service: which tokens are refused, how
//! fast revocation takes effect, failing closed while auth is down, and key rotation.

use std::time::Duration;

use shared::pb::auth::v1 as authpb;
use shared::pb::auth::v1::admin_service_client::AdminServiceClient;
use shared::pb::auth::v1::session_service_client::SessionServiceClient;
use shared::pb::fitness::v1 as pb;
use shared::pb::fitness::v1::workout_service_client::WorkoutServiceClient;
use testkit::{Backend, TestAuth, TestFitness, backend_tests};
use tonic::Code;

use crate::helpers::{
    Bearer, RestartableAuth, Stack, User, assert_code, poll_until, reason, register_at,
    workouts_with,
};

/// A cheap authenticated call: ListWorkouts.
async fn call(fitness: &TestFitness, bearer: Bearer) -> Result<(), tonic::Status> {
    workouts_with(fitness, bearer)
        .await
        .list_workouts(pb::ListWorkoutsRequest::default())
        .await
        .map(drop)
}

/// Waits until fitness accepts `token` (its JWKS and revocation feed are warm).
async fn until_accepted(fitness: &TestFitness, token: &str) {
    poll_until(Duration::from_secs(10), || async {
        call(fitness, Bearer::new(token)).await.ok()
    })
    .await;
}

/// `message` with `authorization: Bearer <token>`, for calls to auth.
fn bearer<T>(message: T, token: &str) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    request
}

/// Makes `user` an admin in the auth database and logs in again for a token saying so.
async fn admin(stack: &Stack, user: &User) -> User {
    sqlx::query("UPDATE users SET role = 'ADMIN' WHERE id = $1")
        .bind(&user.id)
        .execute(stack.auth.db.pool())
        .await
        .unwrap();
    stack.login(&user.username).await
}

async fn missing_malformed_and_forged_tokens_are_unauthenticated(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let ada = stack.user("ada").await;
    let fitness = &stack.fitness;
    let mut tampered = ada.access_token.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    // A token of another auth service: same issuer and audience, a key fitness never saw.
    let stranger = TestAuth::spawn(backend).await;
    let (_, foreign) = register_at(stranger.channel().await, "stranger").await;
    for (bearer, what) in [
        (Bearer::none(), "no authorization"),
        (Bearer::raw("Basic YWRhOnB3"), "another scheme"),
        (Bearer::raw("Bearer"), "an empty bearer"),
        (Bearer::new("garbage"), "garbage"),
        (Bearer::new("a.b.c"), "three garbage segments"),
        (Bearer::new(&tampered), "a bad signature"),
        (Bearer::new(&ada.refresh_token), "a refresh token"),
        (Bearer::new(&foreign.access_token), "an unknown signing key"),
    ] {
        let status = assert_code(call(fitness, bearer).await, Code::Unauthenticated);
        assert!(!reason(&status).is_empty(), "{what}: {status:?}");
        assert!(
            !status.message().contains(&ada.access_token),
            "{what}: never echo tokens"
        );
    }
    // Every fitness service is behind the layer.
    let mut stats = shared::pb::fitness::v1::stats_service_client::StatsServiceClient::new(
        fitness.channel().await,
    );
    assert_code(
        stats.get_my_stats(pb::GetMyStatsRequest {}).await,
        Code::Unauthenticated,
    );
    let mut exercises =
        shared::pb::fitness::v1::exercise_service_client::ExerciseServiceClient::new(
            fitness.channel().await,
        );
    assert_code(
        exercises
            .list_exercises(pb::ListExercisesRequest::default())
            .await,
        Code::Unauthenticated,
    );
    stranger.stop().await;
    stack.stop().await;
}

async fn expired_and_wrong_audience_tokens_are_unauthenticated(backend: Backend) {
    // Tokens minted by a real auth service whose clock is two hours behind: long expired.
    let past = TestAuth::spawn_with(backend, |config| {
        config.clock = stride_auth::clock::Clock::from_fn(|| {
            shared::time::now_micros() - 2 * 3600 * 1_000_000
        });
    })
    .await;
    let fitness = TestFitness::spawn(backend, past.url()).await;
    let (_, old) = register_at(past.channel().await, "old_timer").await;
    let status = assert_code(
        call(&fitness, Bearer::new(&old.access_token)).await,
        Code::Unauthenticated,
    );
    assert_eq!(reason(&status), "TOKEN_EXPIRED");
    fitness.stop().await;
    past.stop().await;

    // Tokens for another audience, and from another issuer.
    for (audience, issuer) in [("elsewhere", "stride"), ("stride", "someone-else")] {
        let auth = TestAuth::spawn_with(backend, |config| {
            config.tokens.audience = audience.to_owned();
            config.tokens.issuer = issuer.to_owned();
        })
        .await;
        let fitness = TestFitness::spawn(backend, auth.url()).await;
        let (_, tokens) = register_at(auth.channel().await, "misdirected").await;
        assert_code(
            call(&fitness, Bearer::new(&tokens.access_token)).await,
            Code::Unauthenticated,
        );
        fitness.stop().await;
        auth.stop().await;
    }
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

async fn a_valid_token_is_accepted_and_scopes_every_call_to_its_subject(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    until_accepted(&stack.fitness, &ada.access_token).await;
    let created = ada.create_workout("Legs", "2026-11-24").await;
    let mut stats = ada.my_stats().await;
    assert_eq!(
        (stats.user_id.as_str(), stats.total_workouts),
        (ada.id.as_str(), 1)
    );
    stats.total_workouts = 0;
    assert_eq!(ada.get_workout(&created.id).await.title, "Legs");
    stack.stop().await;
}

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

async fn after_a_key_rotation_tokens_of_both_keys_are_accepted(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let root = stack.user("root").await;
    let root = admin(&stack, &root).await;
    until_accepted(&stack.fitness, &root.access_token).await;
    let rotated = AdminServiceClient::new(stack.auth.channel().await)
        .rotate_signing_key(bearer(
            authpb::RotateSigningKeyRequest {},
            &root.access_token,
        ))
        .await
        .expect("rotation succeeds")
        .into_inner();
    let fresh = stack.login("root").await;
    let kid = |token: &str| {
        use base64::Engine as _;
        let header = token.split('.').next().unwrap();
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(header)
            .unwrap();
        serde_json::from_slice::<serde_json::Value>(&bytes).unwrap()["kid"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(kid(&fresh.access_token), rotated.kid);
    assert_ne!(kid(&fresh.access_token), kid(&root.access_token));
    // Fitness learns the new key by refetching the JWKS on its unknown kid, at most once per
    // STRIDE_JWKS_REFETCH_COOLDOWN (5 s): a refetch just before the rotation delays it.
    poll_until(Duration::from_secs(15), || async {
        call(&stack.fitness, Bearer::new(&fresh.access_token))
            .await
            .ok()
    })
    .await;
    call(&stack.fitness, Bearer::new(&root.access_token))
        .await
        .expect("old key still accepted");
    stack.stop().await;
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

async fn with_auth_disabled_for_benchmarks_the_metadata_names_the_caller(backend: Backend) {
    let fitness = TestFitness::spawn_with(backend, "http://127.0.0.1:9".to_owned(), |config| {
        config.auth.disabled = true;
    })
    .await;
    let mut client = WorkoutServiceClient::new(fitness.channel().await);
    assert_code(
        client
            .list_workouts(pb::ListWorkoutsRequest::default())
            .await,
        Code::Unauthenticated,
    );
    let mut request = tonic::Request::new(pb::GetMyStatsRequest {});
    request
        .metadata_mut()
        .insert("x-stride-user-id", "bench-user-1".parse().unwrap());
    let stat = shared::pb::fitness::v1::stats_service_client::StatsServiceClient::new(
        fitness.channel().await,
    )
    .get_my_stats(request)
    .await
    .unwrap()
    .into_inner();
    assert_eq!(stat.user_id, "bench-user-1");
    fitness.stop().await;
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

/// Revokes the session of `tokens` with its own access token.
async fn revoke_own_session(channel: tonic::transport::Channel, tokens: &authpb::TokenPair) {
    SessionServiceClient::new(channel)
        .revoke_session(bearer(
            authpb::RevokeSessionRequest {
                session_id: tokens.session_id.clone(),
            },
            &tokens.access_token,
        ))
        .await
        .expect("RevokeSession succeeds");
}

backend_tests!(
    missing_malformed_and_forged_tokens_are_unauthenticated,
    expired_and_wrong_audience_tokens_are_unauthenticated,
    with_auth_unreachable_from_the_start_requests_fail_closed,
    with_auth_disabled_for_benchmarks_the_metadata_names_the_caller,
    a_valid_token_is_accepted_and_scopes_every_call_to_its_subject,
    a_revoked_session_is_refused_by_fitness_through_the_feed,
    a_deactivated_user_can_no_longer_call_fitness,
    after_a_key_rotation_tokens_of_both_keys_are_accepted,
    with_auth_down_fitness_serves_until_the_staleness_bound_then_fails_closed_and_recovers,
    when_auth_starts_over_on_a_new_database_fitness_follows_its_feed_from_the_start,
);
