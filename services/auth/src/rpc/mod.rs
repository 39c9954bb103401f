//! gRPC handlers, one file per service: parse the request, call the domain, map the result.
//! RPCs a handler does not override answer UNIMPLEMENTED.

pub mod admin;
pub mod auth;
pub mod convert;
pub mod introspection;
pub mod session;
pub mod user;

use tonic::Request;

use crate::domain::Client;

/// Longest user agent kept, in characters.
const MAX_USER_AGENT_CHARS: usize = 512;

/// Where a request came from: the TCP peer's IP, or with `STRIDE_TRUST_FORWARDED_FOR` the last
/// `x-forwarded-for` entry (the one the trusted proxy appended; earlier entries are whatever
/// the client sent). The user agent comes from the `user-agent` metadata.
pub fn client_info<T>(request: &Request<T>, trust_forwarded_for: bool) -> Client {
    let forwarded = trust_forwarded_for
        .then(|| request.metadata().get("x-forwarded-for"))
        .flatten()
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit(',').next())
        .map(str::trim)
        .and_then(|ip| ip.parse::<std::net::IpAddr>().ok());
    let ip = forwarded
        .or_else(|| request.remote_addr().map(|a| a.ip()))
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
