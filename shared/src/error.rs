//! The error model of both services (see `docs/ARCHITECTURE.md`, "Errors"): every failure is
//! a `tonic::Status` carrying exactly one `ErrorInfo` (UPPER_SNAKE reason, service domain)
//! and, for INVALID_ARGUMENT, a `BadRequest` listing every violated field; RESOURCE_EXHAUSTED
//! carries a `RetryInfo` too.
//!
//! Each service names its error type once, `pub type Error = shared::error::Error<MyDomain>`,
//! and the conversion to `Status` below is the only place a failure becomes a status.

use std::marker::PhantomData;
use std::time::Duration;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// Message of every INTERNAL status: the cause goes to the log, never to the caller.
pub const INTERNAL_MESSAGE: &str = "internal error";

/// One violated field of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    /// Path of the field, e.g. `workout.title` or `page_size`.
    pub field: String,
    /// What is wrong with it, phrased for the caller.
    pub description: String,
}

/// Collects every violation of a request so the caller learns all of them at once.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Violations(Vec<FieldViolation>);

impl Violations {
    /// An empty collection.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that `field` is invalid.
    pub fn add(&mut self, field: impl Into<String>, description: impl Into<String>) {
        self.0.push(FieldViolation {
            field: field.into(),
            description: description.into(),
        });
    }

    /// Records the error of `result` under `field` and returns its value, if any.
    pub fn check<T, E: std::fmt::Display>(
        &mut self,
        field: &str,
        result: Result<T, E>,
    ) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(err) => {
                self.add(field, err.to_string());
                None
            }
        }
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The recorded violations.
    pub fn fields(&self) -> &[FieldViolation] {
        &self.0
    }

    /// `Ok(())` when empty, else the violations themselves as the error.
    pub fn into_result(self) -> Result<(), Violations> {
        if self.0.is_empty() { Ok(()) } else { Err(self) }
    }
}

impl From<FieldViolation> for Violations {
    fn from(violation: FieldViolation) -> Self {
        Self(vec![violation])
    }
}

impl std::fmt::Display for Violations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut first = true;
        for v in &self.0 {
            if !first {
                f.write_str("; ")?;
            }
            first = false;
            write!(f, "{}: {}", v.field, v.description)?;
        }
        Ok(())
    }
}

/// The service an error belongs to: its `ErrorInfo` domain (`stride.auth`, `stride.fitness`).
pub trait Domain: 'static {
    /// The `ErrorInfo.domain` of every status of this service.
    const DOMAIN: &'static str;
}

