//! `stride.auth.v1.TokenIntrospectionService`: services holding the service key.

use shared::pb::auth::v1::token_introspection_service_server::TokenIntrospectionService;

/// Handler of `TokenIntrospectionService`.
#[derive(Debug, Clone, Default)]
pub struct IntrospectionApi;

#[tonic::async_trait]
impl TokenIntrospectionService for IntrospectionApi {}
