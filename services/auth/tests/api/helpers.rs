//! Helpers shared by the auth API tests: clients, sign-up/sign-in shortcuts, status details,
//! and a forger that signs arbitrary tokens with the service's own key.
#![allow(dead_code)] // Each test module uses a different subset.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use shared::db::Flag;
use shared::pb::auth::v1::{
    LoginRequest, LoginResponse, RegisterRequest, RegisterResponse,
    admin_service_client::AdminServiceClient, auth_service_client::AuthServiceClient,
    user_service_client::UserServiceClient,
};
use testkit::TestAuth;
use tonic::transport::Channel;
use tonic::{Code, Request, Status};
use tonic_types::StatusExt;

/// A password zxcvbn rates strong.
pub const PASSWORD: &str = "violet-kettle-orbit-9172";
/// Another strong password.
pub const OTHER_PASSWORD: &str = "saffron-glacier-tundra-4408";

pub async fn auth_client(auth: &TestAuth) -> AuthServiceClient<Channel> {
    AuthServiceClient::new(auth.channel().await)
}

pub async fn user_client(auth: &TestAuth) -> UserServiceClient<Channel> {
    UserServiceClient::new(auth.channel().await)
}

pub async fn admin_client(auth: &TestAuth) -> AdminServiceClient<Channel> {
    AdminServiceClient::new(auth.channel().await)
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

/// Registers `username` with [`PASSWORD`].
pub async fn register(auth: &TestAuth, username: &str) -> RegisterResponse {
    auth_client(auth)
        .await
        .register(registration(username))
        .await
        .expect("registration succeeds")
        .into_inner()
}

/// Logs in; the error status when it fails.
pub async fn login(auth: &TestAuth, login: &str, password: &str) -> Result<LoginResponse, Status> {
    auth_client(auth)
        .await
        .login(LoginRequest {
            login: login.to_owned(),
            password: password.to_owned(),
            device_label: String::new(),
        })
        .await
        .map(tonic::Response::into_inner)
}

/// The access token of a registration.
pub fn access(response: &RegisterResponse) -> String {
    response.tokens.as_ref().unwrap().access_token.clone()
}

/// `message` with `authorization: Bearer <token>`.
pub fn bearer<T>(message: T, token: &str) -> Request<T> {
    let mut request = Request::new(message);
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    request
}

/// The `ErrorInfo` reason of a status.
pub fn reason(status: &Status) -> String {
    status
        .get_error_details()
        .error_info()
        .map(|i| i.reason.clone())
        .unwrap_or_default()
}

/// The fields named by the `BadRequest` of an INVALID_ARGUMENT status, sorted.
pub fn bad_fields(status: &Status) -> Vec<String> {
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    let mut fields: Vec<String> = status
        .get_error_details()
        .bad_request()
        .map(|b| b.field_violations.iter().map(|v| v.field.clone()).collect())
        .unwrap_or_default();
    fields.sort();
    fields
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

/// The decoded (unverified) claims of a JWT.
pub fn claims_of(token: &str) -> serde_json::Value {
    use base64::Engine as _;
    let payload = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// The decoded header of a JWT, as JSON.
pub fn header_of(token: &str) -> serde_json::Value {
    use base64::Engine as _;
    let part = token.split('.').next().unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}
