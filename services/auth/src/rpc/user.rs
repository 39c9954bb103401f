//! `stride.auth.v1.UserService`: the signed-in user's own account.

use shared::pb::auth::v1::user_service_server::UserService;

/// Handler of `UserService`.
#[derive(Debug, Clone, Default)]
pub struct UserApi;

#[tonic::async_trait]
impl UserService for UserApi {}
