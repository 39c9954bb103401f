//! PostgreSQL goes away under load and comes back: both services recover without a restart,
//! every answer meanwhile is UNAVAILABLE (never INTERNAL), and every write acknowledged before,
//! during or after is stored exactly once, clients retrying with their `request_id`.
//!
//! The outage is a proxy between the services and PostgreSQL that the test cuts (every
//! connection closed, new ones refused) and restores: what a restart looks like from the
//! services, without restarting the server other tests share.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use testkit::{Backend, TestDb};

use crate::clients::{create, signed_in, titles, workouts};
use crate::process::{Kind, Process, Secrets};
use crate::proxy::Proxy;

/// Clients writing at once.
const WRITERS: usize = 4;
/// How long PostgreSQL stays unreachable.
const OUTAGE: Duration = Duration::from_secs(3);
/// Bound on one write's retries.
const WRITE_DEADLINE: Duration = Duration::from_secs(90);

/// `url` with its host and port replaced by `addr`.
fn through(url: &str, addr: SocketAddr) -> String {
    let mut parsed = url::Url::parse(url).unwrap();
    parsed.set_ip_host(addr.ip()).unwrap();
    parsed.set_port(Some(addr.port())).unwrap();
    parsed.to_string()
}

/// The PostgreSQL server the test databases live on.
fn postgres_addr(url: &str) -> SocketAddr {
    let parsed = url::Url::parse(url).unwrap();
    let host = parsed.host_str().unwrap();
    let host = if host == "localhost" {
        "127.0.0.1"
    } else {
        host
    };
    format!("{host}:{}", parsed.port().unwrap_or(5432))
        .parse()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_services_ride_out_a_database_outage_without_losing_or_doubling_writes() {
    if !testkit::postgres_available() {
        return;
    }
    let auth_db = TestDb::create("auth", Backend::Postgres).await;
    let fitness_db = TestDb::create("fitness", Backend::Postgres).await;
    let mut link = Proxy::start(postgres_addr(auth_db.url().as_str())).await;
    let dir = tempfile::tempdir().unwrap();
    let secrets = Secrets::new();
    let auth = Process::start(
        Kind::Auth,
        dir.path(),
        &secrets,
        &[(
            "STRIDE_AUTH_DATABASE_URL",
            through(auth_db.url().as_str(), link.addr),
        )],
    );
    let fitness = Process::start(
        Kind::Fitness,
        dir.path(),
        &secrets,
        &[
            ("STRIDE_AUTH_URL", auth.url()),
            (
                "STRIDE_FITNESS_DATABASE_URL",
                through(fitness_db.url().as_str(), link.addr),
            ),
        ],
    );
    let ada = signed_in(auth.addr, "ada").await;

    // Writers retry each write with its request id until it is acknowledged; every failed
    // attempt's code is kept.
    let acknowledged = Arc::new(Mutex::new(BTreeSet::new()));
    let codes = Arc::new(Mutex::new(BTreeMap::<String, usize>::new()));
    let phase = Arc::new(std::sync::atomic::AtomicU8::new(0));
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let token = ada.access_token.clone();
            let acknowledged = Arc::clone(&acknowledged);
            let codes = Arc::clone(&codes);
            let phase = Arc::clone(&phase);
            let mut client = workouts(fitness.addr);
            tokio::spawn(async move {
                let mut after_restore = 0;
                for i in 0.. {
                    let title = format!("w{w}-{i}");
                    let started = Instant::now();
                    loop {
                        match create(&mut client, &token, &title, &title).await {
                            Ok(_) => break,
                            Err(status) => {
                                let key = format!("{:?}: {}", status.code(), status.message());
                                *codes.lock().unwrap().entry(key).or_default() += 1;
                                assert!(started.elapsed() < WRITE_DEADLINE, "{title} never stored");
                                tokio::time::sleep(Duration::from_millis(100)).await;
                            }
                        }
                    }
                    acknowledged.lock().unwrap().insert(title);
                    if phase.load(std::sync::atomic::Ordering::Acquire) == 2 {
                        after_restore += 1;
                        if after_restore == 20 {
                            return;
                        }
                    }
                }
            })
        })
        .collect();
    // Sign-ins at auth meanwhile, every outcome kept.
    let logins = {
        let auth = auth.addr;
        let codes = Arc::clone(&codes);
        let phase = Arc::clone(&phase);
        tokio::spawn(async move {
            let channel = testkit::channel(auth).await;
            let mut ok_after_restore = 0;
            while ok_after_restore < 5 {
                let login =
                    testkit::users::login(channel.clone(), "ada", testkit::users::PASSWORD, "cli")
                        .await;
                match login {
                    Ok(_) => {
                        if phase.load(std::sync::atomic::Ordering::Acquire) == 2 {
                            ok_after_restore += 1;
                        }
                    }
                    Err(status) => {
                        let key = format!("login {:?}: {}", status.code(), status.message());
                        *codes.lock().unwrap().entry(key).or_default() += 1;
                    }
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };

    let acked = || acknowledged.lock().unwrap().len();
    testkit::poll::poll_until(Duration::from_secs(60), || {
        let n = acked();
        async move { (n >= 40).then_some(()) }
    })
    .await;
    link.cut();
    phase.store(1, std::sync::atomic::Ordering::Release);
    tokio::time::sleep(OUTAGE).await;
    link.restore().await;
    phase.store(2, std::sync::atomic::Ordering::Release);
    for writer in writers {
        tokio::time::timeout(WRITE_DEADLINE * 2, writer)
            .await
            .unwrap_or_else(|_| panic!("writers did not recover\n{}", fitness.log()))
            .unwrap();
    }
    tokio::time::timeout(WRITE_DEADLINE, logins)
        .await
        .unwrap_or_else(|_| panic!("sign-ins did not recover\n{}", auth.log()))
        .unwrap();

    let codes = codes.lock().unwrap().clone();
    assert!(
        !codes.is_empty(),
        "the outage was not seen by any client: the test did not test"
    );
    for code in codes.keys() {
        assert!(
            code.starts_with("Unavailable") || code.starts_with("login Unavailable"),
            "an answer during the outage was not UNAVAILABLE: {codes:#?}\n{}\n{}",
            auth.log(),
            fitness.log()
        );
    }

    // Exactly once: every acknowledged title stored, none twice.
    let stored = titles(&mut workouts(fitness.addr), &ada.access_token).await;
    let acknowledged = acknowledged.lock().unwrap().clone();
    let twice: Vec<_> = stored.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "stored more than once: {twice:?}");
    // Each writer retried every write until acknowledged: what is stored is exactly that.
    let stored: BTreeSet<String> = stored.into_keys().collect();
    assert_eq!(stored, acknowledged);
    drop(fitness);
    drop(auth);
    drop(link);
    auth_db.drop_now().await.unwrap();
    fitness_db.drop_now().await.unwrap();
}
