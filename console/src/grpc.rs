//! Calling the services for a browser: every request carries the session's access token, the
//! browser's address (`x-forwarded-for`, believed by auth only when the console's address is in
//! its `STRIDE_TRUSTED_PROXIES`) and its user agent.
//!
//! [`Api::call`] runs one RPC with a fresh token; refused UNAUTHENTICATED, it rotates the pair
//! once (one rotation per session at a time, see [`crate::session`]) and tries again. When the
//! rotation is refused too, the session ended elsewhere and the browser is signed out.

use std::future::Future;
use std::net::IpAddr;
use std::sync::Arc;

use shared::pb::auth::v1::admin_service_client::AdminServiceClient;
use shared::pb::auth::v1::auth_service_client::AuthServiceClient;
use shared::pb::auth::v1::session_service_client::SessionServiceClient;
use shared::pb::auth::v1::user_service_client::UserServiceClient;
use shared::pb::fitness::v1::exercise_service_client::ExerciseServiceClient;
use shared::pb::fitness::v1::stats_service_client::StatsServiceClient;
use shared::pb::fitness::v1::workout_service_client::WorkoutServiceClient;
use tonic::metadata::{Ascii, MetadataValue};
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use tonic::{Code, Request, Status};

use crate::error::ConsoleError;
use crate::session::Session;

/// Longest user agent passed on, in bytes.
const MAX_USER_AGENT: usize = 256;

/// What identifies the browser to the services.
#[derive(Debug, Clone, Default)]
pub(crate) struct Browser {
    /// The browser's address as the console saw it.
    pub(crate) ip: Option<IpAddr>,
    /// Its `User-Agent`, cut to 256 bytes.
    pub(crate) user_agent: Option<String>,
}

impl Browser {
    /// From a request's peer address and headers.
    pub(crate) fn from_parts(ip: Option<IpAddr>, headers: &http::HeaderMap) -> Self {
        let user_agent = headers
            .get(http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| {
                let mut end = ua.len().min(MAX_USER_AGENT);
                while !ua.is_char_boundary(end) {
                    end -= 1;
                }
                ua[..end].to_owned()
            });
        Self { ip, user_agent }
    }
}

/// The interceptor that stamps each request with the token and the browser.
#[derive(Debug, Clone, Default)]
pub(crate) struct Stamp {
    authorization: Option<MetadataValue<Ascii>>,
    forwarded_for: Option<MetadataValue<Ascii>>,
    user_agent: Option<MetadataValue<Ascii>>,
}

impl Stamp {
    pub(crate) fn new(token: Option<&str>, browser: &Browser) -> Self {
        Self {
            authorization: token.and_then(|t| format!("Bearer {t}").parse().ok()),
            forwarded_for: browser.ip.and_then(|ip| ip.to_string().parse().ok()),
            user_agent: browser.user_agent.as_deref().and_then(|ua| ua.parse().ok()),
        }
    }
}

impl tonic::service::Interceptor for Stamp {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        let metadata = request.metadata_mut();
        if let Some(value) = &self.authorization {
            let mut value = value.clone();
            value.set_sensitive(true);
            metadata.insert("authorization", value);
        }
        if let Some(value) = &self.forwarded_for {
            metadata.insert("x-forwarded-for", value.clone());
        }
        if let Some(value) = &self.user_agent {
            metadata.insert("user-agent", value.clone());
        }
        Ok(request)
    }
}

/// A client of one service with the stamp applied.
pub(crate) type Stamped = InterceptedService<Channel, Stamp>;

/// The services' channels (connected lazily, shared by every request).
#[derive(Debug, Clone)]
pub(crate) struct Channels {
    pub(crate) auth: Channel,
    pub(crate) fitness: Channel,
}

/// Typed clients for one attempt of one call, stamped with one access token.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    channels: Channels,
    stamp: Stamp,
}

impl Caller {
    /// Clients without a token (sign-in) for `browser`.
    pub(crate) fn anonymous(channels: &Channels, browser: &Browser) -> Self {
        Self {
            channels: channels.clone(),
            stamp: Stamp::new(None, browser),
        }
    }

    fn auth_channel(&self) -> Stamped {
        InterceptedService::new(self.channels.auth.clone(), self.stamp.clone())
    }

    fn fitness_channel(&self) -> Stamped {
        InterceptedService::new(self.channels.fitness.clone(), self.stamp.clone())
    }

    pub(crate) fn auth(&self) -> AuthServiceClient<Stamped> {
        AuthServiceClient::new(self.auth_channel())
    }

    pub(crate) fn users(&self) -> UserServiceClient<Stamped> {
        UserServiceClient::new(self.auth_channel())
    }

    pub(crate) fn sessions(&self) -> SessionServiceClient<Stamped> {
        SessionServiceClient::new(self.auth_channel())
    }

    pub(crate) fn admin(&self) -> AdminServiceClient<Stamped> {
        AdminServiceClient::new(self.auth_channel())
    }

    pub(crate) fn workouts(&self) -> WorkoutServiceClient<Stamped> {
        WorkoutServiceClient::new(self.fitness_channel())
    }

    pub(crate) fn exercises(&self) -> ExerciseServiceClient<Stamped> {
        ExerciseServiceClient::new(self.fitness_channel())
    }

    pub(crate) fn stats(&self) -> StatsServiceClient<Stamped> {
        StatsServiceClient::new(self.fitness_channel())
    }
}

/// The services as one signed-in browser calls them.
#[derive(Debug, Clone)]
pub(crate) struct Api {
    channels: Channels,
    browser: Browser,
    session: Arc<Session>,
}

impl Api {
    pub(crate) fn new(channels: Channels, browser: Browser, session: Arc<Session>) -> Self {
        Self {
            channels,
            browser,
            session,
        }
    }

    /// The session this handle calls for.
    pub(crate) fn session(&self) -> &Arc<Session> {
        &self.session
    }

    /// The token-less auth client the session rotates its pair with.
    fn rotator(&self) -> AuthServiceClient<Stamped> {
        Caller::anonymous(&self.channels, &self.browser).auth()
    }

    fn caller(&self, token: &str) -> Caller {
        Caller {
            channels: self.channels.clone(),
            stamp: Stamp::new(Some(token), &self.browser),
        }
    }

    /// Runs `rpc` with the session's token: refused UNAUTHENTICATED, rotates the pair once and
    /// runs it again. Errors other than a sign-out come back as [`ConsoleError::Rpc`].
    ///
    /// ```ignore
    /// let me = api.call(|c| async move { c.users().get_me(GetMeRequest {}).await }).await?;
    /// ```
    pub(crate) async fn call<T, F, Fut>(&self, rpc: F) -> Result<T, ConsoleError>
    where
        F: Fn(Caller) -> Fut,
        Fut: Future<Output = Result<tonic::Response<T>, Status>>,
    {
        let token = self.session.access_token(&self.rotator()).await?;
        match rpc(self.caller(&token)).await {
            Ok(response) => Ok(response.into_inner()),
            Err(status)
                if status.code() == Code::Unauthenticated
                    && !shared::error::refuses_input(&status) =>
            {
                let fresh = self
                    .session
                    .refreshed_after(&token, &self.rotator())
                    .await?;
                match rpc(self.caller(&fresh)).await {
                    Ok(response) => Ok(response.into_inner()),
                    // The pair was just rotated, so the session is alive: a second refusal is the
                    // service's (a key it has not fetched yet, say), not a sign-out.
                    Err(status) => Err(ConsoleError::Rpc(status)),
                }
            }
            Err(status) => Err(ConsoleError::Rpc(status)),
        }
    }
}
