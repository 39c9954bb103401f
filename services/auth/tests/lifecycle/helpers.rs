//! Helpers of the lifecycle tests: clients, sign-up shortcuts, service-key requests, status
//! details, and a forger signing arbitrary tokens with the service's own key.
#![allow(dead_code)] // Each test module uses a different subset.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use shared::db::Flag;
use shared::pb::auth::v1::{
    IntrospectTokenRequest, IntrospectTokenResponse, LoginRequest, RefreshRequest, RegisterRequest,
    RegisterResponse, TokenPair, auth_service_client::AuthServiceClient,
    session_service_client::SessionServiceClient,
    token_introspection_service_client::TokenIntrospectionServiceClient,
    user_service_client::UserServiceClient,
};
use testkit::TestAuth;
use tonic::transport::Channel;
use tonic::{Request, Status};
use tonic_types::StatusExt;

/// A password zxcvbn rates strong.
pub const PASSWORD: &str = "violet-kettle-orbit-9172";
/// The service key of `Config::for_tests`.
pub const SERVICE_KEY: &str = "test-service-key";

pub async fn auth_client(auth: &TestAuth) -> AuthServiceClient<Channel> {
    AuthServiceClient::new(auth.channel().await)
}

pub async fn user_client(auth: &TestAuth) -> UserServiceClient<Channel> {
    UserServiceClient::new(auth.channel().await)
}

pub async fn session_client(auth: &TestAuth) -> SessionServiceClient<Channel> {
    SessionServiceClient::new(auth.channel().await)
}

pub async fn introspection_client(auth: &TestAuth) -> TokenIntrospectionServiceClient<Channel> {
    TokenIntrospectionServiceClient::new(auth.channel().await)
}

pub fn registration(username: &str) -> RegisterRequest {
    RegisterRequest {
        username: username.to_owned(),
        email: format!("{username}@example.com"),
        password: PASSWORD.to_owned(),
        first_name: "Ada".to_owned(),
        last_name: "Lovelace".to_owned(),
        device_label: "laptop".to_owned(),
    }
}

/// Registers `username` and returns the response.
pub async fn register(auth: &TestAuth, username: &str) -> RegisterResponse {
    auth_client(auth)
        .await
        .register(registration(username))
        .await
        .expect("registration succeeds")
        .into_inner()
}

/// Registers `username` and returns its first token pair.
pub async fn signed_up(auth: &TestAuth, username: &str) -> TokenPair {
    register(auth, username).await.tokens.unwrap()
}

/// Logs `username` in again (a second session) with a device label.
pub async fn login(auth: &TestAuth, username: &str, device: &str) -> TokenPair {
    auth_client(auth)
        .await
        .login(LoginRequest {
            login: username.to_owned(),
            password: PASSWORD.to_owned(),
            device_label: device.to_owned(),
        })
        .await
        .expect("login succeeds")
        .into_inner()
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

/// `message` with `authorization: Bearer <token>`.
pub fn bearer<T>(message: T, token: &str) -> Request<T> {
    let mut request = Request::new(message);
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    request
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

/// The `ErrorInfo` reason of a status.
pub fn reason(status: &Status) -> String {
    status
        .get_error_details()
        .error_info()
        .map(|i| i.reason.clone())
        .unwrap_or_default()
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

/// Signs arbitrary headers and claims with the service's active key (unencrypted in tests).
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

/// Polls `check` every 10 ms until it holds, failing after 5 s.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    while !check().await {
        assert!(tokio::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}
