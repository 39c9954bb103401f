//! Sensitive operations (ChangePassword, DeleteMe, an email change) ask for the second factor
//! unless the session passed it recently; a password reset by mail leaves the factor in place.

use prost_types::FieldMask;
use shared::pb::auth::v1::{
    ChangePasswordRequest, DeleteMeRequest, RequestPasswordResetRequest, ResetPasswordRequest,
    UpdateMeRequest, User,
};
use testkit::backend_tests;
use testkit::mail::Mailbox;
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

async fn delete_me(auth: &TestAuth, token: &str, mfa_code: &str) -> Result<(), Status> {
    user_client(auth)
        .await
        .delete_me(bearer(
            DeleteMeRequest {
                password: PASSWORD.to_owned(),
                mfa_code: mfa_code.to_owned(),
            },
            token,
        ))
        .await
        .map(drop)
}

async fn change_email(auth: &TestAuth, token: &str, mfa_code: &str) -> Result<User, Status> {
    user_client(auth)
        .await
        .update_me(bearer(
            UpdateMeRequest {
                user: Some(User {
                    email: "ada@elsewhere.example".to_owned(),
                    ..User::default()
                }),
                update_mask: Some(FieldMask {
                    paths: vec!["email".to_owned()],
                }),
                password: PASSWORD.to_owned(),
                mfa_code: mfa_code.to_owned(),
            },
            token,
        ))
        .await
        .map(tonic::Response::into_inner)
}

async fn deletion_and_an_email_change_need_the_second_factor_too(backend: Backend) {
    let clock = ManualClock::new();
    let auth = spawn(backend, &clock, |c| c.mfa.recent = Duration::from_secs(120)).await;
    let ada = enrolled(&auth, &clock, "ada").await;
    clock.advance(Duration::from_secs(121));
    // The password alone is not enough once the second factor is no longer recent.
    let moved = change_email(&auth, &ada.token, "").await.unwrap_err();
    assert_eq!(reason(&moved), "MFA_REQUIRED");
    let user = change_email(&auth, &ada.token, &code_at(&ada.totp, &clock))
        .await
        .expect("with a code");
    assert_eq!(user.pending_email, "ada@elsewhere.example");
    clock.advance(Duration::from_secs(121));
    let kept = delete_me(&auth, &ada.token, "").await.unwrap_err();
    assert_eq!(reason(&kept), "MFA_REQUIRED");
    let wrong = delete_me(&auth, &ada.token, &wrong_code(&ada.totp, &clock))
        .await
        .unwrap_err();
    assert_eq!(wrong.code(), Code::Unauthenticated);
    let still: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE id = $1")
        .bind(&ada.id)
        .fetch_one(auth.db.pool())
        .await
        .unwrap();
    assert_eq!(still, 1, "refused deletions delete nothing");
    delete_me(&auth, &ada.token, &ada.recovery_codes[0])
        .await
        .expect("with a recovery code");
    auth.stop().await;
}

async fn a_password_reset_by_mail_keeps_the_second_factor_and_its_failures(backend: Backend) {
    let Some(mailbox) = Mailbox::start().await else {
        return;
    };
    let clock = ManualClock::new();
    let auth = spawn(backend, &clock, |c| mailbox.configure(c)).await;
    let ada = enrolled(&auth, &clock, "ada").await;
    // Two wrong codes at sign-in.
    let pending = challenge(&auth, "ada", PASSWORD).await;
    for _ in 0..2 {
        complete(&auth, &pending, &wrong_code(&ada.totp, &clock))
            .await
            .unwrap_err();
    }
    auth_client(&auth)
        .await
        .request_password_reset(RequestPasswordResetRequest {
            login: "ada".to_owned(),
        })
        .await
        .unwrap();
    let link = mailbox
        .wait_for_nth("ada@example.com", 1)
        .await
        .token()
        .unwrap();
    auth_client(&auth)
        .await
        .reset_password(ResetPasswordRequest {
            token: link,
            new_password: "quartz-meadow-lantern-9921".to_owned(),
        })
        .await
        .unwrap();
    let failures: i64 =
        sqlx::query_scalar("SELECT CAST(failed_logins AS BIGINT) FROM users WHERE id = $1")
            .bind(&ada.id)
            .fetch_one(auth.db.pool())
            .await
            .unwrap();
    assert_eq!(failures, 2, "the mailbox is not the second factor");
    // The new password still leads to a challenge, not to tokens.
    challenge(&auth, "ada", "quartz-meadow-lantern-9921").await;
    auth.stop().await;
}

async fn a_wrong_password_does_not_spend_the_code(backend: Backend) {
    let clock = ManualClock::new();
    let auth = spawn(backend, &clock, |c| c.mfa.recent = Duration::from_secs(120)).await;
    let ada = enrolled(&auth, &clock, "ada").await;
    clock.advance(Duration::from_secs(121));
    let code = code_at(&ada.totp, &clock);
    let wrong = change_password(&auth, &ada.token, OTHER_PASSWORD, PASSWORD, &code)
        .await
        .unwrap_err();
    assert_eq!(wrong.code(), Code::Unauthenticated);
    assert_eq!(reason(&wrong), "INVALID_CREDENTIALS");
    // The same code still works: it was never checked, so it is no replay.
    change_password(&auth, &ada.token, PASSWORD, OTHER_PASSWORD, &code)
        .await
        .expect("the code was not spent on the wrong password");
    auth.stop().await;
}

backend_tests!(
    a_wrong_password_does_not_spend_the_code,
    deletion_and_an_email_change_need_the_second_factor_too,
    a_password_reset_by_mail_keeps_the_second_factor_and_its_failures,
    change_password_needs_a_recent_second_factor,
    without_a_second_factor_change_password_asks_for_none,
);
