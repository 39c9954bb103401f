//! The error model of both services (SPEC §3): every failure is a `tonic::Status` carrying
//! exactly one `ErrorInfo` (UPPER_SNAKE reason, service domain) and, for INVALID_ARGUMENT, a
//! `BadRequest` listing every violated field. Each service has its own error enum and maps it
//! once through these helpers.

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

/// Records a failure's code on the current RPC span (see `telemetry::rpc_span`).
fn record(code: Code) {
    tracing::Span::current().record("grpc.status", code as i32);
}

/// Builds a status with one `ErrorInfo`.
pub fn status(code: Code, domain: &str, reason: &str, message: impl Into<String>) -> Status {
    record(code);
    let details = ErrorDetails::with_error_info(
        reason,
        domain,
        std::collections::HashMap::<String, String>::new(),
    );
    Status::with_error_details(code, message, details)
}

/// Builds a status with hand-assembled details (e.g. `RetryInfo`); the caller includes exactly
/// one `ErrorInfo`.
pub fn with_details(code: Code, message: impl Into<String>, details: ErrorDetails) -> Status {
    record(code);
    Status::with_error_details(code, message, details)
}

/// Builds INVALID_ARGUMENT with an `ErrorInfo` and a `BadRequest` naming every violated field.
pub fn invalid_argument(domain: &str, violations: &Violations) -> Status {
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
pub fn internal(domain: &str) -> Status {
    status(Code::Internal, domain, "INTERNAL", INTERNAL_MESSAGE)
}

#[cfg(test)]
mod tests {
    use super::*;

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
