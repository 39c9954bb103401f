//! SessionService: listing, token trees, revoking sessions and tokens, ownership.

mod listing;
mod ownership;
mod revoking;

use shared::pb::auth::v1::GetMeRequest;
use testkit::TestAuth;

use crate::helpers::*;

/// Whether `access` still gets the caller's profile.
pub async fn works(auth: &TestAuth, access: &str) -> bool {
    user_client(auth)
        .await
        .get_me(bearer(GetMeRequest {}, access))
        .await
        .is_ok()
}
