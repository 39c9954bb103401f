//! What a client reads from an error status: its code, its `ErrorInfo` reason and the fields
//! its `BadRequest` names.

use tonic::{Code, Status};
use tonic_types::StatusExt;

/// The `ErrorInfo` reason of a status (empty when it has none).
pub fn reason(status: &Status) -> String {
    status
        .get_error_details()
        .error_info()
        .map(|i| i.reason.clone())
        .unwrap_or_default()
}

/// The fields named by the `BadRequest` of an INVALID_ARGUMENT status, sorted.
#[track_caller]
pub fn bad_fields(status: &Status) -> Vec<String> {
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    let mut fields: Vec<String> = status
        .get_error_details()
        .bad_request()
        .map(|b| b.field_violations.iter().map(|v| v.field.clone()).collect())
        .unwrap_or_default();
    fields.sort();
    fields
}

/// Asserts `result` is INVALID_ARGUMENT naming exactly `fields`, with that reason.
#[track_caller]
pub fn assert_bad<T: std::fmt::Debug>(result: Result<T, Status>, fields: &[&str]) {
    let status = result.expect_err("the request is rejected");
    let mut expected: Vec<String> = fields.iter().map(|f| f.to_string()).collect();
    expected.sort();
    assert_eq!(bad_fields(&status), expected, "{status:?}");
    assert_eq!(reason(&status), "INVALID_ARGUMENT");
}

/// Asserts `result` failed with `code`, and returns the status.
#[track_caller]
pub fn assert_code<T: std::fmt::Debug>(result: Result<T, Status>, code: Code) -> Status {
    let status = result.expect_err("the request fails");
    assert_eq!(status.code(), code, "{status:?}");
    status
}

/// The `RetryInfo` delay of a status (RESOURCE_EXHAUSTED carries one), if it has one.
pub fn retry_after(status: &Status) -> Option<std::time::Duration> {
    status.get_error_details().retry_info()?.retry_delay
}
