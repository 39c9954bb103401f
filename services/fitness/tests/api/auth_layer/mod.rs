//! The auth layer against the real auth service (how it works: docs/ARCHITECTURE.md, "The
//! revocation feed"): which tokens are refused, how fast revocation takes effect, failing
//! closed while auth is down, and key rotation.

mod revocation;
mod tokens;

use std::time::Duration;

use shared::pb::auth::v1 as authpb;
use shared::pb::auth::v1::session_service_client::SessionServiceClient;
use shared::pb::fitness::v1 as pb;
use testkit::TestFitness;
use testkit::bearer::bearer;

use crate::helpers::{Bearer, Stack, User, poll_until, workouts_with};

/// A cheap authenticated call: ListWorkouts.
pub async fn call(fitness: &TestFitness, bearer: Bearer) -> Result<(), tonic::Status> {
    workouts_with(fitness, bearer)
        .await
        .list_workouts(pb::ListWorkoutsRequest::default())
        .await
        .map(drop)
}

/// Waits until fitness accepts `token` (its JWKS and revocation feed are warm).
pub async fn until_accepted(fitness: &TestFitness, token: &str) {
    poll_until(Duration::from_secs(10), || async {
        call(fitness, Bearer::new(token)).await.ok()
    })
    .await;
}

/// Makes `user` an admin in the auth database and logs in again for a token saying so.
pub async fn admin(stack: &Stack, user: &User) -> User {
    sqlx::query("UPDATE users SET role = 'ADMIN' WHERE id = $1")
        .bind(&user.id)
        .execute(stack.auth.db.pool())
        .await
        .unwrap();
    stack.login(&user.username).await
}

/// Revokes the session of `tokens` with its own access token.
pub async fn revoke_own_session(channel: tonic::transport::Channel, tokens: &authpb::TokenPair) {
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
