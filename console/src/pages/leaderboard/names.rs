//! Usernames for pages that list user ids (fitness keeps no names): asked of auth for one
//! page of rows at a time, a few calls at once. Admins only.

use std::collections::HashMap;

use futures::StreamExt as _;
use shared::pb::auth::v1::GetUserRequest;

use crate::error::ConsoleError;
use crate::grpc::Api;

/// Most `GetUser` calls in flight at once.
const LOOKUPS_AT_ONCE: usize = 8;

/// The usernames of `ids` (the caller must be an admin). Users auth no longer knows are left
/// out. The leaderboard and the admin pages use it, always for one page of rows.
pub(crate) async fn usernames<'a>(
    api: &Api,
    ids: impl Iterator<Item = &'a str>,
) -> Result<HashMap<String, String>, ConsoleError> {
    // Owned ids: a stream of futures borrowing their item trips the compiler's proof that the
    // handler's future is `Send`.
    let mut distinct: Vec<String> = ids.filter(|id| !id.is_empty()).map(str::to_owned).collect();
    distinct.sort_unstable();
    distinct.dedup();
    let lookups = futures::stream::iter(distinct)
        .map(|id| async move {
            let request = GetUserRequest {
                user_id: id.clone(),
            };
            let found = api
                .call(|c| {
                    let request = request.clone();
                    async move { c.admin().get_user(request).await }
                })
                .await;
            (id, found)
        })
        .buffer_unordered(LOOKUPS_AT_ONCE)
        .collect::<Vec<_>>()
        .await;
    let mut names = HashMap::new();
    for (id, found) in lookups {
        match found {
            Ok(user) => {
                names.insert(id, user.username);
            }
            Err(ConsoleError::Rpc(status)) => {
                tracing::debug!(code = ?status.code(), "no username for a user id");
            }
            Err(other) => return Err(other),
        }
    }
    Ok(names)
}
