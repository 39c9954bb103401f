//! Guessing an account's password from addresses that never signed in to it: the guesses are
//! slowed per account (RESOURCE_EXHAUSTED with `RetryInfo` once the account's budget for
//! unknown clients is spent, the wait doubling each time), never counted toward the lockout,
//! so an attacker who knows a username cannot lock its owner out. Existing and unknown
//! usernames answer alike.
//!
//! `Config::for_tests` keeps the production budget: 10 failures from unknown clients, then a
//! one-minute wait; the lockout threshold is 5.

use std::time::Duration;

use shared::pb::auth::v1::LoginResponse;
use stride_auth::clock::ManualClock;
use stride_auth::proxies::TrustedProxies;
use testkit::{Backend, TestAuth, backend_tests};
use tonic::{Code, Status};

use super::*;

/// Where the account's owner registered, and so an address the account knows.
const OWNER: &str = "198.51.100.7";

/// Failures from unknown clients before they are slowed (`Config::for_tests`).
const BUDGET: usize = 10;

async fn spawn(backend: Backend, clock: &ManualClock) -> TestAuth {
    TestAuth::spawn_with(backend, |c| {
        c.clock = clock.clock();
        c.trusted_proxies = TrustedProxies::parse("127.0.0.1").unwrap();
    })
    .await
}

/// Registers `username` from [`OWNER`].
async fn register_from_owner(auth: &TestAuth, username: &str) {
    auth_client(auth)
        .await
        .register(from(OWNER, registration(username)))
        .await
        .unwrap();
}

/// A login as `login` from `client`.
async fn login_from(
    auth: &TestAuth,
    client: &str,
    login: &str,
    password: &str,
) -> Result<LoginResponse, Status> {
    auth_client(auth)
        .await
        .login(from(client, login_request(login, password)))
        .await
        .map(tonic::Response::into_inner)
}

/// The n-th address of an attacker who rotates addresses.
fn stranger(n: usize) -> String {
    format!("203.0.113.{}", n % 250 + 1)
}

async fn failures_from_unknown_addresses_never_lock_the_owner_out_of_a_known_one(backend: Backend) {
    let clock = ManualClock::new();
    let auth = spawn(backend, &clock).await;
    register_from_owner(&auth, "ada").await;
    for n in 0..3 * BUDGET {
        let refused = login_from(&auth, &stranger(n), "ada", "wrong password!!")
            .await
            .unwrap_err();
        assert_ne!(reason(&refused), "ACCOUNT_LOCKED", "attempt {n}");
    }
    login_from(&auth, OWNER, "ada", PASSWORD)
        .await
        .expect("the owner signs in from the address the account knows");

    // The owner's own failures still count toward the lockout, and only theirs: four are not
    // enough, a fifth locks the account.
    for _ in 0..4 {
        let wrong = login_from(&auth, OWNER, "ada", "my old password!")
            .await
            .unwrap_err();
        assert_eq!(reason(&wrong), "INVALID_CREDENTIALS");
    }
    login_from(&auth, OWNER, "ada", PASSWORD)
        .await
        .expect("four failures of the owner's do not lock");
    for _ in 0..5 {
        login_from(&auth, OWNER, "ada", "my old password!")
            .await
            .unwrap_err();
    }
    let locked = login_from(&auth, OWNER, "ada", PASSWORD).await.unwrap_err();
    assert_eq!(reason(&locked), "ACCOUNT_LOCKED");
    auth.stop().await;
}

