//! Two fitness replicas on one PostgreSQL database, each following its own auth replica
//! (`testkit::replicas`): fitness-1 follows auth-1 and fitness-2 auth-2, so what is done on
//! auth-1 reaches fitness-2 only through the shared auth database; and requests spread over
//! both fitness replicas are decided in the shared fitness rows.

mod auth_layer;
mod idempotency;

use std::time::Duration;

use shared::pb::auth::v1::TokenPair;
use shared::pb::fitness::v1 as pb;
use shared::pb::fitness::v1::workout_service_client::WorkoutServiceClient;
use testkit::bearer::{AuthorisedChannel, authorised};
use tonic::transport::Channel;

use crate::helpers::poll_until;

/// Workout clients of fitness-1 and fitness-2 that send `token`.
fn workouts_at(
    channels: &[Channel; 2],
    token: &str,
) -> [WorkoutServiceClient<AuthorisedChannel>; 2] {
    channels
        .clone()
        .map(|channel| WorkoutServiceClient::new(authorised(channel, token)))
}

/// A cheap authenticated call: ListWorkouts.
async fn call(client: &mut WorkoutServiceClient<AuthorisedChannel>) -> Result<(), tonic::Status> {
    client
        .list_workouts(pb::ListWorkoutsRequest::default())
        .await
        .map(drop)
}

/// Waits until both fitness replicas accept `tokens` (their JWKS and feeds are warm).
async fn until_both_accept(channels: &[Channel; 2], tokens: &TokenPair) {
    for client in workouts_at(channels, &tokens.access_token) {
        poll_until(Duration::from_secs(10), || {
            let mut client = client.clone();
            async move { call(&mut client).await.ok() }
        })
        .await;
    }
}
