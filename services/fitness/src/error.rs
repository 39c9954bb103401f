//! The fitness service's one error type, mapped once to `tonic::Status` (SPEC §3).

use shared::error::{self as model, Violations};
use tonic::{Code, Status};

use crate::DOMAIN;

/// Every way a fitness RPC can fail. Each variant documents the status it becomes.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// INVALID_ARGUMENT with a `BadRequest` naming every violated field.
    #[error("invalid request: {0}")]
    InvalidArgument(Violations),
    /// UNAUTHENTICATED: no, bad, expired or revoked credentials.
    #[error("unauthenticated: {0}")]
    Unauthenticated(&'static str),
    /// PERMISSION_DENIED: the caller's role does not allow this.
    #[error("permission denied")]
    PermissionDenied,
    /// NOT_FOUND: missing, or not the caller's (never distinguished).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// ALREADY_EXISTS with the reason naming what is taken.
    #[error("already exists: {0}")]
    AlreadyExists(&'static str),
    /// FAILED_PRECONDITION with a reason.
    #[error("failed precondition: {0}")]
    FailedPrecondition(&'static str),
    /// RESOURCE_EXHAUSTED: lockout or rate limit.
    #[error("resource exhausted: {0}")]
    ResourceExhausted(&'static str),
    /// UNAVAILABLE: a dependency (the auth service) cannot answer; the reason names which
    /// check failed. Retrying later may succeed.
    #[error("unavailable: {0}")]
    Unavailable(&'static str),
    /// INTERNAL: the database failed. The cause is logged, never returned.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// INTERNAL: anything else unexpected. The cause is logged, never returned.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<Violations> for Error {
    fn from(violations: Violations) -> Self {
        Self::InvalidArgument(violations)
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
            Error::Unavailable(reason) => model::status(
                Code::Unavailable,
                DOMAIN,
                reason,
                "a dependency is unavailable; retry later",
            ),
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
