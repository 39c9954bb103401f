//! Recovery codes, RegenerateRecoveryCodes and DisableTotp.

use shared::pb::auth::v1::{DisableTotpRequest, RegenerateRecoveryCodesRequest};
use testkit::backend_tests;
use tonic::Code;

use super::*;

/// `RegenerateRecoveryCodes` as the session of `token`.
async fn regenerate(auth: &TestAuth, token: &str, code: &str) -> Result<Vec<String>, Status> {
    user_client(auth)
        .await
        .regenerate_recovery_codes(bearer(
            RegenerateRecoveryCodesRequest {
                code: code.to_owned(),
            },
            token,
        ))
        .await
        .map(|r| r.into_inner().recovery_codes)
}

/// `DisableTotp` as the session of `token`.
async fn disable(auth: &TestAuth, token: &str, password: &str, code: &str) -> Result<(), Status> {
    user_client(auth)
        .await
        .disable_totp(bearer(
            DisableTotpRequest {
                password: password.to_owned(),
                code: code.to_owned(),
            },
            token,
        ))
        .await
        .map(drop)
}

/// How many rows of `table` belong to `user_id`.
async fn rows_of(auth: &TestAuth, table: &str, user_id: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table} WHERE user_id = $1"))
        .bind(user_id)
        .fetch_one(auth.db.pool())
        .await
        .unwrap()
}

#[track_caller]
fn assert_status<T: std::fmt::Debug>(result: Result<T, Status>, code: Code, expected: &str) {
    let status = result.expect_err("refused");
    assert_eq!(
        (status.code(), reason(&status).as_str()),
        (code, expected),
        "{status:?}"
    );
}

async fn a_recovery_code_signs_in_once_only(backend: Backend) {
    let clock = ManualClock::new();
    let auth = spawn(backend, &clock, |_| {}).await;
    let ada = enrolled(&auth, &clock, "ada").await;
    // Typed loosely: lower case, spaces for dashes.
    let typed = ada.recovery_codes[3].to_lowercase().replace('-', " ");
    let token = sign_in_with(&auth, "ada", &typed).await.unwrap();
    assert!(mfa_enabled(&auth, &token).await);
    assert_eq!(event_count(&auth, "RECOVERY_CODE_USED").await, 1);
    assert_eq!(event_count(&auth, "MFA_SUCCEEDED").await, 1);

    assert_status(
        sign_in_with(&auth, "ada", &ada.recovery_codes[3]).await,
        Code::Unauthenticated,
        "INVALID_MFA_CODE",
    );
    assert_status(
        sign_in_with(&auth, "ada", "0000-0000-0000").await,
        Code::Unauthenticated,
        "INVALID_MFA_CODE",
    );
    sign_in_with(&auth, "ada", &ada.recovery_codes[4])
        .await
        .expect("another code still works");
    let left: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM mfa_recovery_codes WHERE user_id = $1 AND used_at IS NULL",
    )
    .bind(&ada.id)
    .fetch_one(auth.db.pool())
    .await
    .unwrap();
    assert_eq!(left, 8);
    auth.stop().await;
}

async fn regenerating_replaces_the_recovery_codes(backend: Backend) {
    let clock = ManualClock::new();
    let auth = spawn(backend, &clock, |_| {}).await;
    let ada = enrolled(&auth, &clock, "ada").await;
    assert_eq!(
        bad_fields(
            &regenerate(&auth, &ada.token, &ada.recovery_codes[0])
                .await
                .unwrap_err()
        ),
        ["code"],
        "only an authenticator code regenerates"
    );
    assert_status(
        regenerate(&auth, &ada.token, &wrong_code(&ada.totp, &clock)).await,
        Code::Unauthenticated,
        "INVALID_MFA_CODE",
    );
    let fresh = regenerate(&auth, &ada.token, &code_at(&ada.totp, &clock))
        .await
        .unwrap();
    assert_eq!(fresh.len(), 10);
    assert!(fresh.iter().all(|c| !ada.recovery_codes.contains(c)));
    assert_eq!(event_count(&auth, "RECOVERY_CODES_REGENERATED").await, 1);
    assert_eq!(rows_of(&auth, "mfa_recovery_codes", &ada.id).await, 10);

    assert_status(
        sign_in_with(&auth, "ada", &ada.recovery_codes[0]).await,
        Code::Unauthenticated,
        "INVALID_MFA_CODE",
    );
    sign_in_with(&auth, "ada", &fresh[0])
        .await
        .expect("a new code works");

    let grace = access(&register(&auth, "grace").await);
    assert_status(
        regenerate(&auth, &grace, "123456").await,
        Code::FailedPrecondition,
        "MFA_NOT_ENABLED",
    );
    auth.stop().await;
}

async fn disabling_needs_the_password_and_a_code(backend: Backend) {
    let clock = ManualClock::new();
    let auth = spawn(backend, &clock, |_| {}).await;
    let ada = enrolled(&auth, &clock, "ada").await;
    let code = code_at(&ada.totp, &clock);
    assert_status(
        disable(&auth, &ada.token, OTHER_PASSWORD, &code).await,
        Code::Unauthenticated,
        "INVALID_CREDENTIALS",
    );
    assert_status(
        disable(&auth, &ada.token, PASSWORD, &wrong_code(&ada.totp, &clock)).await,
        Code::Unauthenticated,
        "INVALID_MFA_CODE",
    );
    assert_eq!(
        bad_fields(&disable(&auth, &ada.token, "", "").await.unwrap_err()),
        ["code", "password"]
    );
    assert!(mfa_enabled(&auth, &ada.token).await, "still enabled");

    disable(&auth, &ada.token, PASSWORD, &code).await.unwrap();
    assert!(!mfa_enabled(&auth, &ada.token).await);
    assert_eq!(event_count(&auth, "MFA_DISABLED").await, 1);
    assert_eq!(rows_of(&auth, "mfa_totp", &ada.id).await, 0);
    assert_eq!(rows_of(&auth, "mfa_recovery_codes", &ada.id).await, 0);
    let signed_in = login(&auth, "ada", PASSWORD).await.unwrap();
    assert!(signed_in.tokens.is_some() && signed_in.mfa_challenge.is_empty());
    let failures: i64 =
        sqlx::query_scalar("SELECT CAST(failed_logins AS BIGINT) FROM users WHERE id = $1")
            .bind(&ada.id)
            .fetch_one(auth.db.pool())
            .await
            .unwrap();
    assert_eq!(failures, 0);

    assert_status(
        disable(&auth, &ada.token, PASSWORD, &code).await,
        Code::FailedPrecondition,
        "MFA_NOT_ENABLED",
    );
    auth.stop().await;
}

async fn a_recovery_code_disables_the_factor_too(backend: Backend) {
    let clock = ManualClock::new();
    let auth = spawn(backend, &clock, |_| {}).await;
    let ada = enrolled(&auth, &clock, "ada").await;
    disable(&auth, &ada.token, PASSWORD, &ada.recovery_codes[9])
        .await
        .unwrap();
    assert!(!mfa_enabled(&auth, &ada.token).await);
    auth.stop().await;
}

backend_tests!(
    a_recovery_code_signs_in_once_only,
    regenerating_replaces_the_recovery_codes,
    disabling_needs_the_password_and_a_code,
    a_recovery_code_disables_the_factor_too,
);
