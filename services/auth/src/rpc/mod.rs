//! gRPC handlers, one file per service: parse the request into validated domain values
//! (collecting every violation for one `BadRequest`), call the domain with the components it
//! needs, map the result. RPCs a handler does not override answer UNIMPLEMENTED.

pub(crate) mod account;
pub(crate) mod admin;
pub(crate) mod auth;
pub(crate) mod convert;
pub(crate) mod introspection;
pub(crate) mod mfa;
pub(crate) mod session;
pub(crate) mod user;

use shared::error::Violations;
use tonic::Request;

use crate::app::AppState;
use crate::domain::caller::{self, Caller};
use crate::domain::values::Id;
use crate::domain::{Client, Role};
use crate::error::{Error, Result};
use crate::proxies::TrustedProxies;

/// Longest user agent kept, in characters.
const MAX_USER_AGENT_CHARS: usize = 512;

/// Where a request came from: the TCP peer's IP, or, from a trusted proxy, the client it names
/// in `x-forwarded-for` (see [`crate::proxies`]). The user agent comes from the `user-agent`
/// metadata.
fn client_info<T>(request: &Request<T>, proxies: &TrustedProxies) -> Client {
    let forwarded = request
        .metadata()
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok());
    let ip = proxies
        .client(request.remote_addr().map(|a| a.ip()), forwarded)
        .map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
    let user_agent = request
        .metadata()
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .chars()
        .take(MAX_USER_AGENT_CHARS)
        .collect();
    Client { ip, user_agent }
}

impl AppState {
    /// The caller of a signed-in RPC, from its bearer access token, checked against the
    /// database (`domain::caller`).
    async fn caller<T>(&self, request: &Request<T>) -> Result<Caller> {
        let token = shared::credentials::bearer(request.metadata().as_ref())
            .map_err(Error::Unauthenticated)?;
        caller::authenticate(&self.db, &self.tokens, token).await
    }

    /// The caller, who must have at least `role`.
    async fn caller_with<T>(&self, request: &Request<T>, role: Role) -> Result<Caller> {
        let caller = self.caller(request).await?;
        caller.require(role)?;
        Ok(caller)
    }

    /// Where `request` came from.
    fn client<T>(&self, request: &Request<T>) -> Client {
        client_info(request, &self.config.trusted_proxies)
    }
}

/// A request that is only an id: the id parsed, or INVALID_ARGUMENT naming `field`.
fn id(field: &str, raw: String) -> Result<Id> {
    Id::parse(raw).map_err(|why| Error::invalid(field, why))
}

/// `Ok(())` when nothing was recorded, else INVALID_ARGUMENT with every violation.
fn valid(v: Violations) -> Result<()> {
    v.into_result().map_err(Error::from)
}

/// What `parsed` builds once `v` holds no violation, else INVALID_ARGUMENT with every
/// violation. Each field's parse records a violation exactly when it yields `None`, so
/// `parsed` only fails if a parser broke that rule: an internal error, never a panic.
fn valid_then<T>(v: Violations, parsed: impl FnOnce() -> Option<T>) -> Result<T> {
    valid(v)?;
    parsed().ok_or_else(|| Error::internal("a parse failed without a violation"))
}
