//! What a page handler asks for: [`SignedIn`] (or [`Staff`], [`Admin`]) for the signed-in
//! user with a handle to call the services, and [`CsrfForm`] for a POSTed form whose CSRF
//! token matched the session's.
//!
//! [`SignedIn`] asks auth for the user (`GetMe`) on every request. That one call is what makes
//! a session revoked anywhere sign the browser out at its next request, and a role changed by
//! an admin apply at once.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use http::request::Parts;
use serde::de::DeserializeOwned;
use shared::pb::auth::v1::{GetMeRequest, Role, User};
use subtle::ConstantTimeEq as _;

use crate::app::AppState;
use crate::error::ConsoleError;
use crate::grpc::{Api, Browser};
use crate::session::Session;
use crate::session::cookie::Kind;
use crate::ui::layout::{Chrome, Section};

/// Largest form body the console reads (avatars are the largest: 1 MiB plus the form).
pub(crate) const MAX_FORM_BYTES: usize = 64 * 1024;

/// The browser that sent a request: the TCP peer, or, when the peer is one of
/// `STRIDE_CONSOLE_TRUSTED_PROXIES`, the address it names in `X-Forwarded-For` (read from the
/// right, as auth reads it).
pub(crate) fn browser(parts: &Parts, state: &AppState) -> Browser {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip());
    let forwarded = parts
        .headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok());
    let ip = state.trusted_proxies.client(peer, forwarded);
    Browser::from_parts(ip, &parts.headers)
}

/// The session a request's cookie names, if it is live.
pub(crate) fn session_of(parts: &Parts, state: &AppState) -> Option<Arc<Session>> {
    let value = state.sealer.read(Kind::Session, &parts.headers)?;
    let id = state.sealer.open(Kind::Session, value)?;
    state.sessions.get(&id)
}

/// A signed-in user.
#[derive(Debug, Clone)]
pub(crate) struct SignedIn {
    /// Calls the services as this user.
    pub(crate) api: Api,
    /// The user as auth knows them now.
    pub(crate) me: User,
    /// Product name, for the shell.
    pub(crate) product: Arc<str>,
}

impl SignedIn {
    /// The shell of a page in `section`.
    pub(crate) fn chrome(&self, section: Section) -> Chrome<'_> {
        Chrome {
            product: &self.product,
            me: &self.me,
            csrf: &self.api.session().csrf,
            section,
        }
    }

    /// The session's CSRF token, for forms.
    pub(crate) fn csrf(&self) -> &str {
        &self.api.session().csrf
    }

    /// The user's role.
    pub(crate) fn role(&self) -> Role {
        Role::try_from(self.me.role).unwrap_or(Role::Unspecified)
    }
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = ConsoleError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let session = session_of(parts, state).ok_or(ConsoleError::NotSignedIn)?;
        let api = Api::new(
            state.channels.clone(),
            browser(parts, state),
            session.clone(),
        );
        // A sign-out here marks the session ended, and the store forgets it at its next lookup.
        let me = api
            .call(|c| async move { c.users().get_me(GetMeRequest {}).await })
            .await?;
        Ok(Self {
            api,
            me,
            product: state.product.clone(),
        })
    }
}

/// A signed-in user with role STAFF or ADMIN; anyone else gets the "not allowed" page.
#[derive(Debug, Clone)]
pub(crate) struct Staff(pub(crate) SignedIn);

impl FromRequestParts<AppState> for Staff {
    type Rejection = ConsoleError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        with_role(parts, state, &[Role::Staff, Role::Admin])
            .await
            .map(Self)
    }
}

/// A signed-in user with role ADMIN; anyone else gets the "not allowed" page.
#[derive(Debug, Clone)]
pub(crate) struct Admin(pub(crate) SignedIn);

impl FromRequestParts<AppState> for Admin {
    type Rejection = ConsoleError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        with_role(parts, state, &[Role::Admin]).await.map(Self)
    }
}

/// The signed-in user, if their role (as auth says now) is one of `roles`.
async fn with_role(
    parts: &mut Parts,
    state: &AppState,
    roles: &[Role],
) -> Result<SignedIn, ConsoleError> {
    let user = SignedIn::from_request_parts(parts, state).await?;
    if roles.contains(&user.role()) {
        Ok(user)
    } else {
        Err(ConsoleError::Forbidden)
    }
}

/// True when `sent` is `expected` (compared in constant time).
pub(crate) fn csrf_matches(expected: &str, sent: &str) -> bool {
    expected.len() == sent.len() && bool::from(expected.as_bytes().ct_eq(sent.as_bytes()))
}

/// A request another site started (`Sec-Fetch-Site: cross-site`), refused whatever it carries.
pub(crate) fn cross_site(parts: &Parts) -> bool {
    parts
        .headers
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes() == b"cross-site")
}

/// A URL-encoded form whose `_csrf` field matched the session's token; `T` is the rest of it.
#[derive(Debug)]
pub(crate) struct CsrfForm<T>(pub(crate) T);

impl<T: DeserializeOwned + Send> FromRequest<AppState> for CsrfForm<T> {
    type Rejection = ConsoleError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (parts, body) = request.into_parts();
        if cross_site(&parts) {
            return Err(ConsoleError::Csrf);
        }
        let session = session_of(&parts, state).ok_or(ConsoleError::NotSignedIn)?;
        let bytes = form_bytes(body).await?;
        let sent: CsrfOnly = parse_form(&bytes)?;
        if !csrf_matches(&session.csrf, &sent.csrf) {
            return Err(ConsoleError::Csrf);
        }
        let form: T = parse_form(&bytes)?;
        Ok(Self(form))
    }
}

#[derive(serde::Deserialize)]
struct CsrfOnly {
    #[serde(rename = "_csrf", default)]
    csrf: String,
}

/// A URL-encoded form's bytes, at most [`MAX_FORM_BYTES`] of them.
pub(crate) async fn form_bytes(body: axum::body::Body) -> Result<axum::body::Bytes, ConsoleError> {
    axum::body::to_bytes(body, MAX_FORM_BYTES)
        .await
        .map_err(|e| ConsoleError::BadForm(e.to_string()))
}

/// Parses a URL-encoded body.
pub(crate) fn parse_form<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ConsoleError> {
    serde_urlencoded::from_bytes(bytes).map_err(|e| ConsoleError::BadForm(e.to_string()))
}
