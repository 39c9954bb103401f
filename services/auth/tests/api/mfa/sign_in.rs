//! The two-step sign-in: Login returns a challenge, CompleteLogin with a code opens the
//! session.

use shared::pb::auth::v1::GetMeRequest;
use shared::pb::auth::v1::auth_service_client::AuthServiceClient;
use testkit::backend_tests;
use tonic::Code;

use super::*;

/// Asserts `result` is UNAUTHENTICATED with `reason`.
#[track_caller]
fn assert_refused<T: std::fmt::Debug>(result: Result<T, Status>, expected: &str) {
    let status = result.expect_err("refused");
    assert_eq!(
        (status.code(), reason(&status).as_str()),
        (Code::Unauthenticated, expected),
        "{status:?}"
    );
}

async fn an_enrolled_user_gets_a_challenge_and_the_session_opens_with_a_code(backend: Backend) {
    let clock = ManualClock::new();
    let auth = spawn(backend, &clock, |_| {}).await;
    let ada = enrolled(&auth, &clock, "ada").await;
    let logins_before = event_count(&auth, "LOGIN_SUCCEEDED").await;

    let response = login(&auth, "ada", PASSWORD).await.unwrap();
    assert!(response.user.is_none() && response.tokens.is_none());
    assert!(response.mfa_challenge.len() >= 40);
    let expires = response.mfa_challenge_expires_at.unwrap();
    let now = clock.clock().now_secs();
    assert_eq!(expires.seconds - now, 300, "five minutes by default");
    assert_eq!(event_count(&auth, "LOGIN_SUCCEEDED").await, logins_before);
    let stored: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM mfa_challenges WHERE challenge_hash = $1")
            .bind(&response.mfa_challenge)
            .fetch_one(auth.db.pool())
            .await
            .unwrap();
    assert_eq!(stored, 0, "the challenge is stored as a digest only");

    let done = complete(&auth, &response.mfa_challenge, &code_at(&ada.totp, &clock))
        .await
        .unwrap();
    assert_eq!(done.user.as_ref().unwrap().id, ada.id);
    assert!(done.user.as_ref().unwrap().mfa_enabled);
    assert!(done.mfa_challenge.is_empty());
    let tokens = done.tokens.unwrap();
    user_client(&auth)
        .await
        .get_me(bearer(GetMeRequest {}, &tokens.access_token))
        .await
        .expect("the new session works");
    assert_eq!(
        event_count(&auth, "LOGIN_SUCCEEDED").await,
        logins_before + 1
    );
    assert_eq!(event_count(&auth, "MFA_SUCCEEDED").await, 1);
    let device: String = sqlx::query_scalar("SELECT device_label FROM sessions WHERE id = $1")
        .bind(&tokens.session_id)
        .fetch_one(auth.db.pool())
        .await
        .unwrap();
    assert_eq!(device, "", "the device label of the Login");

    // Single use, even with a fresh code.
    clock.advance(STEP);
    assert_refused(
        complete(&auth, &response.mfa_challenge, &code_at(&ada.totp, &clock)).await,
        "INVALID_MFA_CHALLENGE",
    );
    // A user without a second factor still signs in in one step.
    register(&auth, "grace").await;
    assert!(
        login(&auth, "grace", PASSWORD)
            .await
            .unwrap()
            .tokens
            .is_some()
    );
    auth.stop().await;
}

async fn a_used_code_is_refused_even_with_a_new_challenge(backend: Backend) {
    let clock = ManualClock::new();
    let auth = spawn(backend, &clock, |_| {}).await;
    let ada = enrolled(&auth, &clock, "ada").await;
    let code = code_at(&ada.totp, &clock);
    sign_in_with(&auth, "ada", &code).await.unwrap();

    assert_refused(sign_in_with(&auth, "ada", &code).await, "INVALID_MFA_CODE");
    // The code of the step before is in the window but older than the one used.
    let earlier = ada
        .totp
        .generate(u64::try_from(clock.clock().now_secs()).unwrap() - 30);
    if earlier != code {
        assert_refused(
            sign_in_with(&auth, "ada", &earlier).await,
            "INVALID_MFA_CODE",
        );
    }
    assert!(event_count(&auth, "MFA_FAILED").await >= 1);

    clock.advance(STEP);
    sign_in_with(&auth, "ada", &code_at(&ada.totp, &clock))
        .await
        .expect("the next step's code works");
    auth.stop().await;
}

