//! What auth-1 does reaches fitness-2, which only talks to auth-2: a revocation through
//! auth-2's feed (fed by its poll of the shared feed's head), a new signing key through
//! auth-2's JWKS (fed by its reload of the shared key set).

use std::time::Duration;

use shared::pb::auth::v1 as authpb;
use shared::pb::auth::v1::admin_service_client::AdminServiceClient;
use shared::pb::auth::v1::auth_service_client::AuthServiceClient;
use testkit::bearer::bearer;
use testkit::replicas::Replicas;
use testkit::users::PASSWORD;
use testkit::{Backend, postgres_tests};
use tonic::Code;
use tonic::transport::Channel;

use super::{call, until_both_accept, workouts_at};
use crate::helpers::{kid_of, poll_until, reason};

/// Logs `username` in at the auth replica behind `channel` on `device`.
async fn sign_in(channel: Channel, username: &str, device: &str) -> authpb::TokenPair {
    testkit::users::login(channel, username, PASSWORD, device)
        .await
        .expect("login succeeds")
        .tokens
        .unwrap()
}

async fn a_logout_on_auth_1_is_refused_by_both_fitness_replicas(backend: Backend) {
    // A staleness bound far above the test's deadline: only a working feed can deliver the
    // revocation, never a per-request CheckRevocation.
    let replicas = Replicas::spawn_with(
        backend,
        |_, _| {},
        |_, config| config.auth.max_staleness = Duration::from_secs(60),
    )
    .await;
    let [auth_1, _] = replicas.auth_channels().await;
    let fitness = replicas.fitness_channels().await;
    let ada = testkit::users::register(auth_1.clone(), "ada")
        .await
        .tokens
        .unwrap();
    let other_session = sign_in(auth_1.clone(), "ada", "phone").await;
    until_both_accept(&fitness, &ada).await;
    until_both_accept(&fitness, &other_session).await;

    AuthServiceClient::new(auth_1)
        .logout(authpb::LogoutRequest {
            refresh_token: ada.refresh_token.clone(),
        })
        .await
        .expect("Logout succeeds");
    // Generous, so a loaded machine cannot make this flaky; the latency target is measured by
    // the benchmark.
    let names = ["fitness-1", "fitness-2"];
    for (name, client) in names.iter().zip(workouts_at(&fitness, &ada.access_token)) {
        eprintln!("waiting for {name} to refuse the logged-out session");
        let (status, took) = poll_until(Duration::from_secs(10), || {
            let mut client = client.clone();
            async move { call(&mut client).await.err() }
        })
        .await;
        assert_eq!(status.code(), Code::Unauthenticated, "{name}: {status:?}");
        assert_eq!(reason(&status), "TOKEN_REVOKED", "{name}");
        eprintln!("the logout reached {name} in {took:?}");
    }
    // Only that session: the user's other one still works at both.
    for (name, mut client) in names
        .iter()
        .zip(workouts_at(&fitness, &other_session.access_token))
    {
        call(&mut client)
            .await
            .unwrap_or_else(|status| panic!("{name} refused another session: {status:?}"));
    }
    replicas.stop().await;
}

async fn tokens_signed_by_a_key_rotated_on_auth_1_verify_at_fitness_2(backend: Backend) {
    let replicas = Replicas::spawn(backend).await;
    let [auth_1, _] = replicas.auth_channels().await;
    let fitness = replicas.fitness_channels().await;
    let root = testkit::users::register(auth_1.clone(), "root").await;
    sqlx::query("UPDATE users SET role = 'ADMIN' WHERE id = $1")
        .bind(&root.user.unwrap().id)
        .execute(replicas.auth[0].db.pool())
        .await
        .unwrap();
    let admin = sign_in(auth_1.clone(), "root", "console").await;
    // Both fitness replicas hold the key set from before the rotation.
    until_both_accept(&fitness, &admin).await;

    let rotated = AdminServiceClient::new(auth_1.clone())
        .rotate_signing_key(bearer(
            authpb::RotateSigningKeyRequest {},
            &admin.access_token,
        ))
        .await
        .expect("rotation succeeds")
        .into_inner();
    let fresh = sign_in(auth_1, "root", "laptop").await;
    assert_eq!(
        kid_of(&fresh.access_token),
        rotated.kid,
        "auth-1 signs anew"
    );
    assert_ne!(kid_of(&fresh.access_token), kid_of(&admin.access_token));

    // Fitness learns a new key by refetching its auth replica's JWKS on the unknown kid, at
    // most once per STRIDE_JWKS_REFETCH_COOLDOWN (5 s): the deadline of the one-replica test
    // (`auth_layer::tokens`). fitness-2 first: it asks auth-2, which did not rotate.
    let names = ["fitness-2", "fitness-1"];
    let [at_1, at_2] = workouts_at(&fitness, &fresh.access_token);
    for (name, client) in names.iter().zip([at_2, at_1]) {
        eprintln!("waiting for {name} to accept the new key");
        let (_, took) = poll_until(Duration::from_secs(15), || {
            let mut client = client.clone();
            async move { call(&mut client).await.ok() }
        })
        .await;
        eprintln!("{name} accepted the new key after {took:?}");
    }
    for (name, mut client) in ["fitness-1", "fitness-2"]
        .iter()
        .zip(workouts_at(&fitness, &admin.access_token))
    {
        call(&mut client)
            .await
            .unwrap_or_else(|status| panic!("{name} refused the old key: {status:?}"));
    }
    replicas.stop().await;
}

postgres_tests!(
    a_logout_on_auth_1_is_refused_by_both_fitness_replicas,
    tokens_signed_by_a_key_rotated_on_auth_1_verify_at_fitness_2,
);
