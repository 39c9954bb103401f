//! Helpers of the auth tests that only auth needs: clients of its services, sign-in shortcuts
//! that return token pairs, service-key requests, database shortcuts, JWT decoding, and a
//! forger that signs arbitrary tokens with the service's own key. What fitness's tests need
//! too (users, bearer tokens, status details, polling) lives in `testkit`, re-exported here.
#![allow(dead_code)] // Each test module uses a different subset.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use shared::db::Flag;
use shared::pb::auth::v1::{
    GetJwksRequest, GetJwksResponse, IntrospectTokenRequest, IntrospectTokenResponse,
    LoginResponse, RefreshRequest, RegisterResponse, TokenPair,
    admin_service_client::AdminServiceClient, auth_service_client::AuthServiceClient,
    session_service_client::SessionServiceClient,
    token_introspection_service_client::TokenIntrospectionServiceClient,
    user_service_client::UserServiceClient,
};
use testkit::TestAuth;
use tonic::transport::Channel;
use tonic::{Request, Status};

pub use testkit::bearer::bearer;
pub use testkit::poll::eventually;
pub use testkit::status::{bad_fields, reason};
pub use testkit::users::{OTHER_PASSWORD, PASSWORD, registration};

/// The service key of `Config::for_tests`.
pub const SERVICE_KEY: &str = "test-service-key";

pub async fn auth_client(auth: &TestAuth) -> AuthServiceClient<Channel> {
    AuthServiceClient::new(auth.channel().await)
}

pub async fn user_client(auth: &TestAuth) -> UserServiceClient<Channel> {
    UserServiceClient::new(auth.channel().await)
}

pub async fn admin_client(auth: &TestAuth) -> AdminServiceClient<Channel> {
    AdminServiceClient::new(auth.channel().await)
}

pub async fn session_client(auth: &TestAuth) -> SessionServiceClient<Channel> {
    SessionServiceClient::new(auth.channel().await)
}

pub async fn introspection_client(auth: &TestAuth) -> TokenIntrospectionServiceClient<Channel> {
    TokenIntrospectionServiceClient::new(auth.channel().await)
}

/// The JWKS the service serves.
pub async fn jwks(auth: &TestAuth) -> GetJwksResponse {
    auth_client(auth)
        .await
        .get_jwks(GetJwksRequest {})
        .await
        .unwrap()
        .into_inner()
}

/// Registers `username` with [`PASSWORD`].
pub async fn register(auth: &TestAuth, username: &str) -> RegisterResponse {
    testkit::users::register(auth.channel().await, username).await
}

/// Registers `username` and returns its first token pair.
pub async fn signed_up(auth: &TestAuth, username: &str) -> TokenPair {
    register(auth, username).await.tokens.unwrap()
}

/// Logs in without a device label; the error status when it fails.
pub async fn login(auth: &TestAuth, login: &str, password: &str) -> Result<LoginResponse, Status> {
    testkit::users::login(auth.channel().await, login, password, "").await
}

/// Logs `username` in again with [`PASSWORD`] (a second session) on `device`.
pub async fn sign_in(auth: &TestAuth, username: &str, device: &str) -> TokenPair {
    testkit::users::login(auth.channel().await, username, PASSWORD, device)
        .await
        .expect("login succeeds")
        .tokens
        .unwrap()
}

/// `AuthService.Refresh`.
pub async fn refresh(auth: &TestAuth, refresh_token: &str) -> Result<TokenPair, Status> {
    auth_client(auth)
        .await
        .refresh(RefreshRequest {
            refresh_token: refresh_token.to_owned(),
        })
        .await
        .map(|r| r.into_inner().tokens.unwrap())
}

/// The access token of a registration.
pub fn access(response: &RegisterResponse) -> String {
    response.tokens.as_ref().unwrap().access_token.clone()
}

/// `message` with the service key.
pub fn with_key<T>(message: T) -> Request<T> {
    let mut request = Request::new(message);
    request
        .metadata_mut()
        .insert("x-stride-service-key", SERVICE_KEY.parse().unwrap());
    request
}

/// `IntrospectToken` with the service key.
pub async fn introspect(auth: &TestAuth, token: &str) -> IntrospectTokenResponse {
    introspection_client(auth)
        .await
        .introspect_token(with_key(IntrospectTokenRequest {
            token: token.to_owned(),
        }))
        .await
        .unwrap()
        .into_inner()
}

/// Makes `user_id` an admin directly in the database.
pub async fn make_admin(auth: &TestAuth, user_id: &str) {
    sqlx::query("UPDATE users SET role = 'ADMIN' WHERE id = $1")
        .bind(user_id)
        .execute(auth.db.pool())
        .await
        .unwrap();
}

/// Registers an admin and returns its access token (role read live from the database).
pub async fn admin_token(auth: &TestAuth) -> String {
    let admin = register(auth, "root_admin").await;
    make_admin(auth, &admin.user.as_ref().unwrap().id).await;
    access(&admin)
}

/// Counts security events of `event_type`.
pub async fn event_count(auth: &TestAuth, event_type: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM security_events WHERE event_type = $1")
        .bind(event_type)
        .fetch_one(auth.db.pool())
        .await
        .unwrap()
}

/// The `jti` claim of a token.
pub fn jti_of(token: &str) -> String {
    claims_of(token)["jti"].as_str().unwrap().to_owned()
}

/// The decoded (unverified) claims of a JWT.
pub fn claims_of(token: &str) -> serde_json::Value {
    decode_part(token, 1)
}

/// The decoded header of a JWT.
pub fn header_of(token: &str) -> serde_json::Value {
    decode_part(token, 0)
}

fn decode_part(token: &str, index: usize) -> serde_json::Value {
    use base64::Engine as _;
    let part = token.split('.').nth(index).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// Signs arbitrary headers and claims with the service's active key (stored unencrypted in
/// tests without a master key), to present tokens the service did not mint.
pub struct Forger {
    pub kid: String,
    key: EncodingKey,
}

impl Forger {
    pub async fn new(auth: &TestAuth) -> Self {
        let (kid, der, encrypted): (String, Vec<u8>, Flag) = sqlx::query_as(
            "SELECT kid, private_key, encrypted FROM signing_keys WHERE retired_at IS NULL",
        )
        .fetch_one(auth.db.pool())
        .await
        .unwrap();
        assert!(!encrypted.0, "forging needs an unencrypted key");
        Self {
            kid,
            key: EncodingKey::from_ed_der(&der),
        }
    }

    pub fn sign(&self, typ: &str, claims: &serde_json::Value) -> String {
        let mut header = Header::new(Algorithm::EdDSA);
        header.typ = Some(typ.to_owned());
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.key).unwrap()
    }
}
