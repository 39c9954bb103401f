//! `stride.auth.v1.AuthService`: anyone (register, login, refresh, logout, JWKS).

use shared::pb::auth::v1::auth_service_server::AuthService;

/// Handler of `AuthService`.
#[derive(Debug, Clone, Default)]
pub struct AuthApi;

#[tonic::async_trait]
impl AuthService for AuthApi {}
