//! How long fitness keeps refusing a revoked access token: until it could no longer verify
//! anywhere, its expiry plus the verifier's leeway, on a clock the test moves by hand.

use std::time::Duration;

use base64::Engine as _;
use shared::pb::auth::v1 as authpb;
use shared::pb::auth::v1::session_service_client::SessionServiceClient;
use shared::pb::fitness::v1 as pb;
use stride_auth::clock::ManualClock;
use testkit::{Backend, TestAuth, TestFitness, backend_tests};
use tonic::Code;

use crate::helpers::{Bearer, poll_until, reason, register_at, workouts_with};

/// Access tokens live this long here; fitness's leeway is the default 60 s.
const TTL: Duration = Duration::from_secs(60);

/// A cheap authenticated call: ListWorkouts.
async fn call(fitness: &TestFitness, token: &str) -> Result<(), tonic::Status> {
    workouts_with(fitness, Bearer::new(token))
        .await
        .list_workouts(pb::ListWorkoutsRequest::default())
        .await
        .map(drop)
}

/// The `jti` claim of a JWT.
fn jti(token: &str) -> String {
    let payload = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice::<serde_json::Value>(&bytes).unwrap()["jti"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Revokes one access token with itself, then waits until fitness refuses it.
async fn revoke(auth: &TestAuth, fitness: &TestFitness, token: &str) {
    poll_until(Duration::from_secs(10), || async {
        call(fitness, token).await.ok()
    })
    .await;
    let mut request = tonic::Request::new(authpb::RevokeTokenRequest { jti: jti(token) });
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    SessionServiceClient::new(auth.channel().await)
        .revoke_token(request)
        .await
        .expect("RevokeToken succeeds");
    poll_until(Duration::from_secs(10), || async {
        call(fitness, token).await.err()
    })
    .await;
}

async fn a_revoked_token_stays_refused_after_its_expiry_while_the_leeway_would_accept_it(
    backend: Backend,
) {
    let time = ManualClock::new();
    let auth = TestAuth::spawn_with(backend, |config| {
        config.clock = time.clock();
        config.tokens.access_ttl = TTL;
    })
    .await;
    let fitness = TestFitness::spawn_with(backend, auth.url(), |config| {
        let now = time.clock();
        config.auth.clock = stride_fitness::config::Clock::from_fn(move || now.now());
    })
    .await;
    let (_, ada) = register_at(auth.channel().await, "ada").await;
    revoke(&auth, &fitness, &ada.access_token).await;

    // Past the token's expiry by more than fitness's pruning interval (30 s), but inside the
    // 60 s leeway, so the token itself still verifies.
    time.advance(TTL + Duration::from_secs(35));
    // Another revocation reaches the set, which prunes it on the way.
    let (_, bob) = register_at(auth.channel().await, "bob").await;
    revoke(&auth, &fitness, &bob.access_token).await;

    let status = call(&fitness, &ada.access_token)
        .await
        .expect_err("the revoked token is still refused");
    assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
    assert_eq!(reason(&status), "TOKEN_REVOKED");

    // Once past expiry plus leeway, it is refused as expired: nothing needs remembering.
    time.advance(Duration::from_secs(30));
    let status = call(&fitness, &ada.access_token).await.unwrap_err();
    assert_eq!(reason(&status), "TOKEN_EXPIRED");
    fitness.stop().await;
    auth.stop().await;
}

backend_tests!(a_revoked_token_stays_refused_after_its_expiry_while_the_leeway_would_accept_it);