/// Every way an RPC can fail. Each variant documents the status it becomes.
#[derive(Debug, thiserror::Error)]
pub enum Error<D: Domain> {
    /// INVALID_ARGUMENT with a `BadRequest` naming every violated field.
    #[error("invalid request: {0}")]
    InvalidArgument(Violations),
    /// UNAUTHENTICATED: no, bad, expired or revoked credentials; the reason says which
    /// (`MISSING_TOKEN`, `INVALID_TOKEN`, `TOKEN_EXPIRED`, `TOKEN_REVOKED`, …).
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
    /// ALREADY_EXISTS with the reason naming what is taken (`USERNAME_TAKEN`, …).
    #[error("already exists: {0}")]
    AlreadyExists(&'static str),
    /// FAILED_PRECONDITION with a reason.
    #[error("failed precondition: {0}")]
    FailedPrecondition(&'static str),
    /// RESOURCE_EXHAUSTED with a `RetryInfo` saying when to try again (`ACCOUNT_LOCKED`,
    /// `TOO_MANY_ATTEMPTS`, …).
    #[error("retry later: {reason}")]
    RetryLater {
        /// UPPER_SNAKE reason.
        reason: &'static str,
        /// How long until an attempt can succeed.
        retry_after: Duration,
    },
    /// UNAVAILABLE: a dependency cannot answer; the reason names which. Retrying may succeed.
    #[error("unavailable: {0}")]
    Unavailable(&'static str),
    /// UNAVAILABLE (`DATABASE_UNAVAILABLE`) when the database cannot be reached or is busy past
    /// its timeout, else INTERNAL. The cause is logged, never returned.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// INTERNAL: anything else unexpected. The cause is logged, never returned.
    #[error("internal error: {0}")]
    Internal(String),
    /// Never constructed: it only ties the error to its service's [`Domain`] at the type
    /// level, so the one conversion to `Status` knows the domain without a runtime field.
    #[doc(hidden)]
    #[error("unreachable")]
    Never(std::convert::Infallible, PhantomData<D>),
}

impl<D: Domain> Error<D> {
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

impl<D: Domain> From<Violations> for Error<D> {
    fn from(violations: Violations) -> Self {
        Self::InvalidArgument(violations)
    }
}

impl<D: Domain> From<FieldViolation> for Error<D> {
    fn from(violation: FieldViolation) -> Self {
        Self::InvalidArgument(violation.into())
    }
}

impl<D: Domain> From<Error<D>> for Status {
    fn from(err: Error<D>) -> Self {
        let domain = D::DOMAIN;
        match err {
            Error::InvalidArgument(v) => invalid_argument(domain, &v),
            Error::Unauthenticated(reason) => status(
                Code::Unauthenticated,
                domain,
                reason,
                "authentication required",
            ),
            Error::InvalidCredentials => status(
                Code::Unauthenticated,
                domain,
                "INVALID_CREDENTIALS",
                "invalid login or password",
            ),
            Error::PermissionDenied => status(
                Code::PermissionDenied,
                domain,
                "PERMISSION_DENIED",
                "the caller's role does not allow this",
            ),
            Error::NotFound(what) => status(
                Code::NotFound,
                domain,
                "NOT_FOUND",
                format!("{what} not found"),
            ),
            Error::AlreadyExists(reason) => {
                status(Code::AlreadyExists, domain, reason, "already exists")
            }
            Error::FailedPrecondition(reason) => status(
                Code::FailedPrecondition,
                domain,
                reason,
                "failed precondition",
            ),
            Error::RetryLater {
                reason,
                retry_after,
            } => retry_later(domain, reason, retry_after),
            Error::Unavailable(reason) => status(
                Code::Unavailable,
                domain,
                reason,
                "a dependency is unavailable; retry later",
            ),
            Error::Database(cause) if crate::db::is_unavailable(&cause) => {
                tracing::warn!(error = %cause, "database unavailable");
                status(
                    Code::Unavailable,
                    domain,
                    "DATABASE_UNAVAILABLE",
                    "the database is unavailable; retry later",
                )
            }
            Error::Database(cause) => {
                tracing::error!(error = %cause, "database error");
                internal(domain)
            }
            Error::Internal(cause) => {
                tracing::error!(error = %cause, "internal error");
                internal(domain)
            }
            Error::Never(never, _) => match never {},
        }
    }
}

/// RESOURCE_EXHAUSTED with one `ErrorInfo` and a `RetryInfo` of whole seconds, rounded up so
/// that retrying at the advertised time succeeds.
fn retry_later(domain: &str, reason: &str, retry_after: Duration) -> Status {
    let mut details = ErrorDetails::with_error_info(
        reason,
        domain,
        std::collections::HashMap::<String, String>::new(),
    );
    let secs = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
    details.set_retry_info(Some(Duration::from_secs(secs.max(1))));
    record(Code::ResourceExhausted);
    Status::with_error_details(
        Code::ResourceExhausted,
        "too many attempts; retry later",
        details,
    )
}

/// Records a failure's code on the current RPC span (see `telemetry::rpc_span`).
fn record(code: Code) {
    tracing::Span::current().record("grpc.status", code as i32);
}

/// Builds a status with one `ErrorInfo`.
fn status(code: Code, domain: &str, reason: &str, message: impl Into<String>) -> Status {
    record(code);
    let details = ErrorDetails::with_error_info(
        reason,
        domain,
        std::collections::HashMap::<String, String>::new(),
    );
    Status::with_error_details(code, message, details)
}

/// Builds INVALID_ARGUMENT with an `ErrorInfo` and a `BadRequest` naming every violated field.
fn invalid_argument(domain: &str, violations: &Violations) -> Status {
    record(Code::InvalidArgument);
    let mut details = ErrorDetails::with_error_info(
        "INVALID_ARGUMENT",
        domain,
        std::collections::HashMap::<String, String>::new(),
    );
    for v in violations.fields() {
        details.add_bad_request_violation(v.field.clone(), v.description.clone());
    }
    Status::with_error_details(Code::InvalidArgument, violations.to_string(), details)
}

/// Builds INTERNAL with the fixed message; callers log the cause before calling this.
fn internal(domain: &str) -> Status {
    status(Code::Internal, domain, "INTERNAL", INTERNAL_MESSAGE)
}

/// The `ErrorInfo` reason of a status, if it has one (clients branch on it).
pub fn reason(status: &Status) -> Option<String> {
    status.get_details_error_info().map(|info| info.reason)
}

/// UNAUTHENTICATED reasons that refuse a secret the person typed (a password, a code), not the
/// credentials a client holds: refreshing the session or signing in again would not help.
pub const REFUSED_INPUT: [&str; 3] = [
    "INVALID_CREDENTIALS",
    "INVALID_MFA_CODE",
    "INVALID_MFA_CHALLENGE",
];

/// True when `status` refuses what the person typed ([`REFUSED_INPUT`]).
pub fn refuses_input(status: &Status) -> bool {
    reason(status).is_some_and(|reason| REFUSED_INPUT.contains(&reason.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Test;
    impl Domain for Test {
        const DOMAIN: &'static str = "stride.test";
    }
    type TestError = Error<Test>;

    #[test]
    fn retry_later_carries_retry_info_rounded_up() {
        let status = Status::from(TestError::RetryLater {
            reason: "ACCOUNT_LOCKED",
            retry_after: Duration::from_millis(1500),
        });
        assert_eq!(status.code(), Code::ResourceExhausted);
        let details = status.get_error_details();
        let retry = details.retry_info().expect("retry info present");
        assert_eq!(retry.retry_delay, Some(Duration::from_secs(2)));
        assert_eq!(
            details
                .error_info()
                .map(|i| (i.reason.as_str(), i.domain.as_str())),
            Some(("ACCOUNT_LOCKED", "stride.test"))
        );
    }

    #[test]
    fn database_errors_become_internal_without_their_cause() {
        let status = Status::from(TestError::Database(sqlx::Error::RowNotFound));
        assert_eq!(status.code(), Code::Internal);
        assert_eq!(status.message(), INTERNAL_MESSAGE);
    }

    #[test]
    fn an_unreachable_database_is_unavailable_not_internal() {
        for cause in [sqlx::Error::PoolTimedOut, sqlx::Error::PoolClosed] {
            let status = Status::from(TestError::Database(cause));
            assert_eq!(status.code(), Code::Unavailable);
            assert_eq!(
                status
                    .get_error_details()
                    .error_info()
                    .map(|i| i.reason.as_str()),
                Some("DATABASE_UNAVAILABLE")
            );
        }
    }

    #[test]
    fn invalid_argument_lists_every_field_in_bad_request() {
        let mut v = Violations::new();
        v.add("username", "too short");
        v.add("email", "not an email");
        let status = invalid_argument("stride.auth", &v);
        assert_eq!(status.code(), Code::InvalidArgument);
        let details = status.get_error_details();
        let bad = details.bad_request().expect("bad request present");
        let fields: Vec<_> = bad
            .field_violations
            .iter()
            .map(|f| f.field.as_str())
            .collect();
        assert_eq!(fields, ["username", "email"]);
        let info = details.error_info().expect("error info present");
        assert_eq!(info.domain, "stride.auth");
        assert_eq!(info.reason, "INVALID_ARGUMENT");
    }

    #[test]
    fn internal_hides_its_cause() {
        let status = internal("stride.fitness");
        assert_eq!(status.message(), INTERNAL_MESSAGE);
        assert_eq!(
            status
                .get_error_details()
                .error_info()
                .map(|i| i.reason.as_str()),
            Some("INTERNAL")
        );
    }
}
