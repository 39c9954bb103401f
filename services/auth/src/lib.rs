//! The Stride auth service: users, profiles, roles, sessions, Ed25519-signed tokens, signing
//! keys, the revocation feed and the security event log.
//!
//! A library with a thin `main`: [`App::build`] binds, migrates and wires the services,
//! [`App::run`] serves until shutdown. Tests and the `stride` launcher start it in-process
//! through the same API.
//!
//! Map (one walk down and back, see `docs/ARCHITECTURE.md`): `rpc/` (one file per gRPC
//! service: parse the request, call the domain, map the result) → `domain/` (the rules, one
//! transaction per operation, parsed values in `domain/values.rs`) → `store/` (one module per
//! table, one query per function). Beside them: `config` (STRIDE_* variables), `app`
//! (startup), `keys/` (signing keys), `tokens/` (mint and verify), `feed/` (the
//! `WatchRevocations` read side), `password` (Argon2id pool), `clock` (injectable time),
//! `bootstrap` (first admin, CLI entry points).
#![forbid(unsafe_code)]

mod app;
pub mod bootstrap;
pub mod clock;
pub mod config;
mod domain;
mod error;
mod feed;
#[doc(hidden)]
pub mod fuzzing;
mod keys;
mod mail;
mod password;
pub use shared::proxies;
mod rpc;
mod store;
mod tokens;

pub use app::App;
pub use config::Config;
pub use domain::mfa::MfaConfig;
pub use error::Error;
pub use feed::FeedConfig;
pub use keys::seal;
pub use mail::MailConfig;
pub use store::MIGRATIONS;

/// Periodic maintenance the server runs by itself, callable by tools and tests.
pub mod maintenance {
    pub use crate::domain::expiry::sweep as sweep_expired_links_and_challenges;
    pub use crate::domain::security_events::sweep as sweep_security_events;
    pub use crate::domain::throttle::sweep_windows;
    pub use crate::domain::unknown_clients::sweep as sweep_known_and_unknown_clients;
}

/// Error domain in every `ErrorInfo` this service returns.
pub const DOMAIN: &str = "stride.auth";

/// A new UUIDv7 string (ids of users, sessions, tokens, events).
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
