//! Users signed up and signed in through the real `AuthService`, as any client would.

use shared::pb::auth::v1::{
    LoginRequest, LoginResponse, RegisterRequest, RegisterResponse,
    auth_service_client::AuthServiceClient,
};
use tonic::Status;
use tonic::transport::Channel;

/// A password the auth service rates strong.
pub const PASSWORD: &str = "violet-kettle-orbit-9172";

/// Another strong password.
pub const OTHER_PASSWORD: &str = "saffron-glacier-tundra-4408";

/// The registration of `username` with [`PASSWORD`], an `@example.com` address and a name.
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

/// Registers `username` (see [`registration`]) at the auth service behind `channel`.
pub async fn register(channel: Channel, username: &str) -> RegisterResponse {
    AuthServiceClient::new(channel)
        .register(registration(username))
        .await
        .expect("registration succeeds")
        .into_inner()
}

/// Logs in at the auth service behind `channel`; the error status when it fails.
pub async fn login(
    channel: Channel,
    login: &str,
    password: &str,
    device_label: &str,
) -> Result<LoginResponse, Status> {
    AuthServiceClient::new(channel)
        .login(LoginRequest {
            login: login.to_owned(),
            password: password.to_owned(),
            device_label: device_label.to_owned(),
        })
        .await
        .map(tonic::Response::into_inner)
}
