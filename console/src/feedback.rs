//! gRPC errors as a person reads them: a sentence for the page, and the `BadRequest` field
//! violations next to the fields that caused them.

use std::collections::BTreeMap;
use std::time::Duration;

use tonic::{Code, Status};
use tonic_types::StatusExt as _;

/// What a failed call means for the form that made it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Feedback {
    /// One sentence for the top of the form; empty when the fields say it all.
    pub(crate) message: String,
    /// Field name (as the API names it) → what is wrong with it.
    pub(crate) fields: BTreeMap<String, String>,
    /// When the same request may succeed (`RetryInfo`).
    pub(crate) retry_after: Option<Duration>,
}

impl Feedback {
    /// A message with no field errors.
    pub(crate) fn message(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            ..Self::default()
        }
    }

    /// One field's error.
    pub(crate) fn field(field: &str, message: impl Into<String>) -> Self {
        let mut fields = BTreeMap::new();
        fields.insert(field.to_owned(), message.into());
        Self {
            fields,
            ..Self::default()
        }
    }

    /// The error shown beside `field`, if any.
    pub(crate) fn for_field(&self, field: &str) -> Option<&str> {
        self.fields.get(field).map(String::as_str)
    }

    /// True when there is nothing to show.
    pub(crate) fn is_empty(&self) -> bool {
        self.message.is_empty() && self.fields.is_empty()
    }

    /// The feedback of a refused call.
    pub(crate) fn from_status(status: &Status) -> Self {
        let details = status.get_error_details();
        let mut fields = BTreeMap::new();
        if let Some(bad_request) = details.bad_request() {
            for violation in &bad_request.field_violations {
                fields
                    .entry(violation.field.clone())
                    .or_insert_with(|| sentence(&violation.description));
            }
        }
        let retry_after = details
            .retry_info()
            .and_then(|info| info.retry_delay)
            .filter(|delay| !delay.is_zero());
        let reason = reason(status);
        let message = match (status.code(), reason.as_deref()) {
            (Code::InvalidArgument, _) if !fields.is_empty() => {
                "Please correct the fields marked below.".to_owned()
            }
            (_, Some(reason)) if explain(reason).is_some() => {
                explain(reason).unwrap_or_default().to_owned()
            }
            (code, _) => by_code(code, status.message()),
        };
        let message = match retry_after {
            Some(delay) => format!("{message} Try again in {}.", wait(delay)),
            None => message,
        };
        Self {
            message,
            fields,
            retry_after,
        }
    }
}

pub(crate) use shared::error::reason;

/// A readable sentence for the reasons the services give.
fn explain(reason: &str) -> Option<&'static str> {
    Some(match reason {
        "INVALID_CREDENTIALS" => "Wrong username or password.",
        "ACCOUNT_LOCKED" => "This account is locked after too many failed sign-ins.",
        "ACCOUNT_THROTTLED" | "TOO_MANY_ATTEMPTS" => "Too many attempts.",
        "USER_INACTIVE" => "This account is deactivated.",
        "EMAIL_NOT_VERIFIED" => "Verify your email address first: follow the link we mailed you.",
        "USERNAME_TAKEN" => "That username is taken.",
        "EMAIL_TAKEN" => "That email address is taken.",
        "CANNOT_DEMOTE_SELF" => "You cannot change your own role.",
        "CANNOT_DELETE_SELF" => "You cannot delete your own account here.",
        "MFA_REQUIRED" => "Enter a code from your authenticator app.",
        "INVALID_MFA_CODE" => "That code is not right.",
        "INVALID_MFA_CHALLENGE" => "This sign-in has expired; sign in again.",
        "PASSWORD_REQUIRED" => "Enter your current password.",
        "ROTATION_IN_PROGRESS" => "A key rotation is already in progress.",
        "DATABASE_UNAVAILABLE" | "REVOCATION_UNAVAILABLE" | "SIGNING_KEYS_UNAVAILABLE" => {
            "The service is briefly unavailable."
        }
        _ => return None,
    })
}

fn by_code(code: Code, message: &str) -> String {
    match code {
        Code::InvalidArgument => sentence(message),
        Code::PermissionDenied => "You are not allowed to do that.".to_owned(),
        Code::NotFound => "Not found: it may have been deleted.".to_owned(),
        Code::AlreadyExists => "That already exists.".to_owned(),
        Code::Unauthenticated => "Your session has ended; sign in again.".to_owned(),
        Code::ResourceExhausted => "Too many requests.".to_owned(),
        Code::Unavailable | Code::DeadlineExceeded => {
            "The service is briefly unavailable; try again in a moment.".to_owned()
        }
        Code::FailedPrecondition => sentence(message),
        _ => "Something went wrong on our side; try again.".to_owned(),
    }
}

/// `text` with a capital first letter and a full stop.
fn sentence(text: &str) -> String {
    let mut chars = text.trim().chars();
    let mut out: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => return String::new(),
    };
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}

/// "45 seconds", "3 minutes", "2 hours".
pub(crate) fn wait(delay: Duration) -> String {
    let secs = delay.as_secs().max(1);
    let (n, unit) = if secs < 90 {
        (secs, "second")
    } else if secs < 90 * 60 {
        (secs.div_ceil(60), "minute")
    } else {
        (secs.div_ceil(3600), "hour")
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use tonic_types::{ErrorDetails, StatusExt as _};

    use super::*;

    #[test]
    fn field_violations_land_beside_their_fields() {
        let mut details = ErrorDetails::new();
        details.add_bad_request_violation("email", "must be a valid email address");
        details.add_bad_request_violation("username", "must be 3-32 characters");
        let status = Status::with_error_details(Code::InvalidArgument, "invalid", details);
        let feedback = Feedback::from_status(&status);
        assert_eq!(
            feedback.for_field("email"),
            Some("Must be a valid email address.")
        );
        assert_eq!(
            feedback.for_field("username"),
            Some("Must be 3-32 characters.")
        );
        assert_eq!(feedback.message, "Please correct the fields marked below.");
    }

    #[test]
    fn a_lockout_says_when_to_retry() {
        let mut details = ErrorDetails::new();
        details.set_error_info(
            "ACCOUNT_LOCKED",
            "stride.auth",
            std::collections::HashMap::new(),
        );
        details.set_retry_info(Some(Duration::from_secs(900)));
        let status = Status::with_error_details(Code::ResourceExhausted, "locked", details);
        let feedback = Feedback::from_status(&status);
        assert_eq!(
            feedback.message,
            "This account is locked after too many failed sign-ins. Try again in 15 minutes."
        );
        assert_eq!(feedback.retry_after, Some(Duration::from_secs(900)));
    }

    #[test]
    fn waits_read_naturally() {
        assert_eq!(wait(Duration::from_secs(1)), "1 second");
        assert_eq!(wait(Duration::from_secs(61)), "61 seconds");
        assert_eq!(wait(Duration::from_secs(3600)), "60 minutes");
        assert_eq!(wait(Duration::from_secs(3 * 3600)), "3 hours");
    }
}
