//! What an admin does to an account from its page: deactivate or reactivate it, change its
//! role, end every session. Each is a POST with the CSRF token; success goes back to the page
//! with a fixed message, a refusal (say `CANNOT_DEMOTE_SELF`) shows the page again with the
//! reason.

use axum::extract::Path;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use shared::pb::auth::v1::{RevokeUserSessionsRequest, UpdateUserRequest};

use super::{detail, parse_role, user_path};
use crate::error::{ConsoleError, PageResult, http_status};
use crate::extract::{Admin, CsrfForm, SignedIn};
use crate::feedback::Feedback;

/// A form with nothing but its CSRF token.
#[derive(Debug, Deserialize)]
pub(super) struct Nothing {}

/// `POST /admin/users/{id}/deactivate`.
pub(super) async fn deactivate(
    admin: Admin,
    id: Path<String>,
    CsrfForm(_): CsrfForm<Nothing>,
) -> PageResult {
    set_active(admin, id, false).await
}

/// `POST /admin/users/{id}/reactivate`.
pub(super) async fn reactivate(
    admin: Admin,
    id: Path<String>,
    CsrfForm(_): CsrfForm<Nothing>,
) -> PageResult {
    set_active(admin, id, true).await
}

/// Deactivates or reactivates a user.
async fn set_active(Admin(admin): Admin, Path(id): Path<String>, active: bool) -> PageResult {
    let request = UpdateUserRequest {
        user_id: id.clone(),
        active: Some(active),
        ..UpdateUserRequest::default()
    };
    let result = update(&admin, request).await;
    let done = if active { "reactivated" } else { "deactivated" };
    finish(&admin, &id, result, done).await
}

#[derive(Debug, Deserialize)]
pub(super) struct RoleForm {
    #[serde(default)]
    role: String,
}

/// `POST /admin/users/{id}/role`.
pub(super) async fn change_role(
    Admin(admin): Admin,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<RoleForm>,
) -> PageResult {
    let Some(role) = parse_role(&form.role) else {
        let feedback = Feedback {
            message: "Please correct the fields marked below.".into(),
            ..Feedback::field("role", "Choose a role from the list.")
        };
        return refused(&admin, &id, http::StatusCode::BAD_REQUEST, &feedback).await;
    };
    let request = UpdateUserRequest {
        user_id: id.clone(),
        role: role as i32,
        ..UpdateUserRequest::default()
    };
    let result = update(&admin, request).await;
    finish(&admin, &id, result, "role").await
}

/// `POST /admin/users/{id}/sessions/revoke`.
pub(super) async fn revoke_sessions(
    Admin(admin): Admin,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<Nothing>,
) -> PageResult {
    let request = RevokeUserSessionsRequest {
        user_id: id.clone(),
    };
    let result = admin
        .api
        .call(|c| {
            let request = request.clone();
            async move { c.admin().revoke_user_sessions(request).await }
        })
        .await
        .map(|_| ());
    finish(&admin, &id, result, "revoked").await
}

/// `UpdateUser`.
async fn update(admin: &SignedIn, request: UpdateUserRequest) -> Result<(), ConsoleError> {
    admin
        .api
        .call(|c| {
            let request = request.clone();
            async move { c.admin().update_user(request).await }
        })
        .await
        .map(|_| ())
}

/// Back to the page with the `done` message, or the page again with the refusal.
async fn finish(
    admin: &SignedIn,
    id: &str,
    result: Result<(), ConsoleError>,
    done: &str,
) -> PageResult {
    match result {
        Ok(()) => Ok(Redirect::to(&format!("{}?done={done}", user_path(id))).into_response()),
        Err(ConsoleError::Rpc(status)) => {
            let feedback = Feedback::from_status(&status);
            refused(admin, id, http_status(&status), &feedback).await
        }
        Err(other) => Err(other),
    }
}

/// The user page again, with why the action was refused.
async fn refused(
    admin: &SignedIn,
    id: &str,
    code: http::StatusCode,
    feedback: &Feedback,
) -> PageResult {
    let view = detail::load(admin, id).await?;
    Ok((code, detail::page(admin, &view, None, feedback)).into_response())
}
