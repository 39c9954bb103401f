//! Why a command failed, and how that reads on stderr.
//!
//! Usage and configuration mistakes exit with status 2; everything else (a gRPC error, an
//! unreachable server, a file that cannot be written) with status 1. A gRPC error is one line
//! with its code, message and `ErrorInfo` reason, followed by one indented line per
//! `BadRequest` field violation, so a person sees every problem with a request at once.

use std::fmt::Write as _;
use std::process::ExitCode;

use shared::config::ConfigError;
use tonic::{Code, Status};
use tonic_types::StatusExt;

/// Why a command failed.
#[derive(Debug)]
pub enum Failure {
    /// Invalid configuration (a `STRIDE_*` variable): one line, exit code 2.
    Config(ConfigError),
    /// The command line cannot be acted on (e.g. no password and no terminal): exit code 2.
    Usage(String),
    /// A server answered with an error status: exit code 1.
    Status {
        /// The status as received.
        status: Box<Status>,
        /// What the person can do about it, when the CLI knows better than the server.
        hint: Option<&'static str>,
    },
    /// Anything else (unreachable server, unreadable credentials…): one line, exit code 1.
    Other(String),
}

impl Failure {
    /// The process exit code for this failure.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Failure::Config(_) | Failure::Usage(_) => ExitCode::from(2),
            Failure::Status { .. } | Failure::Other(_) => ExitCode::FAILURE,
        }
    }

    /// The text printed on stderr, each line prefixed for grep-ability with `stride: `.
    pub fn render(&self) -> String {
        match self {
            Failure::Config(err) => format!("stride: {err}"),
            Failure::Usage(message) => format!("stride: {message}"),
            Failure::Other(message) => format!("stride: {message}"),
            Failure::Status { status, hint } => {
                let mut text = format!("stride: {}", describe_status(status));
                if let Some(hint) = hint {
                    let _ = write!(text, "\nstride: hint: {hint}");
                }
                text
            }
        }
    }

    /// A status failure with a hint for the person.
    pub fn status_with_hint(status: Status, hint: &'static str) -> Self {
        Failure::Status {
            status: Box::new(status),
            hint: Some(hint),
        }
    }
}

impl From<ConfigError> for Failure {
    fn from(err: ConfigError) -> Self {
        Failure::Config(err)
    }
}

impl From<Status> for Failure {
    fn from(status: Status) -> Self {
        Failure::Status {
            status: Box::new(status),
            hint: None,
        }
    }
}

/// `CODE: message [REASON]`, then `  field: description` per violated field and the retry
/// delay when the server sent one.
pub fn describe_status(status: &Status) -> String {
    let violations = status
        .get_details_bad_request()
        .map(|b| b.field_violations)
        .unwrap_or_default();
    // Servers often repeat the violations in the message; listing them twice helps nobody.
    let message = if !violations.is_empty()
        && violations.iter().all(|v| {
            status
                .message()
                .contains(&format!("{}: {}", v.field, v.description))
        }) {
        match violations.len() {
            1 => "1 invalid field".to_owned(),
            n => format!("{n} invalid fields"),
        }
    } else {
        status.message().to_owned()
    };
    let mut text = format!("{}: {message}", code_name(status.code()));
    if let Some(info) = status.get_details_error_info() {
        // The reason repeats the code for plain errors (INVALID_ARGUMENT, NOT_FOUND): only a
        // more specific reason adds information.
        if !info.reason.is_empty() && info.reason != code_name(status.code()) {
            let _ = write!(text, " [{}]", info.reason);
        }
    }
    for violation in violations {
        let _ = write!(text, "\n  {}: {}", violation.field, violation.description);
    }
    if let Some(delay) = status
        .get_details_retry_info()
        .and_then(|retry| retry.retry_delay)
    {
        let _ = write!(text, "\n  retry in {}s", delay.as_secs().max(1));
    }
    text
}

// The `ErrorInfo` reason of a status (`MFA_REQUIRED`, `INVALID_CREDENTIALS`, …): what tells
// apart answers that share a code.
pub use shared::error::reason;

