//! Revocation feed latency: the time from `RevokeSession` returning to the event arriving at
//! a `WatchRevocations` consumer, over 1,000 revocations, one at a time.
//!
//! ```text
//! cargo run --release -p stride-auth --example revocation_latency              # SQLite
//! STRIDE_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres \
//!   cargo run --release -p stride-auth --example revocation_latency postgres   # PostgreSQL
//! ```
//!
//! The service runs in-process (testkit), the client talks to it over loopback gRPC. An event
//! that arrives before the RPC's response counts as zero.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::time::{Duration, Instant};

use shared::pb::auth::v1::watch_revocations_response::Payload;
use shared::pb::auth::v1::{
    LoginRequest, RegisterRequest, RevokeSessionRequest, WatchRevocationsRequest,
    auth_service_client::AuthServiceClient, session_service_client::SessionServiceClient,
    token_introspection_service_client::TokenIntrospectionServiceClient,
};
use testkit::{Backend, TestAuth};
use tonic::Request;

const REVOCATIONS: usize = 1_000;
const PASSWORD: &str = "violet-kettle-orbit-9172";

fn bearer<T>(message: T, token: &str) -> Request<T> {
    let mut request = Request::new(message);
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    request
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let backend = match std::env::args().nth(1).as_deref() {
        Some("postgres") => Backend::Postgres,
        _ => Backend::Sqlite,
    };
    let auth = TestAuth::spawn_with(backend, |c| c.lockout.ip_limit = 1_000_000).await;
    let channel = auth.channel().await;
    let mut accounts = AuthServiceClient::new(channel.clone());
    let control = accounts
        .register(RegisterRequest {
            username: "latency".into(),
            email: "latency@example.com".into(),
            password: PASSWORD.into(),
            device_label: "control".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .tokens
        .unwrap();
    let mut sessions = Vec::with_capacity(REVOCATIONS);
    for i in 0..REVOCATIONS {
        let pair = accounts
            .login(LoginRequest {
                login: "latency".into(),
                password: PASSWORD.into(),
                device_label: format!("device {i}"),
            })
            .await
            .unwrap()
            .into_inner()
            .tokens
            .unwrap();
        sessions.push(pair.session_id);
    }

    let mut watch = Request::new(WatchRevocationsRequest::default());
    watch
        .metadata_mut()
        .insert("x-stride-service-key", "test-service-key".parse().unwrap());
    let mut feed = TokenIntrospectionServiceClient::new(channel.clone())
        .watch_revocations(watch)
        .await
        .unwrap()
        .into_inner();
    let (arrived_tx, mut arrived) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok(Some(message)) = feed.message().await {
            if let Some(Payload::Event(event)) = message.payload {
                let _ = arrived_tx.send((event.sid, Instant::now()));
            }
        }
    });

    let mut client = SessionServiceClient::new(channel);
    let mut early: HashMap<String, Instant> = HashMap::new();
    let mut latencies = Vec::with_capacity(REVOCATIONS);
    for sid in &sessions {
        client
            .revoke_session(bearer(
                RevokeSessionRequest {
                    session_id: sid.clone(),
                },
                &control.access_token,
            ))
            .await
            .unwrap();
        let returned = Instant::now();
        let at = match early.remove(sid) {
            Some(at) => at,
            None => loop {
                let (got, at) = tokio::time::timeout(Duration::from_secs(5), arrived.recv())
                    .await
                    .expect("the event arrives")
                    .expect("the feed is open");
                if &got == sid {
                    break at;
                }
                early.insert(got, at);
            },
        };
        latencies.push(at.saturating_duration_since(returned));
    }
    latencies.sort();
    let pick = |q: f64| latencies[((latencies.len() as f64 * q).ceil() as usize).saturating_sub(1)];
    println!(
        "backend={} revocations={} p50={:?} p99={:?} max={:?}",
        backend.name(),
        latencies.len(),
        pick(0.50),
        pick(0.99),
        latencies[latencies.len() - 1]
    );
    auth.stop().await;
}
