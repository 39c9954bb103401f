//! What a stranger with one connection, or a thief with a stolen access token, can make the
//! service do: per-client throttling that writes nothing for refusals, password guessing
//! through ChangePassword, guessing from addresses an account does not know (slowed, never a
//! lockout), a login racing an account change, and inputs that cost CPU.

mod amplification;
mod expensive_inputs;
mod login_race;
mod password_guessing;
mod throttling;
mod unknown_clients;

use shared::pb::auth::v1::{ChangePasswordRequest, LoginRequest, RegisterRequest};
use testkit::TestAuth;
use tonic::{Request, Status};

use crate::helpers::*;

/// A pause at a test hook of the service, once armed: `reached` fires when the next call gets
/// there, and it goes on when `go` is notified.
#[derive(Clone, Default)]
struct Pause {
    armed: std::sync::Arc<std::sync::atomic::AtomicBool>,
    reached: std::sync::Arc<tokio::sync::Notify>,
    go: std::sync::Arc<tokio::sync::Notify>,
}

impl Pause {
    fn hook(&self) -> stride_auth::config::Hook {
        let pause = self.clone();
        std::sync::Arc::new(move || {
            let pause = pause.clone();
            Box::pin(async move {
                if pause.armed.swap(false, std::sync::atomic::Ordering::SeqCst) {
                    pause.reached.notify_one();
                    pause.go.notified().await;
                }
            })
        })
    }
}

use testkit::status::retry_after;

/// `request` as if forwarded by the trusted local proxy for `client`.
fn from<T>(client: &str, message: T) -> Request<T> {
    let mut request = Request::new(message);
    request
        .metadata_mut()
        .insert("x-forwarded-for", client.parse().unwrap());
    request
}

fn login_request(login: &str, password: &str) -> LoginRequest {
    LoginRequest {
        login: login.into(),
        password: password.into(),
        device_label: String::new(),
    }
}

fn registration_as(username: &str, password: &str) -> RegisterRequest {
    RegisterRequest {
        password: password.into(),
        ..registration(username)
    }
}

/// ChangePassword as the session of `token`.
async fn change_password(
    auth: &TestAuth,
    token: &str,
    current: &str,
    new: &str,
) -> Result<(), Status> {
    user_client(auth)
        .await
        .change_password(bearer(
            ChangePasswordRequest {
                current_password: current.into(),
                new_password: new.into(),
                ..Default::default()
            },
            token,
        ))
        .await
        .map(|_| ())
}

/// Rows of `table`.
async fn rows(auth: &TestAuth, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(auth.db.pool())
        .await
        .unwrap()
}
