//! Two auth replicas on one PostgreSQL database (`testkit::replicas`): requests spread over
//! both are decided as if one server had answered them all, because every rule lives in the
//! shared rows: rotation and reuse detection, and the lockout count.

mod lockout;
mod refresh;

use shared::db::Db;
use shared::pb::auth::v1::auth_service_client::AuthServiceClient;
use shared::pb::auth::v1::token_introspection_service_client::TokenIntrospectionServiceClient;
use shared::pb::auth::v1::{IntrospectTokenRequest, IntrospectTokenResponse};
use testkit::replicas::Replicas;
use tonic::transport::Channel;

use crate::helpers::with_key;

/// `AuthService` clients of auth-1 and auth-2.
async fn auth_clients(replicas: &Replicas) -> [AuthServiceClient<Channel>; 2] {
    replicas.auth_channels().await.map(AuthServiceClient::new)
}

/// Security events of `event_type` in the shared auth database.
async fn event_count(db: &Db, event_type: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM security_events WHERE event_type = $1")
        .bind(event_type)
        .fetch_one(db.pool())
        .await
        .unwrap()
}

/// `IntrospectToken` of `token` at the auth replica behind `channel`, with the service key.
async fn introspect_at(channel: Channel, token: &str) -> IntrospectTokenResponse {
    TokenIntrospectionServiceClient::new(channel)
        .introspect_token(with_key(IntrospectTokenRequest {
            token: token.to_owned(),
        }))
        .await
        .unwrap()
        .into_inner()
}