async fn wrong_codes_count_toward_the_lockout(backend: Backend) {
    let clock = ManualClock::new();
    let auth = spawn(backend, &clock, |c| {
        c.lockout.threshold = 3;
        c.mfa.challenge_attempts = 10;
    })
    .await;
    let ada = enrolled(&auth, &clock, "ada").await;
    // The password step does not reset the count: a new challenge per guess changes nothing.
    for _ in 0..3 {
        let challenge = challenge(&auth, "ada", PASSWORD).await;
        assert_refused(
            complete(&auth, &challenge, &wrong_code(&ada.totp, &clock)).await,
            "INVALID_MFA_CODE",
        );
    }
    assert_eq!(event_count(&auth, "ACCOUNT_LOCKED").await, 1);
    assert_eq!(event_count(&auth, "MFA_FAILED").await, 3);

    let locked = login(&auth, "ada", PASSWORD).await.unwrap_err();
    assert_eq!(
        (locked.code(), reason(&locked).as_str()),
        (Code::ResourceExhausted, "ACCOUNT_LOCKED")
    );
    auth.stop().await;
}

async fn a_locked_account_is_refused_even_the_right_code(backend: Backend) {
    let clock = ManualClock::new();
    let auth = spawn(backend, &clock, |c| {
        c.lockout.threshold = 3;
        c.mfa.challenge_attempts = 10;
    })
    .await;
    let ada = enrolled(&auth, &clock, "ada").await;
    let challenge = challenge(&auth, "ada", PASSWORD).await;
    for _ in 0..3 {
        assert_refused(
            complete(&auth, &challenge, &wrong_code(&ada.totp, &clock)).await,
            "INVALID_MFA_CODE",
        );
    }
    let locked = complete(&auth, &challenge, &code_at(&ada.totp, &clock))
        .await
        .unwrap_err();
    assert_eq!(
        (locked.code(), reason(&locked).as_str()),
        (Code::ResourceExhausted, "ACCOUNT_LOCKED")
    );
    let retry = retry_after(&locked).expect("RetryInfo is present");
    assert!(retry <= Duration::from_secs(60), "{retry:?}");

    clock.advance(Duration::from_secs(61));
    let challenge = super::challenge(&auth, "ada", PASSWORD).await;
    complete(&auth, &challenge, &code_at(&ada.totp, &clock))
        .await
        .expect("the lock ends");
    let failures: i64 =
        sqlx::query_scalar("SELECT CAST(failed_logins AS BIGINT) FROM users WHERE id = $1")
            .bind(&ada.id)
            .fetch_one(auth.db.pool())
            .await
            .unwrap();
    assert_eq!(failures, 0, "the opened session clears the count");
    auth.stop().await;
}

async fn a_challenge_dies_after_a_few_wrong_codes(backend: Backend) {
    let clock = ManualClock::new();
    let auth = spawn(backend, &clock, |c| c.lockout.threshold = 100).await;
    let ada = enrolled(&auth, &clock, "ada").await;
    let challenge = challenge(&auth, "ada", PASSWORD).await;
    for _ in 0..3 {
        assert_refused(
            complete(&auth, &challenge, &wrong_code(&ada.totp, &clock)).await,
            "INVALID_MFA_CODE",
        );
    }
    assert_refused(
        complete(&auth, &challenge, &code_at(&ada.totp, &clock)).await,
        "INVALID_MFA_CHALLENGE",
    );
    let fresh = super::challenge(&auth, "ada", PASSWORD).await;
    complete(&auth, &fresh, &code_at(&ada.totp, &clock))
        .await
        .expect("a new challenge works");
    auth.stop().await;
}

async fn an_expired_challenge_is_refused(backend: Backend) {
    let clock = ManualClock::new();
    let auth = spawn(backend, &clock, |_| {}).await;
    let ada = enrolled(&auth, &clock, "ada").await;
    let challenge = challenge(&auth, "ada", PASSWORD).await;
    clock.advance(Duration::from_secs(301));
    assert_refused(
        complete(&auth, &challenge, &code_at(&ada.totp, &clock)).await,
        "INVALID_MFA_CHALLENGE",
    );
    assert!(event_count(&auth, "MFA_FAILED").await >= 1);
    let failures: i64 =
        sqlx::query_scalar("SELECT CAST(failed_logins AS BIGINT) FROM users WHERE id = $1")
            .bind(&ada.id)
            .fetch_one(auth.db.pool())
            .await
            .unwrap();
    assert_eq!(failures, 0, "a dead challenge is no guess at the code");
    auth.stop().await;
}