/// The canonical upper-case name of a gRPC code, as the gRPC documentation and grpcurl print it.
pub fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

/// An error with its chain of causes on one line (`a: b: c`): transport errors say little at
/// the top level ("transport error") and the useful part ("Connection refused") is a source.
pub fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            let _ = write!(text, ": {cause_text}");
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::time::Duration;

    use tonic_types::ErrorDetails;

    use super::*;

    #[test]
    fn a_plain_status_is_one_line_with_its_code_and_message() {
        let status = Status::not_found("workout not found");
        assert_eq!(describe_status(&status), "NOT_FOUND: workout not found");
    }

    #[test]
    fn bad_request_violations_follow_on_indented_lines() {
        let mut details =
            ErrorDetails::with_error_info("INVALID_ARGUMENT", "stride.fitness", HashMap::new());
        details.add_bad_request_violation("workout.title", "must not be empty");
        details.add_bad_request_violation("workout.date", "expected YYYY-MM-DD");
        let status = Status::with_error_details(Code::InvalidArgument, "2 invalid fields", details);
        assert_eq!(
            describe_status(&status),
            "INVALID_ARGUMENT: 2 invalid fields\n  workout.title: must not be empty\n  \
             workout.date: expected YYYY-MM-DD"
        );
    }

    #[test]
    fn violations_already_in_the_message_are_listed_once() {
        let mut details =
            ErrorDetails::with_error_info("INVALID_ARGUMENT", "stride.fitness", HashMap::new());
        details.add_bad_request_violation("workout.title", "required");
        details.add_bad_request_violation("workout.date", "must be YYYY-MM-DD");
        let status = Status::with_error_details(
            Code::InvalidArgument,
            "workout.title: required; workout.date: must be YYYY-MM-DD",
            details,
        );
        assert_eq!(
            describe_status(&status),
            "INVALID_ARGUMENT: 2 invalid fields\n  workout.title: required\n  \
             workout.date: must be YYYY-MM-DD"
        );
    }

    #[test]
    fn a_specific_reason_and_a_retry_delay_are_shown() {
        let mut details =
            ErrorDetails::with_error_info("ACCOUNT_LOCKED", "stride.auth", HashMap::new());
        details.set_retry_info(Some(Duration::from_secs(60)));
        let status = Status::with_error_details(Code::ResourceExhausted, "locked", details);
        assert_eq!(
            describe_status(&status),
            "RESOURCE_EXHAUSTED: locked [ACCOUNT_LOCKED]\n  retry in 60s"
        );
    }

    #[test]
    fn usage_and_config_failures_exit_2_and_the_rest_exit_1() {
        assert_eq!(Failure::Usage("x".into()).exit_code(), ExitCode::from(2));
        let config = ConfigError::new("STRIDE_AUTH_URL", "ftp://x", "expected http");
        assert_eq!(Failure::Config(config).exit_code(), ExitCode::from(2));
        assert_eq!(
            Failure::from(Status::internal("boom")).exit_code(),
            ExitCode::FAILURE
        );
        assert_eq!(Failure::Other("x".into()).exit_code(), ExitCode::FAILURE);
    }

    #[test]
    fn the_reason_comes_from_the_error_info() {
        let details = ErrorDetails::with_error_info("MFA_REQUIRED", "stride.auth", HashMap::new());
        let status = Status::with_error_details(Code::FailedPrecondition, "x", details);
        assert_eq!(reason(&status).as_deref(), Some("MFA_REQUIRED"));
        assert_eq!(reason(&Status::internal("boom")), None);
    }

    #[test]
    fn a_hint_follows_the_status_line() {
        let failure = Failure::status_with_hint(
            Status::unauthenticated("session revoked"),
            "sign in again with `stride login`",
        );
        assert_eq!(
            failure.render(),
            "stride: UNAUTHENTICATED: session revoked\n\
             stride: hint: sign in again with `stride login`"
        );
    }

    #[test]
    fn an_error_chain_reads_as_one_line_without_repeats() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "Connection refused");
        let outer = std::io::Error::other(io);
        assert_eq!(chain(&outer), "Connection refused");
    }
}
