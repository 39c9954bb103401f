//! gRPC handlers, one file per service: parse the request into validated domain values
//! (collecting every violation for one `BadRequest`), call the domain, map the result.

pub mod exercise;
pub mod stats;
pub mod workout;

use shared::error::{FieldViolation, Violations};
use tonic::{Request, Status};

use crate::auth::Caller;
use crate::error::Error;

/// The authenticated caller the auth layer put into the request, recorded on the RPC span.
pub(crate) fn caller<T>(request: &Request<T>) -> Result<Caller, Status> {
    let caller = request
        .extensions()
        .get::<Caller>()
        .cloned()
        // Only reachable if a service were mounted without the auth layer: refuse, never guess.
        .ok_or_else(|| Status::from(Error::Unauthenticated("MISSING_CREDENTIALS")))?;
    tracing::Span::current().record("user_id", caller.user_id.as_str());
    Ok(caller)
}

/// `prefix.name`, or `name` at the top level.
pub(crate) fn field(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}.{name}")
    }
}

/// Records each violation of `other` into `into`.
pub(crate) fn merge(into: &mut Violations, other: &Violations) {
    for v in other.fields() {
        into.add(v.field.clone(), v.description.clone());
    }
}

/// Records one field violation into `into`.
pub(crate) fn add(into: &mut Violations, violation: FieldViolation) {
    into.add(violation.field, violation.description);
}

/// Converts a domain result for the wire.
pub(crate) fn reply<T, U>(
    result: crate::error::Result<T>,
    map: impl FnOnce(T) -> U,
) -> Result<tonic::Response<U>, Status> {
    result
        .map(|v| tonic::Response::new(map(v)))
        .map_err(Status::from)
}

/// Saturating conversion of a stored count or sum to a proto `int32`.
pub(crate) fn int32(value: i64) -> i32 {
    i32::try_from(value).unwrap_or(if value < 0 { i32::MIN } else { i32::MAX })
}
