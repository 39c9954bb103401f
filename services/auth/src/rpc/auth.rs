//! `stride.auth.v1.AuthService`: anyone (register, login, refresh, logout, JWKS).

use shared::error::Violations;
use shared::pb::auth::v1::auth_service_server::AuthService;
use shared::pb::auth::v1::{
    CompleteLoginRequest, GetJwksRequest, GetJwksResponse, LoginRequest, LoginResponse,
    LogoutRequest, RefreshRequest, RefreshResponse, RegisterRequest, RegisterResponse,
    RequestPasswordResetRequest, ResetPasswordRequest, VerifyEmailRequest,
};
use shared::time::to_timestamp;
use tonic::{Request, Response, Status};
use zeroize::Zeroizing;

use crate::app::AppState;
use crate::config::PasswordConfig;
use crate::domain::login::{Attempt, Login, Outcome};
use crate::domain::refresh;
use crate::domain::register::{self, NewAccount};
use crate::domain::values::{DeviceLabel, LoginName, PresentedPassword};
use crate::error::{Error, Result};
use crate::rpc::{account, convert, mfa, valid_then};

/// Handler of `AuthService`.
#[derive(Debug, Clone)]
pub(crate) struct AuthApi {
    state: AppState,
}

impl AuthApi {
    /// A handler over the shared state.
    pub(crate) fn new(state: AppState) -> Self {
        Self { state }
    }
}

/// A parsed `Register`.
struct Registration {
    account: NewAccount,
    device_label: DeviceLabel,
}

impl TryFrom<(RegisterRequest, &PasswordConfig)> for Registration {
    type Error = Error;

    fn try_from((req, policy): (RegisterRequest, &PasswordConfig)) -> Result<Self> {
        let mut v = Violations::new();
        let account = NewAccount::parse(
            req.username,
            req.email,
            req.password,
            req.first_name,
            req.last_name,
            policy,
            &mut v,
        );
        let device_label = v.check("device_label", DeviceLabel::parse(req.device_label));
        valid_then(v, || {
            Some(Self {
                account: account?,
                device_label: device_label?,
            })
        })
    }
}

impl TryFrom<(LoginRequest, &PasswordConfig)> for Attempt {
    type Error = Error;

    fn try_from((req, policy): (LoginRequest, &PasswordConfig)) -> Result<Self> {
        let mut v = Violations::new();
        let login = v.check("login", LoginName::parse(&req.login));
        let password = v.check("password", PresentedPassword::parse(req.password, policy));
        let device_label = v.check("device_label", DeviceLabel::parse(req.device_label));
        valid_then(v, || {
            Some(Self {
                login: login?,
                password: password?,
                device_label: device_label?,
            })
        })
    }
}

/// A presented refresh token: present, zeroed on drop.
fn refresh_token(raw: String) -> Result<Zeroizing<String>> {
    let token = Zeroizing::new(raw);
    if token.is_empty() {
        return Err(Error::invalid("refresh_token", "must not be empty"));
    }
    Ok(token)
}

#[tonic::async_trait]
impl AuthService for AuthApi {
    #[tracing::instrument(level = "debug", skip_all, fields(rpc = "Register", user_id))]
    async fn register(
        &self,
        request: Request<RegisterRequest>,
    ) -> Result<Response<RegisterResponse>, Status> {
        let s = &self.state;
        let client = s.client(&request);
        let input = Registration::try_from((request.into_inner(), &s.config.password))?;
        let registration = register::Registration {
            db: &s.db,
            hasher: &s.hasher,
            tokens: &s.tokens,
            clock: &s.clock,
            passwords: &s.config.password,
            ip_limit: s.config.lockout.register_ip_limit,
            known_clients: &s.config.lockout.unknown_clients,
            account: &s.config.account,
        };
        let done = registration
            .register(input.account, &input.device_label, &client)
            .await?;
        tracing::Span::current().record("user_id", done.user.id.as_str());
        Ok(Response::new(RegisterResponse {
            user: Some(convert::user(done.user)),
            tokens: done.pair.map(convert::token_pair),
        }))
    }

