//! Inputs that cost the server CPU are bounded: password strength judging, and hashing, whose
//! queue is bounded and shared so that registrations cannot starve logins.

use std::time::{Duration, Instant};

use testkit::{Backend, TestAuth, backend_tests};
use tonic::Code;

use super::*;

/// A password of look-alike symbols: each distinct one multiplies what zxcvbn tries.
fn lookalikes() -> String {
    "4@8({[<369!1|7$5+%2".repeat(7)[..128].to_owned()
}

async fn a_flood_of_costly_passwords_leaves_other_rpcs_responsive(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    let flood: Vec<_> = (0..16)
        .map(|i| {
            let channel = testkit::channel(auth.addr);
            async move {
                let mut client = shared::pb::auth::v1::auth_service_client::AuthServiceClient::new(
                    channel.await,
                );
                client
                    .register(registration_as(&format!("flood{i}"), &lookalikes()))
                    .await
            }
        })
        .map(tokio::spawn)
        .collect();
    // While the flood is judged, health answers promptly. Unbounded, each judgement of such a
    // password takes seconds of a worker thread and health waits behind them.
    let mut slowest = Duration::ZERO;
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(2) {
        let asked = Instant::now();
        testkit::health_status(auth.addr, "").await;
        slowest = slowest.max(asked.elapsed());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for task in flood {
        let answer = task.await.unwrap();
        assert!(
            answer.is_ok()
                || answer
                    .as_ref()
                    .is_err_and(|s| s.code() == Code::InvalidArgument),
            "{answer:?}"
        );
    }
    assert!(
        slowest < Duration::from_secs(1),
        "a health check took {slowest:?} during the flood"
    );
    auth.stop().await;
}

async fn a_taken_username_is_refused_before_the_password_is_judged_or_hashed(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    register(&auth, "ada").await;
    let taken = auth_client(&auth)
        .await
        .register(registration_as("ADA", "passwordpassword"))
        .await
        .unwrap_err();
    assert_eq!(
        (taken.code(), reason(&taken).as_str()),
        (Code::AlreadyExists, "USERNAME_TAKEN"),
        "the cheap uniqueness check answers first"
    );
    let weak = auth_client(&auth)
        .await
        .register(registration_as("grace", "passwordpassword"))
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&weak), ["password"]);
    auth.stop().await;
}

/// An auth service whose hashes each take a noticeable time.
async fn slow_hashing(backend: Backend, permits: usize, wait: Duration) -> TestAuth {
    TestAuth::spawn_with(backend, |c| {
        c.password.memory_kib = 32 * 1024;
        c.password.iterations = 3;
        c.password.hash_concurrency = permits;
        c.password.queue_wait = wait;
        c.lockout.threshold = 1000;
    })
    .await
}

async fn a_full_hashing_queue_answers_resource_exhausted_with_retry_info(backend: Backend) {
    let auth = slow_hashing(backend, 1, Duration::from_millis(50)).await;
    register(&auth, "ada").await;
    let attempts: Vec<_> = (0..8)
        .map(|_| {
            let channel = testkit::channel(auth.addr);
            tokio::spawn(async move {
                shared::pb::auth::v1::auth_service_client::AuthServiceClient::new(channel.await)
                    .login(login_request("ada", "not the password"))
                    .await
            })
        })
        .collect();
    let mut busy = 0;
    for attempt in attempts {
        let status = attempt.await.unwrap().unwrap_err();
        match reason(&status).as_str() {
            "PASSWORD_HASHING_BUSY" => {
                assert_eq!(status.code(), Code::ResourceExhausted);
                assert!(
                    retry_after(&status).is_some(),
                    "RetryInfo says when to retry"
                );
                busy += 1;
            }
            other => assert_eq!(other, "INVALID_CREDENTIALS"),
        }
    }
    assert!(
        busy > 0,
        "requests beyond the queue's wait are refused, not queued forever"
    );
    auth.stop().await;
}

async fn logins_are_served_while_registrations_queue_for_hashing(backend: Backend) {
    let auth = slow_hashing(backend, 2, Duration::from_secs(60)).await;
    register(&auth, "ada").await;
    let started = Instant::now();
    let registrations: Vec<_> = (0..6)
        .map(|i| {
            let channel = testkit::channel(auth.addr);
            tokio::spawn(async move {
                shared::pb::auth::v1::auth_service_client::AuthServiceClient::new(channel.await)
                    .register(registration(&format!("newcomer{i}")))
                    .await
                    .unwrap();
                started.elapsed()
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(20)).await;
    login(&auth, "ada", PASSWORD).await.unwrap();
    let login_done = started.elapsed();
    let mut finished_after_login = 0;
    for registration in registrations {
        if registration.await.unwrap() > login_done {
            finished_after_login += 1;
        }
    }
    assert!(
        finished_after_login >= 3,
        "the login waited behind the registrations ({finished_after_login} finished after it)"
    );
    auth.stop().await;
}

backend_tests!(
    a_flood_of_costly_passwords_leaves_other_rpcs_responsive,
    a_taken_username_is_refused_before_the_password_is_judged_or_hashed,
    a_full_hashing_queue_answers_resource_exhausted_with_retry_info,
    logins_are_served_while_registrations_queue_for_hashing,
);
