//! The console's one error type and the page each error becomes: never a stack trace, never
//! a token, and a sign-out when the session has ended.

use axum::response::{IntoResponse, Redirect, Response};
use http::StatusCode;
use http::header::SET_COOKIE;
use tonic::{Code, Status};

use crate::feedback::Feedback;
use crate::session::cookie::{self, Kind};
use crate::ui::layout;

/// Why a request could not be served.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ConsoleError {
    /// No session: go and sign in.
    #[error("not signed in")]
    NotSignedIn,
    /// The session ended elsewhere (revoked, reused, expired, the user deactivated): the
    /// browser is signed out and sent to the sign-in page.
    #[error("session ended")]
    SignedOut,
    /// The page is not for this role.
    #[error("forbidden")]
    Forbidden,
    /// No such page or record.
    #[error("not found")]
    NotFound,
    /// A state-changing request without this session's CSRF token, or from another site.
    #[error("missing or wrong CSRF token")]
    Csrf,
    /// A form the console cannot read (not one of its own).
    #[error("bad form: {0}")]
    BadForm(String),
    /// A service refused or failed.
    #[error("rpc: {0}")]
    Rpc(Status),
    /// Anything else; logged, never shown.
    #[error("internal: {0}")]
    Internal(String),
}

impl IntoResponse for ConsoleError {
    fn into_response(self) -> Response {
        match self {
            ConsoleError::NotSignedIn => Redirect::to("/login").into_response(),
            ConsoleError::SignedOut => {
                // Both names: this response does not know whether the console is behind TLS.
                (
                    [
                        (SET_COOKIE, cookie::clear(Kind::Session, false)),
                        (SET_COOKIE, cookie::clear(Kind::Session, true)),
                    ],
                    Redirect::to("/login?ended=1"),
                )
                    .into_response()
            }
            ConsoleError::Forbidden => error_page(
                StatusCode::FORBIDDEN,
                "Not allowed",
                "This page is not available to your account.",
            ),
            ConsoleError::NotFound => error_page(
                StatusCode::NOT_FOUND,
                "Not found",
                "There is nothing here. It may have been deleted.",
            ),
            ConsoleError::Csrf => error_page(
                StatusCode::FORBIDDEN,
                "Form expired",
                "This form is no longer valid. Go back, reload the page and try again.",
            ),
            ConsoleError::BadForm(reason) => {
                tracing::debug!(%reason, "unreadable form");
                error_page(
                    StatusCode::BAD_REQUEST,
                    "Bad request",
                    "The console could not read that form.",
                )
            }
            ConsoleError::Rpc(status) => {
                let code = http_status(&status);
                if code == StatusCode::BAD_GATEWAY {
                    tracing::warn!(code = ?status.code(), message = status.message(), "service call failed");
                }
                let feedback = Feedback::from_status(&status);
                error_page(code, "Something went wrong", &feedback.message)
            }
            ConsoleError::Internal(cause) => {
                tracing::error!(%cause, "console error");
                error_page(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "Something went wrong on our side; try again.",
                )
            }
        }
    }
}

/// The HTTP status of a page that shows a refused call.
pub(crate) fn http_status(status: &Status) -> StatusCode {
    match status.code() {
        Code::NotFound => StatusCode::NOT_FOUND,
        Code::PermissionDenied => StatusCode::FORBIDDEN,
        Code::Unauthenticated => StatusCode::UNAUTHORIZED,
        Code::InvalidArgument | Code::FailedPrecondition | Code::AlreadyExists => {
            StatusCode::BAD_REQUEST
        }
        Code::ResourceExhausted => StatusCode::TOO_MANY_REQUESTS,
        Code::Unavailable | Code::DeadlineExceeded => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::BAD_GATEWAY,
    }
}

fn error_page(code: StatusCode, title: &str, message: &str) -> Response {
    (code, layout::bare(title, message)).into_response()
}

/// A page handler's result.
pub(crate) type PageResult = Result<Response, ConsoleError>;