    #[tracing::instrument(level = "debug", skip_all, fields(rpc = "Login"))]
    async fn login(
        &self,
        request: Request<LoginRequest>,
    ) -> Result<Response<LoginResponse>, Status> {
        let s = &self.state;
        let client = s.client(&request);
        let attempt = Attempt::try_from((request.into_inner(), &s.config.password))?;
        let login = Login {
            db: &s.db,
            hasher: &s.hasher,
            tokens: &s.tokens,
            clock: &s.clock,
            policy: &s.config.lockout,
            hooks: &s.config.hooks,
            mfa: &s.config.mfa,
            require_verified_email: s.config.account.require_verified_email,
        };
        let response = match login.attempt(attempt, &client).await? {
            Outcome::SignedIn(done) => LoginResponse {
                user: Some(convert::user(done.user)),
                tokens: Some(convert::token_pair(done.pair)),
                ..Default::default()
            },
            Outcome::SecondFactor(challenge) => LoginResponse {
                mfa_challenge: challenge.token.to_string(),
                mfa_challenge_expires_at: Some(to_timestamp(challenge.expires_at)),
                ..Default::default()
            },
        };
        Ok(Response::new(response))
    }

    #[tracing::instrument(level = "debug", skip_all, fields(rpc = "Refresh"))]
    async fn refresh(
        &self,
        request: Request<RefreshRequest>,
    ) -> Result<Response<RefreshResponse>, Status> {
        let s = &self.state;
        let client = s.client(&request);
        let token = refresh_token(request.into_inner().refresh_token)?;
        let rotation = refresh::Rotation {
            db: &s.db,
            tokens: &s.tokens,
            clock: &s.clock,
            feed: &s.feed,
            grace: s.config.tokens.refresh_reuse_grace,
            hooks: &s.config.hooks,
        };
        let pair = refresh::refresh(rotation, &token, &client).await?;
        Ok(Response::new(RefreshResponse {
            tokens: Some(convert::token_pair(pair)),
        }))
    }

    #[tracing::instrument(level = "debug", skip_all, fields(rpc = "Logout"))]
    async fn logout(&self, request: Request<LogoutRequest>) -> Result<Response<()>, Status> {
        let s = &self.state;
        let client = s.client(&request);
        let token = refresh_token(request.into_inner().refresh_token)?;
        refresh::logout(&s.db, &s.tokens, &s.clock, &s.feed, &token, &client).await?;
        Ok(Response::new(()))
    }

    #[tracing::instrument(level = "debug", skip_all, fields(rpc = "GetJwks"))]
    async fn get_jwks(
        &self,
        _request: Request<GetJwksRequest>,
    ) -> Result<Response<GetJwksResponse>, Status> {
        let keys = self.state.keys.fresh_public_keys().await;
        Ok(Response::new(GetJwksResponse {
            keys: keys.iter().map(convert::jwk).collect(),
        }))
    }

    #[tracing::instrument(level = "debug", skip_all, fields(rpc = "CompleteLogin", user_id))]
    async fn complete_login(
        &self,
        request: Request<CompleteLoginRequest>,
    ) -> Result<Response<LoginResponse>, Status> {
        mfa::complete_login(&self.state, request).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(rpc = "RequestPasswordReset"))]
    async fn request_password_reset(
        &self,
        request: Request<RequestPasswordResetRequest>,
    ) -> Result<Response<()>, Status> {
        account::request_password_reset(&self.state, request).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(rpc = "ResetPassword", user_id))]
    async fn reset_password(
        &self,
        request: Request<ResetPasswordRequest>,
    ) -> Result<Response<()>, Status> {
        account::reset_password(&self.state, request).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(rpc = "VerifyEmail", user_id))]
    async fn verify_email(
        &self,
        request: Request<VerifyEmailRequest>,
    ) -> Result<Response<()>, Status> {
        account::verify_email(&self.state, request).await
    }
}
