//! Which tokens fitness accepts: only well-formed access tokens of its auth service, for its
//! audience, unexpired, signed by a key the JWKS lists (old or new across a rotation).

use std::time::Duration;

use shared::pb::auth::v1 as authpb;
use shared::pb::auth::v1::admin_service_client::AdminServiceClient;
use shared::pb::fitness::v1 as pb;
use shared::pb::fitness::v1::workout_service_client::WorkoutServiceClient;
use testkit::bearer::bearer;
use testkit::{Backend, TestAuth, TestFitness, backend_tests};
use tonic::Code;

use crate::helpers::{Bearer, Stack, assert_code, kid_of, poll_until, reason, register_at};

use super::{admin, call, until_accepted};

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

async fn expired_tokens_are_unauthenticated_as_expired(backend: Backend) {
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
}

async fn tokens_for_another_audience_or_from_another_issuer_are_unauthenticated(backend: Backend) {
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
    assert_eq!(kid_of(&fresh.access_token), rotated.kid);
    assert_ne!(kid_of(&fresh.access_token), kid_of(&root.access_token));
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

backend_tests!(
    missing_malformed_and_forged_tokens_are_unauthenticated,
    expired_tokens_are_unauthenticated_as_expired,
    tokens_for_another_audience_or_from_another_issuer_are_unauthenticated,
    a_valid_token_is_accepted_and_scopes_every_call_to_its_subject,
    after_a_key_rotation_tokens_of_both_keys_are_accepted,
    with_auth_disabled_for_benchmarks_the_metadata_names_the_caller,
);
