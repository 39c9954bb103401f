//! gRPC handlers, one file per service: parse the request into a validated domain input
//! (`Input::try_from(request)`, collecting every violation for one `BadRequest`), call the
//! domain operation, map the result to the wire.

pub(crate) mod catalogue;
pub(crate) mod data;
pub(crate) mod exercise;
pub(crate) mod stats;
pub(crate) mod workout;

use prost_types::FieldMask;
use shared::credentials::MISSING_TOKEN;
use shared::error::Violations;
use tonic::{Request, Response, Status};

use crate::auth::Caller;
use crate::domain::ids::{Id, RequestId};
use crate::domain::{Batch, Create, MAX_BATCH};
use crate::error::{Error, Result};

/// The authenticated caller the auth layer put into the request, recorded on the RPC span.
pub(crate) fn caller<T>(request: &Request<T>) -> Result<Caller, Status> {
    let caller = request
        .extensions()
        .get::<Caller>()
        .cloned()
        // Only reachable if a service were mounted without the auth layer: refuse, never guess.
        .ok_or_else(|| Status::from(Error::Unauthenticated(MISSING_TOKEN)))?;
    tracing::Span::current().record("user_id", &*caller.user_id);
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

/// The parsed value when nothing was violated, else every violation. Parsers leave `value`
/// `None` only after recording why.
pub(crate) fn parsed<T>(violations: Violations, value: Option<T>) -> Result<T> {
    match value {
        Some(value) if violations.is_empty() => Ok(value),
        _ => Err(Error::InvalidArgument(violations)),
    }
}

/// The id in the request field `name`.
pub(crate) fn id(name: &str, raw: &str) -> Result<Id> {
    Id::parse(raw).map_err(|description| Error::invalid(name, description))
}

/// A create request: its item parsed by `item`, and its optional `request_id`.
pub(crate) fn create<T>(
    request_id: &str,
    item: impl FnOnce(&mut Violations) -> Option<T>,
) -> Result<Create<T>> {
    let mut v = Violations::new();
    let item = item(&mut v);
    let request_id = v
        .check("request_id", RequestId::parse(request_id))
        .flatten();
    parsed(v, item.map(|item| Create { item, request_id }))
}

/// A batch create request: each of its `requests` parsed by `item` at its path
/// `requests[i]`, 1 to [`MAX_BATCH`] of them, and its optional `request_id`.
pub(crate) fn batch<R, T>(
    requests: &[R],
    request_id: &str,
    mut item: impl FnMut(&R, &str, &mut Violations) -> Option<T>,
) -> Result<Batch<T>> {
    let create = create(request_id, |v| {
        if requests.is_empty() || requests.len() > MAX_BATCH {
            v.add("requests", format!("between 1 and {MAX_BATCH} items"));
        }
        let requests = requests.iter().take(MAX_BATCH).enumerate();
        let items = requests.filter_map(|(i, r)| item(r, &format!("requests[{i}]"), v));
        Some(items.collect())
    })?;
    Ok(Batch {
        items: create.item,
        request_id: create.request_id,
    })
}

/// `TryFrom<Request> for Id`, for each request that names one resource by its `id` only.
macro_rules! id_requests {
    ($($request:ty),+ $(,)?) => {$(
        impl TryFrom<$request> for crate::domain::ids::Id {
            type Error = crate::error::Error;

            fn try_from(request: $request) -> crate::error::Result<Self> {
                crate::rpc::id("id", &request.id)
            }
        }
    )+};
}
pub(crate) use id_requests;

/// The paths an update touches (AIP-134): those of `mask`, each one of `fields`, or without
/// a mask the populated ones. `fields` pairs each updatable path with whether the request
/// populates it. Problems with the mask are recorded into `v` and touch nothing.
pub(crate) fn update_paths(
    mask: Option<&FieldMask>,
    fields: &[(&'static str, bool)],
    v: &mut Violations,
) -> Vec<&'static str> {
    let updatable: Vec<&'static str> = fields.iter().map(|&(path, _)| path).collect();
    let populated: Vec<&'static str> = fields
        .iter()
        .filter_map(|&(path, set)| set.then_some(path))
        .collect();
    shared::mask::paths(mask, &updatable, &populated).unwrap_or_else(|mask| {
        for violation in mask.fields() {
            v.add(violation.field.clone(), violation.description.clone());
        }
        Vec::new()
    })
}

/// Converts a domain result for the wire.
pub(crate) fn reply<T, U>(
    result: Result<T>,
    map: impl FnOnce(T) -> U,
) -> Result<Response<U>, Status> {
    result.map(|v| Response::new(map(v))).map_err(Status::from)
}

/// Saturating conversion of a stored count or sum to a proto `int32`.
pub(crate) fn int32(value: i64) -> i32 {
    i32::try_from(value).unwrap_or(if value < 0 { i32::MIN } else { i32::MAX })
}
