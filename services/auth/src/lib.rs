//! The Stride auth service: users, profiles, roles, sessions, Ed25519-signed tokens, signing
//! keys, the revocation feed and the security event log.
//!
//! A library with a thin `main`: [`App::build`] binds and migrates, [`App::run`] serves until
//! shutdown. Tests and the `stride` launcher start it in-process through the same API.
#![forbid(unsafe_code)]

pub mod app;
pub mod config;
pub mod error;
pub mod rpc;
pub mod store;

pub use app::App;
pub use config::Config;
pub use error::Error;

/// Error domain in every `ErrorInfo` this service returns.
pub const DOMAIN: &str = "stride.auth";
