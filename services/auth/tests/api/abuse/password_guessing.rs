//! ChangePassword with a stolen access token is no password oracle: wrong guesses count toward
//! the account's lockout with an event each, and a locked account is refused even the right
//! password until the lock ends.

use std::time::Duration;

use stride_auth::clock::ManualClock;
use testkit::{Backend, TestAuth, backend_tests};
use tonic::Code;

use super::*;

async fn wrong_current_passwords_lock_the_account_and_are_recorded(backend: Backend) {
    let clock = ManualClock::new();
    let auth = TestAuth::spawn_with(backend, |c| {
        c.clock = clock.clock();
        c.lockout.threshold = 3;
    })
    .await;
    let token = access(&register(&auth, "ada").await);
    for _ in 0..3 {
        let wrong = change_password(&auth, &token, "not my password!", OTHER_PASSWORD)
            .await
            .unwrap_err();
        assert_eq!(reason(&wrong), "INVALID_CREDENTIALS");
    }
    assert_eq!(event_count(&auth, "PASSWORD_CHANGE_FAILED").await, 3);
    assert_eq!(event_count(&auth, "ACCOUNT_LOCKED").await, 1);

    let locked = change_password(&auth, &token, PASSWORD, OTHER_PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(
        (locked.code(), reason(&locked).as_str()),
        (Code::ResourceExhausted, "ACCOUNT_LOCKED"),
        "even the right password is refused while locked"
    );
    assert!(retry_after(&locked).is_some());
    let login = login(&auth, "ada", PASSWORD).await.unwrap_err();
    assert_eq!(
        reason(&login),
        "ACCOUNT_LOCKED",
        "the lock is the account's, not the RPC's"
    );

    clock.advance(Duration::from_secs(61));
    change_password(&auth, &token, PASSWORD, OTHER_PASSWORD)
        .await
        .expect("the lock ends");
    auth.stop().await;
}

async fn password_change_attempts_are_limited_per_client(backend: Backend) {
    let auth = TestAuth::spawn_with(backend, |c| {
        c.lockout.ip_limit = 2;
        c.lockout.threshold = 1000;
    })
    .await;
    let token = access(&register(&auth, "ada").await);
    for _ in 0..2 {
        change_password(&auth, &token, "not my password!", OTHER_PASSWORD)
            .await
            .unwrap_err();
    }
    let refused = change_password(&auth, &token, PASSWORD, OTHER_PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(
        (refused.code(), reason(&refused).as_str()),
        (Code::ResourceExhausted, "TOO_MANY_ATTEMPTS")
    );
    auth.stop().await;
}

backend_tests!(
    wrong_current_passwords_lock_the_account_and_are_recorded,
    password_change_attempts_are_limited_per_client,
);
