//! The second-factor RPCs of `UserService`, `AuthService.CompleteLogin` and
//! `AdminService.ResetUserMfa` (the service handlers delegate here).
//!
//! (Skeleton: being built.)

use shared::pb::auth::v1::{
    BeginTotpEnrollmentRequest, BeginTotpEnrollmentResponse, CompleteLoginRequest,
    ConfirmTotpEnrollmentRequest, ConfirmTotpEnrollmentResponse, DisableTotpRequest, LoginResponse,
    RegenerateRecoveryCodesRequest, RegenerateRecoveryCodesResponse, ResetUserMfaRequest,
};
use tonic::{Request, Response, Status};

use crate::app::AppState;
use crate::domain::caller::Caller;

/// `UserService.BeginTotpEnrollment`.
pub(crate) async fn begin_enrollment(
    _state: &AppState,
    _request: Request<BeginTotpEnrollmentRequest>,
) -> Result<Response<BeginTotpEnrollmentResponse>, Status> {
    Err(Status::unimplemented("BeginTotpEnrollment"))
}

/// `UserService.ConfirmTotpEnrollment`.
pub(crate) async fn confirm_enrollment(
    _state: &AppState,
    _request: Request<ConfirmTotpEnrollmentRequest>,
) -> Result<Response<ConfirmTotpEnrollmentResponse>, Status> {
    Err(Status::unimplemented("ConfirmTotpEnrollment"))
}

/// `UserService.DisableTotp`.
pub(crate) async fn disable(
    _state: &AppState,
    _request: Request<DisableTotpRequest>,
) -> Result<Response<()>, Status> {
    Err(Status::unimplemented("DisableTotp"))
}

/// `UserService.RegenerateRecoveryCodes`.
pub(crate) async fn regenerate_recovery_codes(
    _state: &AppState,
    _request: Request<RegenerateRecoveryCodesRequest>,
) -> Result<Response<RegenerateRecoveryCodesResponse>, Status> {
    Err(Status::unimplemented("RegenerateRecoveryCodes"))
}

/// `AuthService.CompleteLogin`.
pub(crate) async fn complete_login(
    _state: &AppState,
    _request: Request<CompleteLoginRequest>,
) -> Result<Response<LoginResponse>, Status> {
    Err(Status::unimplemented("CompleteLogin"))
}

/// `AdminService.ResetUserMfa`.
pub(crate) async fn admin_reset(
    _state: &AppState,
    _admin: &Caller,
    _request: Request<ResetUserMfaRequest>,
) -> Result<Response<()>, Status> {
    Err(Status::unimplemented("ResetUserMfa"))
}
