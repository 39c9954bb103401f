//! SIGTERM under load: health turns NOT_SERVING, the RPCs in flight finish, every write that
//! was acknowledged is durable, and the process exits 0 within the drain bound.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tonic::Code;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

use crate::clients::{create, signed_in, titles, workouts};
use testkit::Backend;

use crate::process::{Database, Kind, Process, Secrets};

/// `STRIDE_SHUTDOWN_DRAIN` of the fitness process.
const DRAIN: Duration = Duration::from_secs(5);
/// Clients writing at once.
const WRITERS: usize = 8;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_in_flight_writes_and_exits_zero_on_sqlite() {
    sigterm_drains_in_flight_writes_and_exits_zero(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_in_flight_writes_and_exits_zero_on_postgres() {
    if testkit::postgres_available() {
        sigterm_drains_in_flight_writes_and_exits_zero(Backend::Postgres).await;
    }
}

async fn sigterm_drains_in_flight_writes_and_exits_zero(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let secrets = Secrets::new();
    let auth_db = Database::create(backend, dir.path(), "auth").await;
    let fitness_db = Database::create(backend, dir.path(), "fitness").await;
    let auth = Process::start(
        Kind::Auth,
        dir.path(),
        &secrets,
        &[("STRIDE_AUTH_DATABASE_URL", auth_db.url.clone())],
    );
    let fitness_settings = [
        ("STRIDE_AUTH_URL", auth.url()),
        ("STRIDE_FITNESS_DATABASE_URL", fitness_db.url.clone()),
        ("STRIDE_SHUTDOWN_DRAIN", format!("{}s", DRAIN.as_secs())),
    ];
    let mut fitness = Process::start(Kind::Fitness, dir.path(), &secrets, &fitness_settings);
    let ada = signed_in(auth.addr, "ada").await;

    // A health watcher, as a load balancer would keep.
    let mut health = HealthClient::new(testkit::channel(fitness.addr).await)
        .watch(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    let first = health.message().await.unwrap().unwrap();
    assert_eq!(first.status(), ServingStatus::Serving);

    // Writers: each write has its own request id; what was acknowledged is remembered.
    let acknowledged = Arc::new(Mutex::new(BTreeSet::new()));
    let outcomes = Arc::new(Mutex::new(Vec::new()));
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let token = ada.access_token.clone();
            let acknowledged = Arc::clone(&acknowledged);
            let outcomes = Arc::clone(&outcomes);
            let mut client = workouts(fitness.addr);
            tokio::spawn(async move {
                for i in 0.. {
                    let title = format!("w{w}-{i}");
                    match create(&mut client, &token, &title, &title).await {
                        Ok(_) => {
                            acknowledged.lock().unwrap().insert(title);
                        }
                        Err(status) => {
                            outcomes.lock().unwrap().push(status);
                            return;
                        }
                    }
                }
            })
        })
        .collect();
    // Load running, then the signal.
    testkit::poll::poll_until(Duration::from_secs(60), || {
        let n = acknowledged.lock().unwrap().len();
        async move { (n >= 50).then_some(()) }
    })
    .await;
    fitness.terminate();

    let update = tokio::time::timeout(Duration::from_secs(10), health.message())
        .await
        .expect("the health watch answers within 10 s of SIGTERM");
    if let Ok(Some(update)) = update {
        assert_eq!(update.status(), ServingStatus::NotServing);
    } else {
        panic!("the health watch ended without NOT_SERVING: {update:?}");
    }
    drop(health);

    let status = fitness.wait_exit(DRAIN + Duration::from_secs(10));
    let status =
        status.unwrap_or_else(|| panic!("still running after the drain\n{}", fitness.log()));
    assert!(status.success(), "exit status {status}\n{}", fitness.log());
    for writer in writers {
        writer.await.unwrap();
    }
    // A write the server never started is refused as UNAVAILABLE (or the connection is gone:
    // a request sent as the server's GOAWAY(NO_ERROR) crossed it was never started, though the
    // client library reports it as an internal h2 error); none was cut off halfway.
    for status in outcomes.lock().unwrap().iter() {
        assert!(
            matches!(status.code(), Code::Unavailable | Code::Cancelled)
                || refused_by_goaway(status),
            "a write failed with {status:?}"
        );
    }

    // Every acknowledged write is there, once, after a restart on the same database.
    let fitness = Process::start(Kind::Fitness, dir.path(), &secrets, &fitness_settings);
    let stored = titles(&mut workouts(fitness.addr), &ada.access_token).await;
    let twice: Vec<_> = stored.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "stored more than once: {twice:?}");
    let stored: BTreeSet<String> = stored.into_keys().collect();
    let acknowledged = acknowledged.lock().unwrap().clone();
    let lost: Vec<_> = acknowledged.difference(&stored).collect();
    assert!(lost.is_empty(), "acknowledged but not stored: {lost:?}");
    assert!(acknowledged.len() >= 50);
    drop(fitness);
    drop(auth);
    auth_db.remove().await;
    fitness_db.remove().await;
}

/// True for a request the server refused by closing the connection gracefully (GOAWAY with
/// NO_ERROR, sent while draining): it was never started. The h2 client reports it as an
/// internal error with the GOAWAY as its source.
fn refused_by_goaway(status: &tonic::Status) -> bool {
    let described = format!("{status:?}");
    status.code() == Code::Internal
        && described.contains("GoAway(")
        && described.contains("NO_ERROR")
}
