//! The Stride fitness service: workouts, exercises (many-to-many) and per-user stats, behind an
//! auth layer that verifies tokens locally and follows the auth service's revocation feed.
//!
//! A library with a thin `main`: [`App::build`] binds and migrates, [`App::run`] serves until
//! shutdown. Tests and the `stride` launcher start it in-process through the same API.
#![forbid(unsafe_code)]

pub mod app;
pub mod auth;
pub mod config;
pub mod domain;
pub mod error;
pub mod rpc;
pub mod store;

pub use app::App;
pub use config::Config;
pub use error::Error;

/// Error domain in every `ErrorInfo` this service returns.
pub const DOMAIN: &str = "stride.fitness";
