//! The calls the fault tests make, through the generated clients, as any client would.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use shared::pb::auth::v1::{LogoutRequest, TokenPair, auth_service_client::AuthServiceClient};
use shared::pb::fitness::v1 as pb;
use shared::pb::fitness::v1::workout_service_client::WorkoutServiceClient;
use testkit::bearer::bearer;
use testkit::users::{self, PASSWORD};
use tonic::Status;

/// Registers `username` at `auth` and signs in: a fresh token pair.
pub async fn signed_in(auth: SocketAddr, username: &str) -> TokenPair {
    let channel = testkit::channel(auth).await;
    users::register(channel.clone(), username).await;
    users::login(channel, username, PASSWORD, "laptop")
        .await
        .expect("login succeeds")
        .tokens
        .expect("a token pair")
}

/// Ends the session of `pair` at `auth`.
pub async fn logout(auth: SocketAddr, pair: &TokenPair) {
    AuthServiceClient::new(testkit::channel(auth).await)
        .logout(LogoutRequest {
            refresh_token: pair.refresh_token.clone(),
        })
        .await
        .expect("logout succeeds");
}

/// A client of the workout service at `fitness`, connecting lazily (so a process that is down
/// fails the call, not the construction).
pub fn workouts(fitness: SocketAddr) -> WorkoutServiceClient<tonic::transport::Channel> {
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{fitness}"))
        .unwrap()
        .connect_timeout(std::time::Duration::from_secs(2))
        .timeout(std::time::Duration::from_secs(20))
        .connect_lazy();
    WorkoutServiceClient::new(channel)
}

/// The first page (100) of the caller's workouts.
pub async fn list(
    client: &mut WorkoutServiceClient<tonic::transport::Channel>,
    token: &str,
) -> Result<Vec<pb::Workout>, Status> {
    client
        .list_workouts(bearer(
            pb::ListWorkoutsRequest {
                page_size: 100,
                ..Default::default()
            },
            token,
        ))
        .await
        .map(|r| r.into_inner().workouts)
}

/// Creates a workout titled `title` with `request_id`.
pub async fn create(
    client: &mut WorkoutServiceClient<tonic::transport::Channel>,
    token: &str,
    title: &str,
    request_id: &str,
) -> Result<pb::Workout, Status> {
    client
        .create_workout(bearer(
            pb::CreateWorkoutRequest {
                workout: Some(pb::Workout {
                    title: title.to_owned(),
                    date: "2026-12-01".to_owned(),
                    workout_type: pb::WorkoutType::Strength as i32,
                    ..Default::default()
                }),
                request_id: request_id.to_owned(),
            },
            token,
        ))
        .await
        .map(tonic::Response::into_inner)
}

/// How many times each title occurs among all the caller's workouts, page by page.
pub async fn titles(
    client: &mut WorkoutServiceClient<tonic::transport::Channel>,
    token: &str,
) -> BTreeMap<String, usize> {
    let mut titles = BTreeMap::new();
    let mut page_token = String::new();
    loop {
        let page = client
            .list_workouts(bearer(
                pb::ListWorkoutsRequest {
                    page_size: 100,
                    page_token: page_token.clone(),
                    ..Default::default()
                },
                token,
            ))
            .await
            .expect("the workouts are listed")
            .into_inner();
        for workout in page.workouts {
            *titles.entry(workout.title).or_default() += 1;
        }
        if page.next_page_token.is_empty() {
            return titles;
        }
        page_token = page.next_page_token;
    }
}
