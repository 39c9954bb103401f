//! Graceful shutdown: health flips to NOT_SERVING when draining starts, and an RPC that never
//! finishes (a health Watch stream) cannot hold the server past the bounded drain.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use testkit::{Backend, TestAuth};
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn draining_reports_not_serving_and_ends_within_the_drain_bound() {
    let auth = TestAuth::spawn_with(Backend::Sqlite, |config| {
        config.shutdown_drain = Duration::from_millis(500);
    })
    .await;
    let mut health = HealthClient::new(auth.channel().await);
    let mut watch = health
        .watch(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    let first = watch.message().await.unwrap().unwrap();
    assert_eq!(first.status(), ServingStatus::Serving);

    let started = Instant::now();
    let stopping = tokio::spawn(auth.stop());
    let next = tokio::time::timeout(Duration::from_secs(10), watch.message())
        .await
        .expect("a status update while draining")
        .unwrap()
        .unwrap();
    assert_eq!(next.status(), ServingStatus::NotServing);

    // The open Watch stream would keep a graceful shutdown waiting forever; the drain bound
    // ends it. A generous ceiling keeps this robust on a loaded machine.
    tokio::time::timeout(Duration::from_secs(10), stopping)
        .await
        .expect("shutdown finishes")
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(400),
        "drain ended early"
    );
}
