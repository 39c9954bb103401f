//! Wrong passwords spread over auth-1 and auth-2 count toward one lockout: the count is a
//! column of the shared user row, so a guesser gains nothing by alternating replicas, and the
//! lock holds wherever the owner tries next.

use std::time::Duration;

use shared::pb::auth::v1::LoginRequest;
use stride_auth::clock::ManualClock;
use testkit::users::{OTHER_PASSWORD, PASSWORD};
use testkit::{Backend, postgres_tests};
use tonic::Code;

use super::*;
use crate::helpers::reason;

fn attempt(password: &str) -> LoginRequest {
    LoginRequest {
        login: "ada".into(),
        password: password.into(),
        device_label: String::new(),
    }
}

use testkit::status::retry_after;

/// `(failed_logins, locked_until)` of the one user.
async fn lockout_columns(db: &Db) -> (i64, Option<i64>) {
    sqlx::query_as("SELECT CAST(failed_logins AS BIGINT), locked_until FROM users")
        .fetch_one(db.pool())
        .await
        .unwrap()
}

async fn wrong_passwords_alternating_between_replicas_lock_the_account_at_the_threshold_on_both(
    backend: Backend,
) {
    // One clock for both replicas, as synchronised servers share one time.
    let clock = ManualClock::new();
    let replicas = Replicas::spawn_with(
        backend,
        |_, config| {
            config.clock = clock.clock();
            config.lockout.threshold = 4;
            config.lockout.duration = Duration::from_secs(60);
        },
        |_, _| {},
    )
    .await;
    let db = &replicas.auth[0].db;
    let [one, _] = replicas.auth_channels().await;
    testkit::users::register(one, "ada").await;
    let mut clients = auth_clients(&replicas).await;

    // Three wrong passwords: auth-1, auth-2, auth-1. Each replica alone has seen at most two.
    for i in 0..3 {
        let status = clients[i % 2]
            .login(attempt(OTHER_PASSWORD))
            .await
            .unwrap_err();
        assert_eq!(
            (status.code(), reason(&status).as_str()),
            (Code::Unauthenticated, "INVALID_CREDENTIALS")
        );
    }
    assert_eq!(
        lockout_columns(db).await,
        (3, None),
        "one count for both replicas, still below the threshold"
    );
    // The fourth, on auth-2, reaches the threshold.
    let status = clients[1].login(attempt(OTHER_PASSWORD)).await.unwrap_err();
    assert_eq!(reason(&status), "INVALID_CREDENTIALS");
    assert_eq!(event_count(db, "ACCOUNT_LOCKED").await, 1);

    for (name, client) in ["auth-1", "auth-2"].iter().zip(clients.iter_mut()) {
        let locked = client.login(attempt(PASSWORD)).await.unwrap_err();
        assert_eq!(
            (locked.code(), reason(&locked).as_str()),
            (Code::ResourceExhausted, "ACCOUNT_LOCKED"),
            "{name} refuses even the right password"
        );
        assert_eq!(
            retry_after(&locked),
            Some(Duration::from_secs(60)),
            "{name} reads the same lock"
        );
    }

    clock.advance(Duration::from_secs(60));
    for (name, client) in ["auth-1", "auth-2"].iter().zip(clients.iter_mut()) {
        client
            .login(attempt(PASSWORD))
            .await
            .unwrap_or_else(|status| panic!("{name}: the lock has ended: {status:?}"));
    }
    replicas.stop().await;
}

async fn twenty_concurrent_wrong_passwords_over_two_replicas_cannot_exceed_the_threshold(
    backend: Backend,
) {
    let replicas =
        Replicas::spawn_with(backend, |_, config| config.lockout.threshold = 5, |_, _| {}).await;
    let db = &replicas.auth[0].db;
    let [one, _] = replicas.auth_channels().await;
    testkit::users::register(one, "ada").await;
    let clients = auth_clients(&replicas).await;
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let mut client = clients[i % 2].clone();
            tokio::spawn(async move {
                client
                    .login(attempt(OTHER_PASSWORD))
                    .await
                    .unwrap_err()
                    .code()
            })
        })
        .collect();
    let mut codes = Vec::new();
    for task in tasks {
        codes.push(task.await.unwrap());
    }
    let failed = codes
        .iter()
        .filter(|c| **c == Code::Unauthenticated)
        .count();
    let refused = codes
        .iter()
        .filter(|c| **c == Code::ResourceExhausted)
        .count();
    assert_eq!((failed, refused), (5, 15), "{codes:?}");
    let lockouts: i64 = sqlx::query_scalar("SELECT CAST(lockout_count AS BIGINT) FROM users")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(lockouts, 1, "locked once, not once per replica");
    assert_eq!(event_count(db, "ACCOUNT_LOCKED").await, 1);
    for (name, mut client) in ["auth-1", "auth-2"].into_iter().zip(clients) {
        let locked = client.login(attempt(PASSWORD)).await.unwrap_err();
        assert_eq!(
            (locked.code(), reason(&locked).as_str()),
            (Code::ResourceExhausted, "ACCOUNT_LOCKED"),
            "{name} holds the lock"
        );
    }
    replicas.stop().await;
}

postgres_tests!(
    wrong_passwords_alternating_between_replicas_lock_the_account_at_the_threshold_on_both,
    twenty_concurrent_wrong_passwords_over_two_replicas_cannot_exceed_the_threshold,
);
