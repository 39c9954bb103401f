//! Login: indistinguishable failures, lockout, per-IP limit, rehash.

use std::time::Duration;

use shared::pb::auth::v1::LoginRequest;
use stride_auth::clock::ManualClock;
use testkit::{Backend, TestAuth, backend_tests};
use tonic::{Code, Status};

use crate::helpers::*;

fn retry_after(status: &Status) -> Duration {
    testkit::status::retry_after(status).expect("RetryInfo is present")
}

async fn a_wrong_password_and_an_unknown_user_are_indistinguishable(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    register(&auth, "ada").await;
    let wrong = login(&auth, "ada", OTHER_PASSWORD).await.unwrap_err();
    let unknown = login(&auth, "nobody", OTHER_PASSWORD).await.unwrap_err();
    assert_eq!(wrong.code(), Code::Unauthenticated);
    assert_eq!(
        (wrong.code(), wrong.message(), wrong.details()),
        (unknown.code(), unknown.message(), unknown.details())
    );
    assert_eq!(reason(&wrong), "INVALID_CREDENTIALS");
    assert_eq!(event_count(&auth, "LOGIN_FAILED").await, 2);
    auth.stop().await;
}

async fn the_account_locks_after_the_threshold_and_unlocks_after_the_lock_time(backend: Backend) {
    let clock = ManualClock::new();
    let auth = TestAuth::spawn_with(backend, |c| {
        c.clock = clock.clock();
        c.lockout.threshold = 3;
        c.lockout.duration = Duration::from_secs(60);
    })
    .await;
    register(&auth, "ada").await;
    for _ in 0..3 {
        let status = login(&auth, "ada", OTHER_PASSWORD).await.unwrap_err();
        assert_eq!(status.code(), Code::Unauthenticated);
    }
    let locked = login(&auth, "ada", PASSWORD).await.unwrap_err();
    assert_eq!(locked.code(), Code::ResourceExhausted);
    assert_eq!(reason(&locked), "ACCOUNT_LOCKED");
    assert_eq!(retry_after(&locked), Duration::from_secs(60));
    assert_eq!(event_count(&auth, "ACCOUNT_LOCKED").await, 1);

    clock.advance(Duration::from_secs(59));
    let still = login(&auth, "ada", PASSWORD).await.unwrap_err();
    assert_eq!(still.code(), Code::ResourceExhausted);
    assert_eq!(retry_after(&still), Duration::from_secs(1));

    clock.advance(Duration::from_secs(1));
    // Released: three more failures lock it again, for twice as long.
    for _ in 0..3 {
        login(&auth, "ada", OTHER_PASSWORD).await.unwrap_err();
    }
    let again = login(&auth, "ada", PASSWORD).await.unwrap_err();
    assert_eq!(retry_after(&again), Duration::from_secs(120));
    clock.advance(Duration::from_secs(120));
    login(&auth, "ada", PASSWORD)
        .await
        .expect("the lock is released after its time");
    auth.stop().await;
}

async fn twenty_concurrent_wrong_passwords_cannot_exceed_the_threshold(backend: Backend) {
    let auth = TestAuth::spawn_with(backend, |c| c.lockout.threshold = 5).await;
    register(&auth, "ada").await;
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let mut client = auth_client(&auth).await;
        tasks.push(tokio::spawn(async move {
            client
                .login(LoginRequest {
                    login: "ada".into(),
                    password: OTHER_PASSWORD.into(),
                    device_label: String::new(),
                })
                .await
                .unwrap_err()
                .code()
        }));
    }
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
    let (failures, lockouts): (i64, i64) = sqlx::query_as(
        "SELECT CAST(failed_logins AS BIGINT), CAST(lockout_count AS BIGINT) FROM users",
    )
    .fetch_one(auth.db.pool())
    .await
    .unwrap();
    assert_eq!((failures, lockouts), (0, 1));
    assert_eq!(event_count(&auth, "ACCOUNT_LOCKED").await, 1);
    auth.stop().await;
}

async fn an_ip_over_its_limit_is_refused_until_the_window_ends(backend: Backend) {
    let clock = ManualClock::new();
    let auth = TestAuth::spawn_with(backend, |c| {
        c.clock = clock.clock();
        c.lockout.ip_limit = 3;
        c.lockout.threshold = 100;
        c.trusted_proxies = stride_auth::proxies::TrustedProxies::parse("127.0.0.1").unwrap();
    })
    .await;
    register(&auth, "ada").await;
    let mut client = auth_client(&auth).await;
    let attempt = |ip: &str| {
        let mut request = tonic::Request::new(LoginRequest {
            login: "ada".into(),
            password: PASSWORD.into(),
            device_label: String::new(),
        });
        request.metadata_mut().insert(
            "x-forwarded-for",
            format!("203.0.113.9, {ip}").parse().unwrap(),
        );
        request
    };
    for _ in 0..3 {
        client.login(attempt("198.51.100.1")).await.unwrap();
    }
    let refused = client.login(attempt("198.51.100.1")).await.unwrap_err();
    assert_eq!(refused.code(), Code::ResourceExhausted);
    assert_eq!(reason(&refused), "TOO_MANY_ATTEMPTS");
    assert!(retry_after(&refused) <= Duration::from_secs(60));
    client
        .login(attempt("198.51.100.2"))
        .await
        .expect("another IP is not limited");
    clock.advance(Duration::from_secs(60));
    client
        .login(attempt("198.51.100.1"))
        .await
        .expect("a new window admits the IP again");
    auth.stop().await;
}

async fn a_login_rehashes_a_password_hashed_with_old_parameters(backend: Backend) {
    use argon2::PasswordHasher as _;
    let auth = TestAuth::spawn(backend).await;
    register(&auth, "ada").await;
    let old = argon2::Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        argon2::Params::new(2048, 1, 1, None).unwrap(),
    )
    .hash_password(
        PASSWORD.as_bytes(),
        &argon2::password_hash::SaltString::generate(&mut rand::rngs::OsRng),
    )
    .unwrap()
    .to_string();
    sqlx::query("UPDATE users SET password_hash = $1")
        .bind(&old)
        .execute(auth.db.pool())
        .await
        .unwrap();
    login(&auth, "ada", PASSWORD).await.unwrap();
    let stored: String = sqlx::query_scalar("SELECT password_hash FROM users")
        .fetch_one(auth.db.pool())
        .await
        .unwrap();
    assert!(
        stored.starts_with("$argon2id$v=19$m=1024,t=1,p=1$"),
        "{stored}"
    );
    login(&auth, "ada", PASSWORD)
        .await
        .expect("the new hash verifies");
    auth.stop().await;
}

backend_tests!(
    a_wrong_password_and_an_unknown_user_are_indistinguishable,
    the_account_locks_after_the_threshold_and_unlocks_after_the_lock_time,
    twenty_concurrent_wrong_passwords_cannot_exceed_the_threshold,
    an_ip_over_its_limit_is_refused_until_the_window_ends,
    a_login_rehashes_a_password_hashed_with_old_parameters,
);
