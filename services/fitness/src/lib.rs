//! The Stride fitness service: workouts, exercises (many-to-many) and per-user stats, behind an
//! auth layer that verifies tokens locally and follows the auth service's revocation feed.
//!
//! A library with a thin `main`: [`App::build`] binds and migrates, [`App::run`] serves until
//! shutdown. Tests and the `stride` launcher start it in-process through the same API; they
//! see only [`App`], [`Config`] (with [`config`]'s field types) and [`store::MIGRATIONS`].
#![forbid(unsafe_code)]

pub(crate) mod app;
pub(crate) mod auth;
pub mod config;
pub(crate) mod domain;
pub(crate) mod error;
#[doc(hidden)]
pub mod fuzzing;
pub(crate) mod rpc;
pub mod store;

pub use app::App;
pub use config::Config;

/// Error domain in every `ErrorInfo` this service returns.
pub(crate) const DOMAIN: &str = "stride.fitness";
