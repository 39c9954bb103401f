//! The Stride auth service: users, profiles, roles, sessions, Ed25519-signed tokens, signing
//! keys, the revocation feed and the security event log.
//!
//! A library with a thin `main`: [`App::build`] binds and migrates, [`App::run`] serves until
//! shutdown. Tests and the `stride` launcher start it in-process through the same API.
//!
//! Map: `config` (STRIDE_* variables), `app` (startup and [`AppState`]), `rpc/` (one file per
//! gRPC service), `domain/` (rules, one transaction per operation), `store/` (SQL, one query
//! per function), `keys/` (signing keys), `tokens/` (mint and verify), `authn` (the auth layer
//! of signed-in RPCs), `revocation` (revocation writes and the feed), `feed` (the
//! `WatchRevocations` read side: head, streams, pruning), `servicekey` (the internal API's
//! key check), `events` (security log), `password` (Argon2id pool), `clock` (injectable time), `bootstrap` (first admin, CLI
//! entry points).
#![forbid(unsafe_code)]

pub mod app;
pub mod authn;
pub mod bootstrap;
pub mod clock;
pub mod config;
pub mod domain;
pub mod error;
pub mod events;
pub mod feed;
pub mod keys;
pub mod password;
pub mod revocation;
pub mod rpc;
pub mod servicekey;
pub mod store;
pub mod tokens;

pub use app::{App, AppState};
pub use config::Config;
pub use error::Error;

/// Error domain in every `ErrorInfo` this service returns.
pub const DOMAIN: &str = "stride.auth";

/// A new UUIDv7 string (ids of users, sessions, tokens, events).
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
