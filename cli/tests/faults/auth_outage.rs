//! Fitness without auth, under load: it keeps serving while its revocation data is fresh,
//! fails closed (UNAVAILABLE) once it is stale, recovers by itself when auth returns, and
//! honours a revocation made while it was cut off as soon as the feed reaches it again.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use shared::pb::fitness::v1::workout_service_client::WorkoutServiceClient;
use tonic::Code;

use crate::clients::{list, logout, signed_in, workouts};
use crate::process::{Kind, Process, Secrets};
use crate::proxy::Proxy;

/// `STRIDE_REVOCATION_MAX_STALENESS` of the fitness process: long enough that the first call
/// after the kill lands inside it even on a loaded machine.
const STALENESS: Duration = Duration::from_secs(5);
/// Callers loading fitness throughout.
const LOAD_CALLERS: usize = 4;
/// Bound on each wait for a change of state (generous: fitness retries with a backoff).
const DEADLINE: Duration = Duration::from_secs(90);

/// A client of the fitness process under test, calling `ListWorkouts` with one token.
struct Caller<'a> {
    fitness: &'a Process,
    client: WorkoutServiceClient<tonic::transport::Channel>,
    token: String,
}

impl Caller<'_> {
    /// One call's code.
    async fn call(&mut self) -> Code {
        match list(&mut self.client, &self.token).await {
            Ok(_) => Code::Ok,
            Err(status) => status.code(),
        }
    }

    /// Calls until the answer is `done`; every answer on the way must be `allowed`.
    async fn until(&mut self, allowed: Code, done: Code) {
        let started = Instant::now();
        loop {
            let code = self.call().await;
            if code == done {
                return;
            }
            assert!(
                code == allowed,
                "answered {code:?} while waiting for {done:?}\n{}",
                self.fitness.log()
            );
            assert!(
                started.elapsed() < DEADLINE,
                "no {done:?} within {DEADLINE:?}\n{}",
                self.fitness.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until fitness serves the call again and follows the feed (it spoke within the
    /// last second), so it answers from its own revocation set, not by asking auth.
    async fn served_from_the_feed(&mut self) {
        self.until(Code::Unavailable, Code::Ok).await;
        let started = Instant::now();
        while self.fitness.feed_silence().await >= 1.0 {
            assert!(
                started.elapsed() < DEADLINE,
                "fitness does not follow the feed\n{}",
                self.fitness.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Fitness lost the feed at `since`: it keeps serving while what it knows is fresh, then
    /// answers UNAVAILABLE, and nothing else, from the staleness bound on.
    async fn fails_closed(&mut self, since: Instant) {
        let first = self.call().await;
        if since.elapsed() < STALENESS - Duration::from_secs(2) {
            assert_eq!(first, Code::Ok, "right after the feed was lost");
        }
        self.until(Code::Ok, Code::Unavailable).await;
        // The feed last spoke at most a heartbeat (1 s) before `since`.
        assert!(
            since.elapsed() >= STALENESS - Duration::from_millis(1_100),
            "failed closed {:?} after the feed was lost, before the bound {STALENESS:?}",
            since.elapsed()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fitness_serves_while_fresh_fails_closed_recovers_and_honours_missed_revocations() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = Secrets::new();
    let auth_db = format!("sqlite://{}", dir.path().join("auth.db").display());
    let auth = Process::start(
        Kind::Auth,
        dir.path(),
        &secrets,
        &[("STRIDE_AUTH_DATABASE_URL", auth_db.clone())],
    );
    let auth_addr = auth.addr;
    // Fitness reaches auth through a link the test can cut.
    let mut link = Proxy::start(auth_addr).await;
    let fitness = Process::start(
        Kind::Fitness,
        dir.path(),
        &secrets,
        &[
            ("STRIDE_AUTH_URL", format!("http://{}", link.addr)),
            (
                "STRIDE_FITNESS_DATABASE_URL",
                format!("sqlite://{}", dir.path().join("fitness.db").display()),
            ),
            (
                "STRIDE_REVOCATION_MAX_STALENESS",
                format!("{}s", STALENESS.as_secs()),
            ),
            ("STRIDE_METRICS_ADDR", "127.0.0.1:0".to_owned()),
        ],
    );
    let ada = signed_in(auth_addr, "ada").await;
    let bob = signed_in(auth_addr, "bob").await;
    let mut ada_calls = Caller {
        fitness: &fitness,
        client: workouts(fitness.addr),
        token: ada.access_token.clone(),
    };
    ada_calls.served_from_the_feed().await;

    // Load throughout: callers whose every answer must be OK or UNAVAILABLE, nothing else.
    let stop = Arc::new(AtomicBool::new(false));
    let load: Vec<_> = (0..LOAD_CALLERS)
        .map(|_| {
            let mut client = workouts(fitness.addr);
            let token = ada.access_token.clone();
            let stop = Arc::clone(&stop);
            tokio::spawn(async move {
                let mut codes = BTreeMap::<String, usize>::new();
                while !stop.load(Ordering::Relaxed) {
                    let code = match list(&mut client, &token).await {
                        Ok(_) => Code::Ok,
                        Err(status) => status.code(),
                    };
                    *codes.entry(format!("{code:?}")).or_default() += 1;
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                codes
            })
        })
        .collect();

    // Auth dies.
    auth.kill();
    ada_calls.fails_closed(Instant::now()).await;

    // Auth returns on its address: fitness recovers by itself.
    let auth = Process::start(
        Kind::Auth,
        dir.path(),
        &secrets,
        &[
            ("STRIDE_AUTH_DATABASE_URL", auth_db.clone()),
            ("STRIDE_AUTH_ADDR", auth_addr.to_string()),
        ],
    );
    ada_calls.served_from_the_feed().await;

    // Cut off from auth, fitness misses a revocation...
    link.cut();
    let cut = Instant::now();
    logout(auth.addr, &bob).await;
    ada_calls.fails_closed(cut).await;
    // ...and bob's token is not served meanwhile.
    let mut client = workouts(fitness.addr);
    let meanwhile = list(&mut client, &bob.access_token).await.unwrap_err();
    assert_eq!(meanwhile.code(), Code::Unavailable, "{meanwhile:?}");

    // Reconnected, the feed resumes from its last sequence: once fitness follows it again
    // (and so stops asking auth per request), the revocation is honoured from the feed.
    link.restore().await;
    ada_calls.served_from_the_feed().await;
    let revoked = list(&mut client, &bob.access_token).await.unwrap_err();
    assert_eq!(revoked.code(), Code::Unauthenticated, "{revoked:?}");

    stop.store(true, Ordering::Relaxed);
    let mut seen = BTreeMap::<String, usize>::new();
    for caller in load {
        for (code, n) in caller.await.unwrap() {
            *seen.entry(code).or_default() += n;
        }
    }
    assert!(
        seen.keys()
            .all(|code| code == "Ok" || code == "Unavailable")
            && seen.contains_key("Ok")
            && seen.contains_key("Unavailable"),
        "the load saw {seen:?}"
    );
    drop(auth);
}