async fn unknown_addresses_are_slowed_with_retry_info_once_the_account_budget_is_spent(
    backend: Backend,
) {
    let clock = ManualClock::new();
    let auth = spawn(backend, &clock).await;
    register_from_owner(&auth, "ada").await;
    for n in 0..BUDGET {
        let wrong = login_from(&auth, &stranger(n), "ada", "wrong password!!")
            .await
            .unwrap_err();
        assert_eq!(reason(&wrong), "INVALID_CREDENTIALS", "attempt {n}");
    }
    let slowed = login_from(&auth, &stranger(BUDGET), "ada", PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(
        (slowed.code(), reason(&slowed).as_str()),
        (Code::ResourceExhausted, "ACCOUNT_THROTTLED"),
        "even the right password waits, from an address the account does not know"
    );
    assert_eq!(retry_after(&slowed), Some(Duration::from_secs(60)));

    let (events, throttles) = (
        rows(&auth, "security_events").await,
        rows(&auth, "login_throttles").await,
    );
    for n in 0..20 {
        let refused = login_from(&auth, &stranger(100 + n), "ada", "wrong password!!")
            .await
            .unwrap_err();
        assert_eq!(reason(&refused), "ACCOUNT_THROTTLED");
    }
    assert_eq!(
        rows(&auth, "security_events").await,
        events,
        "refusals record nothing"
    );
    assert_eq!(rows(&auth, "login_throttles").await, throttles);
    login_from(&auth, OWNER, "ada", PASSWORD)
        .await
        .expect("the owner's known address is not slowed");

    // After the wait the budget is spent again faster than the count is forgotten: the next
    // wait is twice as long.
    clock.advance(Duration::from_secs(60));
    for n in 0..BUDGET {
        let wrong = login_from(&auth, &stranger(200 + n), "ada", "wrong password!!")
            .await
            .unwrap_err();
        assert_eq!(reason(&wrong), "INVALID_CREDENTIALS", "attempt {n}");
    }
    let slower = login_from(&auth, &stranger(240), "ada", "wrong password!!")
        .await
        .unwrap_err();
    assert_eq!(retry_after(&slower), Some(Duration::from_secs(120)));
    auth.stop().await;
}

async fn existing_and_unknown_usernames_answer_alike_to_a_guesser(backend: Backend) {
    let clock = ManualClock::new();
    let auth = spawn(backend, &clock).await;
    register_from_owner(&auth, "ada").await;
    let mut answers = Vec::new();
    for (offset, name) in [(0, "ada"), (100, "nobody")] {
        let mut seen = Vec::new();
        for n in 0..BUDGET + 3 {
            let status = login_from(&auth, &stranger(offset + n), name, "wrong password!!")
                .await
                .unwrap_err();
            seen.push(status);
        }
        answers.push(seen);
    }
    let summary = |statuses: &[Status]| -> Vec<(Code, String, Option<Duration>)> {
        statuses
            .iter()
            .map(|s| (s.code(), reason(s), retry_after(s)))
            .collect()
    };
    let (ada, nobody) = (&answers[0], &answers[1]);
    assert_eq!(
        summary(ada),
        summary(nobody),
        "ada and nobody answered differently"
    );
    let whole = |statuses: &[Status]| -> Vec<(String, Vec<u8>)> {
        statuses
            .iter()
            .map(|s| (s.message().to_owned(), s.details().to_vec()))
            .collect()
    };
    assert!(whole(ada) == whole(nobody), "messages or details differ");
    assert_eq!(
        ada.last().map(Status::code),
        Some(Code::ResourceExhausted),
        "both were slowed"
    );
    auth.stop().await;
}

async fn an_account_remembers_only_its_newest_addresses(backend: Backend) {
    let clock = ManualClock::new();
    let auth = spawn(backend, &clock).await;
    register_from_owner(&auth, "ada").await;
    for n in 0..15 {
        clock.advance(Duration::from_secs(1));
        login_from(&auth, &format!("192.0.2.{n}"), "ada", PASSWORD)
            .await
            .unwrap();
    }
    assert_eq!(rows(&auth, "known_clients").await, 10);
    // The registration's address was the oldest: forgotten, so it now counts as unknown.
    for n in 0..BUDGET {
        login_from(&auth, &stranger(n), "ada", "wrong password!!")
            .await
            .unwrap_err();
    }
    let slowed = login_from(&auth, OWNER, "ada", PASSWORD).await.unwrap_err();
    assert_eq!(reason(&slowed), "ACCOUNT_THROTTLED");
    login_from(&auth, "192.0.2.14", "ada", PASSWORD)
        .await
        .expect("the newest address is known");
    auth.stop().await;
}

backend_tests!(
    failures_from_unknown_addresses_never_lock_the_owner_out_of_a_known_one,
    unknown_addresses_are_slowed_with_retry_info_once_the_account_budget_is_spent,
    existing_and_unknown_usernames_answer_alike_to_a_guesser,
    an_account_remembers_only_its_newest_addresses,
);
