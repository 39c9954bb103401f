//! AIP-155 request ids: the first response of a create is stored with its key, in the same
//! transaction, and replayed to any retry from the same user.
//!
//! Reusing a key for a *different* method is INVALID_ARGUMENT on `request_id`: the key names
//! one request, and silently returning a response of another type would be worse than useless.
//! Every write transaction of a user first locks the user's stats row, so two concurrent
//! retries are serialised and the second always sees the first's record.

use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::AnyConnection;

use super::ids::{RequestId, UserId};
use crate::error::{Error, Result};
use crate::store::request_ids;

/// The stored response of `request_id`, if this user has used it for `method` before.
pub async fn replay<T: DeserializeOwned>(
    conn: &mut AnyConnection,
    user_id: &UserId,
    request_id: Option<&RequestId>,
    method: &str,
) -> Result<Option<T>> {
    let Some(request_id) = request_id else {
        return Ok(None);
    };
    let Some((stored_method, response)) =
        request_ids::find(conn, user_id, request_id.as_str()).await?
    else {
        return Ok(None);
    };
    if stored_method != method {
        return Err(Error::invalid(
            "request_id",
            format!("already used for {stored_method}; use a new request id"),
        ));
    }
    serde_json::from_slice(&response).map(Some).map_err(|e| {
        Error::internal(format_args!(
            "stored response of {method} is unreadable: {e}"
        ))
    })
}

/// Stores `response` as the answer to `request_id` (nothing when there is no key).
pub async fn record<T: Serialize>(
    conn: &mut AnyConnection,
    user_id: &UserId,
    request_id: Option<&RequestId>,
    method: &str,
    response: &T,
    now: i64,
) -> Result<()> {
    let Some(request_id) = request_id else {
        return Ok(());
    };
    let bytes = serde_json::to_vec(response).map_err(|e| {
        Error::internal(format_args!("cannot encode the response of {method}: {e}"))
    })?;
    request_ids::insert(conn, user_id, request_id.as_str(), method, &bytes, now).await?;
    Ok(())
}
