//! `stride.auth.v1.SessionService`: the signed-in user's sessions and token trees.

use shared::pb::auth::v1::session_service_server::SessionService;

/// Handler of `SessionService`.
#[derive(Debug, Clone, Default)]
pub struct SessionApi;

#[tonic::async_trait]
impl SessionService for SessionApi {}
