//! The account-lifecycle RPCs: email verification, password reset, deletion and data export
//! (the service handlers delegate here).

use shared::pb::auth::v1::{
    DeleteMeRequest, DeleteUserRequest, ExportMyDataRequest, ExportMyDataResponse,
    RequestPasswordResetRequest, ResendVerificationRequest, ResetPasswordRequest,
    VerifyEmailRequest,
};
use tonic::codegen::BoxStream;
use tonic::{Request, Response, Status};

use crate::app::AppState;
use crate::domain::caller::Caller;

/// `AuthService.RequestPasswordReset`.
pub(crate) async fn request_password_reset(
    _state: &AppState,
    _request: Request<RequestPasswordResetRequest>,
) -> Result<Response<()>, Status> {
    Err(Status::unimplemented("RequestPasswordReset"))
}

/// `AuthService.ResetPassword`.
pub(crate) async fn reset_password(
    _state: &AppState,
    _request: Request<ResetPasswordRequest>,
) -> Result<Response<()>, Status> {
    Err(Status::unimplemented("ResetPassword"))
}

/// `AuthService.VerifyEmail`.
pub(crate) async fn verify_email(
    _state: &AppState,
    _request: Request<VerifyEmailRequest>,
) -> Result<Response<()>, Status> {
    Err(Status::unimplemented("VerifyEmail"))
}

/// `UserService.ResendVerification`.
pub(crate) async fn resend_verification(
    _state: &AppState,
    _request: Request<ResendVerificationRequest>,
) -> Result<Response<()>, Status> {
    Err(Status::unimplemented("ResendVerification"))
}

/// `UserService.DeleteMe`.
pub(crate) async fn delete_me(
    _state: &AppState,
    _request: Request<DeleteMeRequest>,
) -> Result<Response<()>, Status> {
    Err(Status::unimplemented("DeleteMe"))
}

/// `AdminService.DeleteUser`.
pub(crate) async fn admin_delete_user(
    _state: &AppState,
    _admin: &Caller,
    _request: Request<DeleteUserRequest>,
) -> Result<Response<()>, Status> {
    Err(Status::unimplemented("DeleteUser"))
}

/// `UserService.ExportMyData`.
pub(crate) async fn export_my_data(
    _state: &AppState,
    _request: Request<ExportMyDataRequest>,
) -> Result<Response<BoxStream<ExportMyDataResponse>>, Status> {
    Err(Status::unimplemented("ExportMyData"))
}