async fn a_forged_or_malformed_challenge_is_refused(backend: Backend) {
    let clock = ManualClock::new();
    let auth = spawn(backend, &clock, |_| {}).await;
    let ada = enrolled(&auth, &clock, "ada").await;
    let code = code_at(&ada.totp, &clock);
    let real = challenge(&auth, "ada", PASSWORD).await;
    let mut forged = real.clone();
    let last = if forged.ends_with('A') { 'B' } else { 'A' };
    forged.pop();
    forged.push(last);
    assert_refused(
        complete(&auth, &forged, &code).await,
        "INVALID_MFA_CHALLENGE",
    );
    assert_refused(
        complete(&auth, "not-a-challenge", &code).await,
        "INVALID_MFA_CHALLENGE",
    );
    assert_eq!(
        bad_fields(&complete(&auth, "", &code).await.unwrap_err()),
        ["challenge"]
    );
    assert_eq!(
        bad_fields(&complete(&auth, &real, "12ab").await.unwrap_err()),
        ["code"]
    );
    assert_eq!(
        bad_fields(&complete(&auth, "", "").await.unwrap_err()),
        ["challenge", "code"]
    );
    complete(&auth, &real, &code)
        .await
        .expect("the real challenge still works");
    auth.stop().await;
}

async fn a_challenge_answers_only_the_client_that_logged_in(backend: Backend) {
    let clock = ManualClock::new();
    let auth = spawn(backend, &clock, |_| {}).await;
    let ada = enrolled(&auth, &clock, "ada").await;
    let challenge = challenge(&auth, "ada", PASSWORD).await;
    let other = tonic::transport::Endpoint::from_shared(auth.url())
        .unwrap()
        .user_agent("another-app/1.0")
        .unwrap()
        .connect()
        .await
        .unwrap();
    let stolen = AuthServiceClient::new(other)
        .complete_login(CompleteLoginRequest {
            challenge: challenge.clone(),
            code: code_at(&ada.totp, &clock),
        })
        .await;
    assert_refused(stolen, "INVALID_MFA_CHALLENGE");
    complete(&auth, &challenge, &code_at(&ada.totp, &clock))
        .await
        .expect("the client that logged in finishes");
    auth.stop().await;
}

async fn concurrent_wrong_codes_get_no_more_guesses_than_the_challenge_allows(backend: Backend) {
    let clock = ManualClock::new();
    let auth = spawn(backend, &clock, |c| c.lockout.threshold = 100).await;
    let ada = enrolled(&auth, &clock, "ada").await;
    let challenge = challenge(&auth, "ada", PASSWORD).await;
    let wrong = wrong_code(&ada.totp, &clock);
    let guesses = (0..12).map(|_| complete(&auth, &challenge, &wrong));
    let answers = futures::future::join_all(guesses).await;
    let judged = answers
        .iter()
        .filter(|a| a.as_ref().is_err_and(|s| reason(s) == "INVALID_MFA_CODE"))
        .count();
    assert_eq!(
        judged, 3,
        "only the challenge's 3 attempts reach the code check"
    );
    let failures: i64 = sqlx::query_scalar(
        "SELECT CAST(failed_logins AS BIGINT) FROM users WHERE username = 'ada'",
    )
    .fetch_one(auth.db.pool())
    .await
    .unwrap();
    assert_eq!(failures, 3);
    auth.stop().await;
}

backend_tests!(
    concurrent_wrong_codes_get_no_more_guesses_than_the_challenge_allows,
    an_enrolled_user_gets_a_challenge_and_the_session_opens_with_a_code,
    a_used_code_is_refused_even_with_a_new_challenge,
    wrong_codes_count_toward_the_lockout,
    a_locked_account_is_refused_even_the_right_code,
    a_challenge_dies_after_a_few_wrong_codes,
    an_expired_challenge_is_refused,
    a_forged_or_malformed_challenge_is_refused,
    a_challenge_answers_only_the_client_that_logged_in,
);
