//! `stride.auth.v1.SessionService`: the signed-in user's sessions and token trees.

use shared::pb::auth::v1::session_service_server::SessionService;

use crate::app::AppState;

/// Handler of `SessionService`.
#[derive(Debug, Clone)]
pub struct SessionApi {
    #[allow(dead_code)] // Used by the SessionService RPCs (token lifecycle issue).
    state: AppState,
}

impl SessionApi {
    /// A handler over the shared state.
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

#[tonic::async_trait]
impl SessionService for SessionApi {}
