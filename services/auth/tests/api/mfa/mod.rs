//! The TOTP second factor: enrolment and recovery codes, the two-step sign-in, the recent
//! second factor of sensitive operations, and the admin reset. Codes are computed here with
//! `totp-rs` from the secret the service returned, at the time of the injected clock.

mod admin;
mod enrollment;
mod recovery;
mod sensitive;
mod sign_in;

use std::time::Duration;

use shared::pb::auth::v1::{
    BeginTotpEnrollmentRequest, BeginTotpEnrollmentResponse, CompleteLoginRequest,
    ConfirmTotpEnrollmentRequest, LoginResponse,
};
use stride_auth::clock::ManualClock;
use testkit::{Backend, TestAuth};
use tonic::Status;
use totp_rs::TOTP;

use crate::helpers::*;

/// One TOTP step.
const STEP: Duration = Duration::from_secs(30);

/// The auth service with `clock`, after `adjust`.
async fn spawn(
    backend: Backend,
    clock: &ManualClock,
    adjust: impl FnOnce(&mut stride_auth::Config),
) -> TestAuth {
    TestAuth::spawn_with(backend, |c| {
        c.clock = clock.clock();
        adjust(c);
    })
    .await
}

/// A user with a confirmed factor.
struct Enrolled {
    /// User id.
    id: String,
    /// Access token of the session that enrolled (it passed the second factor then).
    token: String,
    /// The user's authenticator.
    totp: TOTP,
    /// The recovery codes shown at confirmation.
    recovery_codes: Vec<String>,
}

/// The authenticator of an enrolment response.
fn authenticator(begun: &BeginTotpEnrollmentResponse) -> TOTP {
    let totp = TOTP::from_url(&begun.otpauth_uri).expect("a valid otpauth URI");
    assert_eq!(totp.get_secret_base32(), begun.secret);
    totp
}

/// The code `totp` shows at the time of `clock`.
fn code_at(totp: &TOTP, clock: &ManualClock) -> String {
    totp.generate(u64::try_from(clock.clock().now_secs()).unwrap())
}

/// A six-digit code that `totp` does not show anywhere near the time of `clock`.
fn wrong_code(totp: &TOTP, clock: &ManualClock) -> String {
    let now = u64::try_from(clock.clock().now_secs()).unwrap();
    let near: Vec<String> = (0..5).map(|i| totp.generate(now + i * 30 - 60)).collect();
    (0..)
        .map(|n: u32| format!("{:06}", (n * 7919) % 1_000_000))
        .find(|c| !near.contains(c))
        .unwrap()
}

/// `BeginTotpEnrollment` as the session of `token`.
async fn begin(
    auth: &TestAuth,
    token: &str,
    password: &str,
) -> Result<BeginTotpEnrollmentResponse, Status> {
    user_client(auth)
        .await
        .begin_totp_enrollment(bearer(
            BeginTotpEnrollmentRequest {
                password: password.to_owned(),
            },
            token,
        ))
        .await
        .map(tonic::Response::into_inner)
}

/// `ConfirmTotpEnrollment` as the session of `token`; the recovery codes.
async fn confirm(auth: &TestAuth, token: &str, code: &str) -> Result<Vec<String>, Status> {
    user_client(auth)
        .await
        .confirm_totp_enrollment(bearer(
            ConfirmTotpEnrollmentRequest {
                code: code.to_owned(),
            },
            token,
        ))
        .await
        .map(|r| r.into_inner().recovery_codes)
}

/// Registers `username` and enrols a factor from that first session; then moves the clock a
/// step on, so the next code is not a replay of the confirming one.
async fn enrolled(auth: &TestAuth, clock: &ManualClock, username: &str) -> Enrolled {
    let registered = register(auth, username).await;
    let token = access(&registered);
    let begun = begin(auth, &token, PASSWORD)
        .await
        .expect("enrolment begins");
    let totp = authenticator(&begun);
    let recovery_codes = confirm(auth, &token, &code_at(&totp, clock))
        .await
        .expect("the first code confirms");
    clock.advance(STEP);
    Enrolled {
        id: registered.user.unwrap().id,
        token,
        totp,
        recovery_codes,
    }
}

/// `CompleteLogin`.
async fn complete(auth: &TestAuth, challenge: &str, code: &str) -> Result<LoginResponse, Status> {
    auth_client(auth)
        .await
        .complete_login(CompleteLoginRequest {
            challenge: challenge.to_owned(),
            code: code.to_owned(),
        })
        .await
        .map(tonic::Response::into_inner)
}

/// Logs in with the password and returns the challenge, checking that nothing else came.
async fn challenge(auth: &TestAuth, username: &str, password: &str) -> String {
    let response = login(auth, username, password)
        .await
        .expect("the password is right");
    assert!(
        response.user.is_none() && response.tokens.is_none(),
        "{response:?}"
    );
    assert!(!response.mfa_challenge.is_empty());
    response.mfa_challenge
}

/// Both steps of a sign-in with `code`; the access token.
async fn sign_in_with(auth: &TestAuth, username: &str, code: &str) -> Result<String, Status> {
    let challenge = challenge(auth, username, PASSWORD).await;
    complete(auth, &challenge, code)
        .await
        .map(|r| r.tokens.unwrap().access_token)
}

/// The `RetryInfo` delay of a status, if any.
fn retry_after(status: &Status) -> Option<Duration> {
    use tonic_types::StatusExt as _;
    status
        .get_error_details()
        .retry_info()
        .and_then(|r| r.retry_delay)
}

/// Whether GetMe says the user of `token` has a second factor.
async fn mfa_enabled(auth: &TestAuth, token: &str) -> bool {
    user_client(auth)
        .await
        .get_me(bearer(shared::pb::auth::v1::GetMeRequest {}, token))
        .await
        .unwrap()
        .into_inner()
        .mfa_enabled
}
