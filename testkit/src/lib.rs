//! The test harness every Stride integration test uses.
//!
//! - [`TestDb`] makes a fresh database per test: a SQLite file in a temporary directory, or a
//!   PostgreSQL database created on the server named by `STRIDE_TEST_POSTGRES_URL` and dropped
//!   when the test ends.
//! - [`TestAuth`] and [`TestFitness`] start the real services in-process on port 0.
//! - [`backend_tests!`] runs each test once per backend.
//! - [`users`], [`bearer`], [`status`] and [`poll`] hold what tests of both services do as a
//!   client: sign up and in, present a token, read an error's details, wait for background work.
//! - [`raw_h2`] drives an HTTP/2 connection frame by frame, for tests of the server's limits.
//! - [`backup`] does to an auth database what restoring it from a backup does to its feed.
//!
//! The benchmark (`bench/`) builds its stack from the same pieces: [`TestDb::create_named`] on
//! its own PostgreSQL server, [`TestAuth::start`] and [`TestFitness::start`].
//!
//! Without `STRIDE_TEST_POSTGRES_URL` the PostgreSQL variants skip, unless
//! `STRIDE_TEST_POSTGRES=required` (as in CI), where they fail instead. `TEST_LOG=1` shows logs.
#![forbid(unsafe_code)]
// A harness reports setup failures by panicking, exactly like an assertion.
#![allow(clippy::expect_used, clippy::unwrap_used)]

pub mod backup;
pub mod bearer;
mod db;
pub mod mail;
pub mod metrics;
pub mod poll;
mod probe;
pub mod raw_h2;
pub mod replicas;
mod services;
pub mod status;
pub mod users;

pub use db::TestDb;
pub use probe::{health_status, list_services_v1, list_services_v1alpha};
pub use services::{Server, Service, TestAuth, TestFitness, channel};
pub use shared::db::Backend;

/// Why a database or a server could not be set up or taken down (the benchmark reports it;
/// tests panic with it).
pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// Runs each named `async fn(Backend)` as two tests, `sqlite::<name>` and `postgres::<name>`.
///
/// ```ignore
/// async fn registers_a_user(backend: Backend) { /* … */ }
/// testkit::backend_tests!(registers_a_user);
/// ```
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if $crate::postgres_available() {
                        super::$name($crate::Backend::Postgres).await
                    }
                }
            )*
        }
    };
}

/// True when PostgreSQL tests can run. Panics when they are required but not configured.
pub fn postgres_available() -> bool {
    shared::telemetry::init_for_tests();
    let configured = std::env::var("STRIDE_TEST_POSTGRES_URL").is_ok_and(|v| !v.is_empty());
    let required = std::env::var("STRIDE_TEST_POSTGRES").is_ok_and(|v| v == "required");
    assert!(
        configured || !required,
        "STRIDE_TEST_POSTGRES=required but STRIDE_TEST_POSTGRES_URL is not set"
    );
    if !configured {
        eprintln!("skipping: STRIDE_TEST_POSTGRES_URL is not set");
    }
    configured
}
