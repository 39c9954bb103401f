//! Sensitive operations (ChangePassword) ask for the second factor unless the session passed
//! it recently.

use shared::pb::auth::v1::ChangePasswordRequest;
use testkit::backend_tests;
use tonic::Code;

use super::*;

/// `ChangePassword` from `current` to `new`, with `mfa_code`, as the session of `token`.
async fn change_password(
    auth: &TestAuth,
    token: &str,
    current: &str,
    new: &str,
    mfa_code: &str,
) -> Result<(), Status> {
    user_client(auth)
        .await
        .change_password(bearer(
            ChangePasswordRequest {
                current_password: current.to_owned(),
                new_password: new.to_owned(),
                mfa_code: mfa_code.to_owned(),
            },
            token,
        ))
        .await
        .map(drop)
}

async fn change_password_needs_a_recent_second_factor(backend: Backend) {
    let clock = ManualClock::new();
    let auth = spawn(backend, &clock, |c| c.mfa.recent = Duration::from_secs(120)).await;
    register(&auth, "ada").await;
    // A session opened before the enrolment never passed the second factor.
    let old = sign_in(&auth, "ada", "tablet").await.access_token;
    let begun = begin(&auth, &old, PASSWORD).await.unwrap();
    let totp = authenticator(&begun);
    let other = sign_in(&auth, "ada", "phone").await.access_token;
    confirm(&auth, &old, &code_at(&totp, &clock)).await.unwrap();
    clock.advance(STEP);

    let required = change_password(&auth, &other, PASSWORD, OTHER_PASSWORD, "")
        .await
        .unwrap_err();
    assert_eq!(
        (required.code(), reason(&required).as_str()),
        (Code::FailedPrecondition, "MFA_REQUIRED")
    );
    let wrong = change_password(
        &auth,
        &other,
        PASSWORD,
        OTHER_PASSWORD,
        &wrong_code(&totp, &clock),
    )
    .await
    .unwrap_err();
    assert_eq!(
        (wrong.code(), reason(&wrong).as_str()),
        (Code::Unauthenticated, "INVALID_MFA_CODE")
    );
    assert_eq!(event_count(&auth, "MFA_FAILED").await, 1);
    let failures: i64 = sqlx::query_scalar(
        "SELECT CAST(failed_logins AS BIGINT) FROM users WHERE username = 'ada'",
    )
    .fetch_one(auth.db.pool())
    .await
    .unwrap();
    assert_eq!(failures, 1, "a wrong code counts toward the lockout");

    change_password(
        &auth,
        &other,
        PASSWORD,
        OTHER_PASSWORD,
        &code_at(&totp, &clock),
    )
    .await
    .expect("a valid code lets it through");
    // The code marked the session: the next sensitive operation needs none.
    change_password(&auth, &other, OTHER_PASSWORD, PASSWORD, "")
        .await
        .expect("recent second factor");

    // A session opened by CompleteLogin passed the second factor.
    clock.advance(STEP);
    let fresh = sign_in_with(&auth, "ada", &code_at(&totp, &clock))
        .await
        .unwrap();
    change_password(&auth, &fresh, PASSWORD, OTHER_PASSWORD, "")
        .await
        .expect("right after CompleteLogin");

    // ... for a while.
    clock.advance(Duration::from_secs(121));
    let stale = change_password(&auth, &fresh, OTHER_PASSWORD, PASSWORD, "")
        .await
        .unwrap_err();
    assert_eq!(reason(&stale), "MFA_REQUIRED");
    change_password(
        &auth,
        &fresh,
        OTHER_PASSWORD,
        PASSWORD,
        &code_at(&totp, &clock),
    )
    .await
    .expect("a code again");
    assert!(event_count(&auth, "MFA_SUCCEEDED").await >= 2);
    auth.stop().await;
}

async fn without_a_second_factor_change_password_asks_for_none(backend: Backend) {
    let clock = ManualClock::new();
    let auth = spawn(backend, &clock, |_| {}).await;
    let token = access(&register(&auth, "ada").await);
    clock.advance(Duration::from_secs(500));
    change_password(&auth, &token, PASSWORD, OTHER_PASSWORD, "")
        .await
        .unwrap();
    auth.stop().await;
}

backend_tests!(
    change_password_needs_a_recent_second_factor,
    without_a_second_factor_change_password_asks_for_none,
);
