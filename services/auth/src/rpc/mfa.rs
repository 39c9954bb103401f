//! The second-factor RPCs of `UserService`, `AuthService.CompleteLogin` and
//! `AdminService.ResetUserMfa` (the service handlers delegate here): parse, call
//! `domain::mfa`, map. Codes, passwords, secrets and challenges are never logged.

use shared::error::Violations;
use shared::pb::auth::v1::{
    BeginTotpEnrollmentRequest, BeginTotpEnrollmentResponse, CompleteLoginRequest,
    ConfirmTotpEnrollmentRequest, ConfirmTotpEnrollmentResponse, DisableTotpRequest, LoginResponse,
    RegenerateRecoveryCodesRequest, RegenerateRecoveryCodesResponse, ResetUserMfaRequest,
};
use tonic::{Request, Response, Status};
use zeroize::Zeroizing;

use crate::app::AppState;
use crate::domain::caller::Caller;
use crate::domain::mfa::Mfa;
use crate::domain::mfa::code::{Code, TotpCode};
use crate::domain::values::PresentedPassword;
use crate::error::{Error, Result};
use crate::rpc::{convert, id, valid_then};

/// Longest challenge accepted: the service issues 43 characters.
const MAX_CHALLENGE_CHARS: usize = 128;

/// A presented password, as field `field`.
fn password(state: &AppState, field: &str, raw: String) -> Result<PresentedPassword> {
    PresentedPassword::parse(raw, &state.config.password).map_err(|why| Error::invalid(field, why))
}

/// An authenticator code, as field `code`.
fn totp_code(raw: String) -> Result<TotpCode> {
    let raw = Zeroizing::new(raw);
    TotpCode::parse(&raw).map_err(|why| Error::invalid("code", why))
}

/// `UserService.BeginTotpEnrollment`.
pub(crate) async fn begin_enrollment(
    state: &AppState,
    request: Request<BeginTotpEnrollmentRequest>,
) -> Result<Response<BeginTotpEnrollmentResponse>, Status> {
    let caller = state.caller(&request).await?;
    let client = state.client(&request);
    let password = password(state, "password", request.into_inner().password)?;
    let shown = Mfa::of(state)
        .begin_enrollment(&caller, password, &client)
        .await?;
    Ok(Response::new(BeginTotpEnrollmentResponse {
        otpauth_uri: shown.uri.to_string(),
        secret: shown.base32.to_string(),
    }))
}

/// `UserService.ConfirmTotpEnrollment`.
pub(crate) async fn confirm_enrollment(
    state: &AppState,
    request: Request<ConfirmTotpEnrollmentRequest>,
) -> Result<Response<ConfirmTotpEnrollmentResponse>, Status> {
    let caller = state.caller(&request).await?;
    let client = state.client(&request);
    let code = totp_code(request.into_inner().code)?;
    let recovery_codes = Mfa::of(state)
        .confirm_enrollment(&caller, code, &client)
        .await?;
    Ok(Response::new(ConfirmTotpEnrollmentResponse {
        recovery_codes,
    }))
}

/// `UserService.DisableTotp`.
pub(crate) async fn disable(
    state: &AppState,
    request: Request<DisableTotpRequest>,
) -> Result<Response<()>, Status> {
    let caller = state.caller(&request).await?;
    let client = state.client(&request);
    let req = request.into_inner();
    let code = Zeroizing::new(req.code);
    let mut v = Violations::new();
    let password = v.check(
        "password",
        PresentedPassword::parse(req.password, &state.config.password),
    );
    let code = v.check("code", Code::parse(&code));
    let (password, code) = valid_then(v, || Some((password?, code?)))?;
    Mfa::of(state)
        .disable(&caller, password, code, &client)
        .await?;
    Ok(Response::new(()))
}

/// `UserService.RegenerateRecoveryCodes`.
pub(crate) async fn regenerate_recovery_codes(
    state: &AppState,
    request: Request<RegenerateRecoveryCodesRequest>,
) -> Result<Response<RegenerateRecoveryCodesResponse>, Status> {
    let caller = state.caller(&request).await?;
    let client = state.client(&request);
    let code = totp_code(request.into_inner().code)?;
    let recovery_codes = Mfa::of(state)
        .regenerate_recovery_codes(&caller, code, &client)
        .await?;
    Ok(Response::new(RegenerateRecoveryCodesResponse {
        recovery_codes,
    }))
}

/// `AuthService.CompleteLogin`.
pub(crate) async fn complete_login(
    state: &AppState,
    request: Request<CompleteLoginRequest>,
) -> Result<Response<LoginResponse>, Status> {
    let client = state.client(&request);
    let req = request.into_inner();
    let challenge = Zeroizing::new(req.challenge);
    let code = Zeroizing::new(req.code);
    let mut v = Violations::new();
    if challenge.is_empty() {
        v.add("challenge", "must not be empty");
    } else if challenge.chars().count() > MAX_CHALLENGE_CHARS {
        v.add(
            "challenge",
            format!("must be at most {MAX_CHALLENGE_CHARS} characters"),
        );
    }
    let code = v.check("code", Code::parse(&code));
    let code = valid_then(v, || code)?;
    let done = Mfa::of(state)
        .complete_login(&challenge, code, &client)
        .await?;
    Ok(Response::new(LoginResponse {
        user: Some(convert::user(done.user)),
        tokens: Some(convert::token_pair(done.pair)),
        ..Default::default()
    }))
}

/// `AdminService.ResetUserMfa`.
pub(crate) async fn admin_reset(
    state: &AppState,
    admin: &Caller,
    request: Request<ResetUserMfaRequest>,
) -> Result<Response<()>, Status> {
    let client = state.client(&request);
    let user_id = id("user_id", request.into_inner().user_id)?;
    Mfa::of(state).admin_reset(admin, &user_id, &client).await?;
    Ok(Response::new(()))
}
