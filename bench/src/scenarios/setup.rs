//! Setting up the data a scenario needs through the public RPCs: users, sessions, workouts.

use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, anyhow};
use shared::pb::auth::v1::auth_service_client::AuthServiceClient;
use shared::pb::auth::v1::token_introspection_service_client::TokenIntrospectionServiceClient;
use shared::pb::auth::v1::{CheckRevocationRequest, LoginRequest, RegisterRequest, TokenPair};
use shared::pb::fitness::v1::workout_service_client::WorkoutServiceClient;
use shared::pb::fitness::v1::{CreateWorkoutRequest, Workout, WorkoutType};
use tonic::metadata::{AsciiMetadataValue, MetadataValue};
use tonic::transport::Channel;

use crate::stack::SERVICE_KEY;

/// A password zxcvbn scores 4, so registration accepts it.
pub const PASSWORD: &str = "Stride-bench correct horse battery staple 7";

/// A registered user and the first token pair of its session.
#[derive(Debug, Clone)]
pub struct User {
    /// UUIDv7 of the user (their tokens' `sub`).
    pub id: String,
    /// Login name.
    pub username: String,
    /// Tokens of the session Register opened.
    pub tokens: TokenPair,
}

/// Registers `username` (a fresh, unique name per run is the caller's job).
pub async fn register(auth: &Channel, username: &str) -> Result<User> {
    let response = AuthServiceClient::new(auth.clone())
        .register(RegisterRequest {
            username: username.to_owned(),
            email: format!("{username}@bench.invalid"),
            password: PASSWORD.to_owned(),
            first_name: "Bench".into(),
            last_name: "User".into(),
            device_label: "stride-bench".into(),
        })
        .await
        .with_context(|| format!("register {username}"))?
        .into_inner();
    let tokens = response
        .tokens
        .ok_or_else(|| anyhow!("Register returned no tokens"))?;
    let id = response
        .user
        .map(|user| user.id)
        .ok_or_else(|| anyhow!("Register returned no user"))?;
    Ok(User {
        id,
        username: username.to_owned(),
        tokens,
    })
}

/// Registers `n` users named `<prefix>_<i>`, a few at a time.
pub async fn register_many(auth: &Channel, prefix: &str, n: usize) -> Result<Vec<User>> {
    let mut users = Vec::with_capacity(n);
    for chunk_start in (0..n).step_by(8) {
        let chunk = (chunk_start..n.min(chunk_start + 8)).map(|i| {
            let name = format!("{prefix}_{i}");
            async move { register(auth, &name).await }
        });
        users.extend(futures::future::try_join_all(chunk).await?);
    }
    Ok(users)
}

/// Logs `login` in, opening a new session.
pub async fn login(auth: &Channel, login: &str) -> Result<TokenPair> {
    AuthServiceClient::new(auth.clone())
        .login(LoginRequest {
            login: login.to_owned(),
            password: PASSWORD.to_owned(),
            device_label: "stride-bench".into(),
        })
        .await
        .with_context(|| format!("log {login} in"))?
        .into_inner()
        .tokens
        .ok_or_else(|| anyhow!("Login returned no tokens"))
}

/// `authorization: Bearer <token>`.
pub fn bearer(token: &str) -> Result<AsciiMetadataValue> {
    MetadataValue::try_from(format!("Bearer {token}")).context("token is not valid metadata")
}

/// Any ASCII metadata value.
pub fn ascii(value: &str) -> Result<AsciiMetadataValue> {
    MetadataValue::try_from(value).context("not valid metadata")
}

/// How a fitness request names its caller: a token, or (auth disabled) a user id.
#[derive(Debug, Clone)]
pub enum Identity {
    /// `authorization: Bearer …`.
    Bearer(AsciiMetadataValue),
    /// `x-stride-user-id: …` (only with the auth layer switched off, which only the benchmark does).
    UserId(AsciiMetadataValue),
}

impl Identity {
    /// Adds the identity to a request.
    pub fn apply<T>(&self, request: &mut tonic::Request<T>) {
        let metadata = request.metadata_mut();
        match self {
            Identity::Bearer(value) => metadata.insert("authorization", value.clone()),
            Identity::UserId(value) => metadata.insert("x-stride-user-id", value.clone()),
        };
    }
}

/// Creates one workout for `who` and returns its id. Retries UNAVAILABLE for up to 10 s: the
/// fitness auth layer answers it until its revocation feed has connected once.
pub async fn create_workout(fitness: &Channel, who: &Identity, title: &str) -> Result<String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut client = WorkoutServiceClient::new(fitness.clone());
    loop {
        let mut request = tonic::Request::new(CreateWorkoutRequest {
            workout: Some(Workout {
                title: title.to_owned(),
                date: "2026-01-15".into(),
                notes: "bench".into(),
                workout_type: WorkoutType::Strength as i32,
                ..Workout::default()
            }),
            request_id: String::new(),
        });
        who.apply(&mut request);
        match client.create_workout(request).await {
            Ok(response) => return Ok(response.into_inner().id),
            Err(status)
                if status.code() == tonic::Code::Unavailable && Instant::now() < deadline =>
            {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(status) => return Err(anyhow!("CreateWorkout: {status}")),
        }
    }
}

/// `Some(reason)` when the auth service has not built the token lifecycle yet (its
/// introspection API answers UNIMPLEMENTED), so authenticated fitness calls, Refresh,
/// IntrospectToken and revocation cannot be measured.
pub async fn lifecycle_missing(auth: &Channel) -> Result<Option<String>> {
    let mut request = tonic::Request::new(CheckRevocationRequest::default());
    request
        .metadata_mut()
        .insert("x-stride-service-key", ascii(SERVICE_KEY)?);
    match TokenIntrospectionServiceClient::new(auth.clone())
        .check_revocation(request)
        .await
    {
        Err(status) if status.code() == tonic::Code::Unimplemented => Ok(Some(
            "auth answers UNIMPLEMENTED for CheckRevocation: token lifecycle not built yet".into(),
        )),
        _ => Ok(None),
    }
}

/// A name unique to this run, for usernames.
pub fn run_tag() -> String {
    let simple = uuid::Uuid::now_v7().simple().to_string();
    // The random tail: a username is at most 32 characters.
    simple[simple.len() - 8..].to_owned()
}
