//! `stride.auth.v1.TokenIntrospectionService`: services holding the service key.

use shared::pb::auth::v1::token_introspection_service_server::TokenIntrospectionService;

use crate::app::AppState;

/// Handler of `TokenIntrospectionService`.
#[derive(Debug, Clone)]
pub struct IntrospectionApi {
    #[allow(dead_code)] // Used by the introspection RPCs (token lifecycle issue).
    state: AppState,
}

impl IntrospectionApi {
    /// A handler over the shared state.
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

#[tonic::async_trait]
impl TokenIntrospectionService for IntrospectionApi {}
