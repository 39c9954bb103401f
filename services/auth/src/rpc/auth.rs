//! `stride.auth.v1.AuthService`: anyone (register, login, refresh, logout, JWKS).

use shared::error::Violations;
use shared::pb::auth::v1::auth_service_server::AuthService;
use shared::pb::auth::v1::{
    GetJwksRequest, GetJwksResponse, LoginRequest, LoginResponse, LogoutRequest, RefreshRequest,
    RefreshResponse, RegisterRequest, RegisterResponse,
};
use tonic::{Request, Response, Status};
use zeroize::Zeroizing;

use crate::app::AppState;
use crate::domain::register::{self, NewAccount};
use crate::domain::{login, refresh};
use crate::error::Error;
use crate::rpc::{client_info, convert};

/// Handler of `AuthService`.
#[derive(Debug, Clone)]
pub struct AuthApi {
    state: AppState,
}

impl AuthApi {
    /// A handler over the shared state.
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

#[tonic::async_trait]
impl AuthService for AuthApi {
    #[tracing::instrument(skip_all, fields(rpc = "Register", user_id))]
    async fn register(
        &self,
        request: Request<RegisterRequest>,
    ) -> Result<Response<RegisterResponse>, Status> {
        let client = client_info(&request, self.state.config.trust_forwarded_for);
        let req = request.into_inner();
        let mut violations = Violations::new();
        register::device_label(&req.device_label, &mut violations);
        let account = NewAccount::parse(
            req.username,
            req.email,
            Zeroizing::new(req.password),
            req.first_name,
            req.last_name,
            &self.state.config.password,
        );
        let account = match account {
            Ok(account) if violations.is_empty() => account,
            Ok(_) => return Err(Error::from(violations).into()),
            Err(mut found) => {
                for v in violations.fields() {
                    found.add(v.field.clone(), v.description.clone());
                }
                return Err(Error::from(found).into());
            }
        };
        let done = register::register(&self.state, account, &req.device_label, &client).await?;
        tracing::Span::current().record("user_id", done.user.id.as_str());
        Ok(Response::new(RegisterResponse {
            user: Some(convert::user(done.user)),
            tokens: Some(convert::token_pair(done.pair)),
        }))
    }

    #[tracing::instrument(skip_all, fields(rpc = "Login"))]
    async fn login(
        &self,
        request: Request<LoginRequest>,
    ) -> Result<Response<LoginResponse>, Status> {
        let client = client_info(&request, self.state.config.trust_forwarded_for);
        let req = request.into_inner();
        let mut violations = Violations::new();
        if req.login.trim().is_empty() {
            violations.add("login", "must be a username or email address");
        }
        if req.password.is_empty() {
            violations.add("password", "must not be empty");
        } else if req.password.chars().count() > self.state.config.password.max_length {
            // Bounds hashing cost; no stored password can be longer.
            violations.add(
                "password",
                format!(
                    "must be at most {} characters",
                    self.state.config.password.max_length
                ),
            );
        }
        register::device_label(&req.device_label, &mut violations);
        if !violations.is_empty() {
            return Err(Error::from(violations).into());
        }
        let done = login::login(
            &self.state,
            login::Attempt {
                login: req.login,
                password: Zeroizing::new(req.password),
                device_label: req.device_label,
            },
            &client,
        )
        .await?;
        Ok(Response::new(LoginResponse {
            user: Some(convert::user(done.user)),
            tokens: Some(convert::token_pair(done.pair)),
        }))
    }

    #[tracing::instrument(skip_all, fields(rpc = "Refresh"))]
    async fn refresh(
        &self,
        request: Request<RefreshRequest>,
    ) -> Result<Response<RefreshResponse>, Status> {
        let client = client_info(&request, self.state.config.trust_forwarded_for);
        let token = Zeroizing::new(request.into_inner().refresh_token);
        if token.is_empty() {
            return Err(Error::invalid("refresh_token", "must not be empty").into());
        }
        let pair = refresh::refresh(&self.state, &token, &client).await?;
        Ok(Response::new(RefreshResponse {
            tokens: Some(convert::token_pair(pair)),
        }))
    }

    #[tracing::instrument(skip_all, fields(rpc = "Logout"))]
    async fn logout(&self, request: Request<LogoutRequest>) -> Result<Response<()>, Status> {
        let client = client_info(&request, self.state.config.trust_forwarded_for);
        let token = Zeroizing::new(request.into_inner().refresh_token);
        if token.is_empty() {
            return Err(Error::invalid("refresh_token", "must not be empty").into());
        }
        refresh::logout(&self.state, &token, &client).await?;
        Ok(Response::new(()))
    }

    #[tracing::instrument(skip_all, fields(rpc = "GetJwks"))]
    async fn get_jwks(
        &self,
        _request: Request<GetJwksRequest>,
    ) -> Result<Response<GetJwksResponse>, Status> {
        let keys = self.state.keys.public_keys();
        Ok(Response::new(GetJwksResponse {
            keys: keys.iter().map(convert::jwk).collect(),
        }))
    }
}
