//! The account-lifecycle RPCs: email verification, password reset, deletion and data export
//! (the service handlers delegate here).

use shared::pb::auth::v1::{
    DeleteMeRequest, DeleteUserRequest, ExportMyDataRequest, ExportMyDataResponse,
    RequestPasswordResetRequest, ResendVerificationRequest, ResetPasswordRequest,
    VerifyEmailRequest,
};
use tokio_stream::StreamExt as _;
use tonic::codegen::BoxStream;
use tonic::{Request, Response, Status};
use zeroize::Zeroizing;

use crate::app::AppState;
use crate::domain::caller::Caller;
use crate::domain::password_reset::{self, Reset};
use crate::domain::values::{LoginName, PresentedPassword};
use crate::domain::{deletion, export, link_tokens, verification};
use crate::error::Error;
use crate::rpc::id;

/// `AuthService.RequestPasswordReset`.
pub(crate) async fn request_password_reset(
    state: &AppState,
    request: Request<RequestPasswordResetRequest>,
) -> Result<Response<()>, Status> {
    let client = state.client(&request);
    let login = LoginName::parse(&request.into_inner().login)
        .map_err(|why| Error::invalid("login", why))?;
    password_reset::request(
        &state.db,
        &state.clock,
        &state.config.account,
        login,
        &client,
    )
    .await?;
    Ok(Response::new(()))
}

/// `AuthService.ResetPassword`.
pub(crate) async fn reset_password(
    state: &AppState,
    request: Request<ResetPasswordRequest>,
) -> Result<Response<()>, Status> {
    let client = state.client(&request);
    let req = request.into_inner();
    let token = link_tokens::presented("token", req.token)?;
    let reset = Reset {
        db: &state.db,
        hasher: &state.hasher,
        clock: &state.clock,
        feed: &state.feed,
        policy: &state.config.password,
        ip_limit: state.config.lockout.ip_limit,
    };
    let user_id = reset
        .reset(&token, Zeroizing::new(req.new_password), &client)
        .await?;
    tracing::Span::current().record("user_id", user_id.as_str());
    Ok(Response::new(()))
}

/// `AuthService.VerifyEmail`.
pub(crate) async fn verify_email(
    state: &AppState,
    request: Request<VerifyEmailRequest>,
) -> Result<Response<()>, Status> {
    let client = state.client(&request);
    let token = link_tokens::presented("token", request.into_inner().token)?;
    let user_id = verification::verify(&state.db, &state.clock, &token, &client).await?;
    tracing::Span::current().record("user_id", user_id.as_str());
    Ok(Response::new(()))
}

/// `UserService.ResendVerification`.
pub(crate) async fn resend_verification(
    state: &AppState,
    request: Request<ResendVerificationRequest>,
) -> Result<Response<()>, Status> {
    let caller = state.caller(&request).await?;
    let client = state.client(&request);
    verification::resend(
        &state.db,
        &state.clock,
        &state.config.account,
        &caller,
        &client,
    )
    .await?;
    Ok(Response::new(()))
}

/// `UserService.DeleteMe`.
pub(crate) async fn delete_me(
    state: &AppState,
    request: Request<DeleteMeRequest>,
) -> Result<Response<()>, Status> {
    let caller = state.caller(&request).await?;
    let client = state.client(&request);
    let req = request.into_inner();
    let password = if req.password.is_empty() {
        None
    } else {
        Some(
            PresentedPassword::parse(req.password, &state.config.password)
                .map_err(|why| Error::invalid("password", why))?,
        )
    };
    let code = Zeroizing::new(req.mfa_code);
    deletion::delete_me(state, &caller, password, &code, &client).await?;
    Ok(Response::new(()))
}

/// `AdminService.DeleteUser` (the caller is already checked to be an admin).
pub(crate) async fn admin_delete_user(
    state: &AppState,
    admin: &Caller,
    request: Request<DeleteUserRequest>,
) -> Result<Response<()>, Status> {
    let client = state.client(&request);
    let user_id = id("user_id", request.into_inner().user_id)?;
    deletion::delete_by_admin(state, admin, user_id.as_str(), &client).await?;
    Ok(Response::new(()))
}

/// `UserService.ExportMyData`.
pub(crate) async fn export_my_data(
    state: &AppState,
    request: Request<ExportMyDataRequest>,
) -> Result<Response<BoxStream<ExportMyDataResponse>>, Status> {
    let caller = state.caller(&request).await?;
    let client = state.client(&request);
    let chunks = export::export(state, &caller, &client).await?;
    let stream = chunks.map(|chunk| {
        chunk
            .map(|chunk| ExportMyDataResponse { chunk })
            .map_err(Status::from)
    });
    Ok(Response::new(Box::pin(stream)))
}
