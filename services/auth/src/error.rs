//! The auth service's one error type, mapped once to `tonic::Status` (SPEC §3).

use std::time::Duration;

use shared::error::{self as model, Violations};
use tonic::{Code, Status};
use tonic_types::ErrorDetails;

use crate::DOMAIN;

/// Every way an auth RPC can fail. Each variant documents the status it becomes.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// INVALID_ARGUMENT with a `BadRequest` naming every violated field.
    #[error("invalid request: {0}")]
    InvalidArgument(Violations),
    /// UNAUTHENTICATED: no, bad, expired or revoked token (the reason says which, e.g.
    /// `MISSING_TOKEN`, `INVALID_TOKEN`, `TOKEN_EXPIRED`, `TOKEN_REVOKED`).
    #[error("unauthenticated: {0}")]
    Unauthenticated(&'static str),
    /// UNAUTHENTICATED with reason `INVALID_CREDENTIALS`: one message for an unknown user, a
    /// wrong password and an inactive account, so none can be told apart.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// PERMISSION_DENIED: the caller's role does not allow this.
    #[error("permission denied")]
    PermissionDenied,
    /// NOT_FOUND: missing, or not the caller's (never distinguished).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// ALREADY_EXISTS with the reason naming what is taken (`USERNAME_TAKEN`, `EMAIL_TAKEN`).
    #[error("already exists: {0}")]
    AlreadyExists(&'static str),
    /// FAILED_PRECONDITION with a reason.
    #[error("failed precondition: {0}")]
    FailedPrecondition(&'static str),
    /// RESOURCE_EXHAUSTED: lockout or rate limit.
    #[error("resource exhausted: {0}")]
    ResourceExhausted(&'static str),
    /// RESOURCE_EXHAUSTED with a `RetryInfo` saying when to try again (`ACCOUNT_LOCKED`,
    /// `TOO_MANY_ATTEMPTS`).
    #[error("retry later: {reason}")]
    RetryLater {
        /// UPPER_SNAKE reason.
        reason: &'static str,
        /// How long until an attempt can succeed.
        retry_after: Duration,
    },
    /// INTERNAL: the database failed. The cause is logged, never returned.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// INTERNAL: anything else unexpected. The cause is logged, never returned.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// INVALID_ARGUMENT on a single field.
    pub fn invalid(field: &str, description: impl Into<String>) -> Self {
        let mut v = Violations::new();
        v.add(field, description);
        Self::InvalidArgument(v)
    }

    /// INTERNAL carrying `cause` for the log.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        Self::Internal(cause.to_string())
    }
}

impl From<Violations> for Error {
    fn from(violations: Violations) -> Self {
        Self::InvalidArgument(violations)
    }
}

impl From<shared::error::FieldViolation> for Error {
    fn from(violation: shared::error::FieldViolation) -> Self {
        Self::InvalidArgument(violation.into())
    }
}

impl From<Error> for Status {
    fn from(err: Error) -> Self {
        match err {
            Error::InvalidArgument(v) => model::invalid_argument(DOMAIN, &v),
            Error::Unauthenticated(reason) => model::status(
                Code::Unauthenticated,
                DOMAIN,
                reason,
                "authentication required",
            ),
            Error::InvalidCredentials => model::status(
                Code::Unauthenticated,
                DOMAIN,
                "INVALID_CREDENTIALS",
                "invalid login or password",
            ),
            Error::PermissionDenied => model::status(
                Code::PermissionDenied,
                DOMAIN,
                "PERMISSION_DENIED",
                "the caller's role does not allow this",
            ),
            Error::NotFound(what) => model::status(
                Code::NotFound,
                DOMAIN,
                "NOT_FOUND",
                format!("{what} not found"),
            ),
            Error::AlreadyExists(reason) => {
                model::status(Code::AlreadyExists, DOMAIN, reason, "already exists")
            }
            Error::FailedPrecondition(reason) => model::status(
                Code::FailedPrecondition,
                DOMAIN,
                reason,
                "failed precondition",
            ),
            Error::ResourceExhausted(reason) => {
                model::status(Code::ResourceExhausted, DOMAIN, reason, "too many attempts")
            }
            Error::RetryLater {
                reason,
                retry_after,
            } => {
                let mut details = ErrorDetails::with_error_info(
                    reason,
                    DOMAIN,
                    std::collections::HashMap::<String, String>::new(),
                );
                // Whole seconds, rounded up: retrying at the advertised time must succeed.
                let secs = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
                details.set_retry_info(Some(Duration::from_secs(secs.max(1))));
                model::with_details(
                    Code::ResourceExhausted,
                    "too many attempts; retry later",
                    details,
                )
            }
            Error::Database(cause) => {
                tracing::error!(error = %cause, "database error");
                model::internal(DOMAIN)
            }
            Error::Internal(cause) => {
                tracing::error!(error = %cause, "internal error");
                model::internal(DOMAIN)
            }
        }
    }
}

/// Result of a domain or store operation.
pub type Result<T, E = Error> = std::result::Result<T, E>;
