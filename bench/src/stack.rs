//! The real services, started in-process on loopback port 0 over fresh databases.
//!
//! In-process keeps the load generator and both services on one Tokio runtime with one set of
//! worker threads, which is what "both services on one machine" means on 2 cores: every
//! figure includes the client's own cost, as any loopback benchmark's does. Per-service memory
//! is measured separately with child processes (see `scenarios::rss`).

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context as _, Result};
use shared::db::{Backend, Db};
use testkit::{TestAuth, TestDb, TestFitness};
use tonic::transport::{Channel, Endpoint};

/// Where PostgreSQL databases are created when `STRIDE_BENCH_POSTGRES_URL` is unset.
pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Deadline of every call the benchmark makes.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// The shared secret between fitness and auth in the benchmark stack.
pub const SERVICE_KEY: &str = "bench-service-key";

/// Creates an empty database for `service` on `backend` for one run: a SQLite file in a
/// temporary directory, or a database on the server at `STRIDE_BENCH_POSTGRES_URL`. Remove it
/// with `TestDb::drop_now`; dropping it removes it on a helper thread.
pub async fn create_db(service: &str, backend: Backend) -> Result<TestDb> {
    let admin = postgres_admin_url();
    TestDb::create_named("stride_bench", service, backend, &admin)
        .await
        .map_err(|e| anyhow::anyhow!("{e} (STRIDE_BENCH_POSTGRES_URL)"))
}

/// `STRIDE_BENCH_POSTGRES_URL`, or the local default.
pub fn postgres_admin_url() -> String {
    std::env::var("STRIDE_BENCH_POSTGRES_URL")
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| DEFAULT_POSTGRES_URL.to_owned())
}

/// Connects to the PostgreSQL server of `STRIDE_BENCH_POSTGRES_URL` once: whether scenarios
/// that need it whatever `--backend` says can run.
pub async fn check_postgres() -> Result<()> {
    let url: shared::db::DatabaseUrl = postgres_admin_url()
        .parse()
        .map_err(|e: String| anyhow::anyhow!("{e} (STRIDE_BENCH_POSTGRES_URL)"))?;
    let config = shared::db::PoolConfig {
        max_connections: 1,
        acquire_timeout: std::time::Duration::from_secs(3),
    };
    let db = Db::connect(&url, &config).await?;
    db.close().await;
    Ok(())
}

/// A service of the stack: where it listens, its pool, and how it stops.
#[derive(Debug)]
pub struct Running {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its database pool (for seeding rows directly).
    pub db: Db,
    service: Service,
}

/// The testkit service behind a [`Running`], which owns its server and database.
#[derive(Debug)]
enum Service {
    Auth(TestAuth),
    Fitness(TestFitness),
}

impl Running {
    /// `http://<addr>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops the server (bounded drain), then removes its database.
    pub async fn stop(self) -> Result<()> {
        let stopped = async {
            match self.service {
                Service::Auth(auth) => auth.stop_keeping_db().await,
                Service::Fitness(fitness) => fitness.stop_keeping_db().await,
            }
        };
        let database = tokio::time::timeout(Duration::from_secs(10), stopped)
            .await
            .map_err(|_| anyhow::anyhow!("server did not stop within 10 s"))?
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        database
            .drop_now()
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))
    }
}

/// How the auth service hashes passwords in a stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Argon2Cost {
    /// Production defaults (OWASP: m=19 MiB, t=2, p=1) with one hash per CPU at once.
    Production,
    /// 1 MiB, t=1: only for setting up users in scenarios that do not measure hashing.
    Fast,
}

/// Starts the auth service on a fresh database.
pub async fn start_auth(backend: Backend, cost: Argon2Cost) -> Result<Running> {
    let database = create_db("auth", backend).await?;
    let auth = TestAuth::start(database, |config| {
        config.service_key = stride_auth::config::Secret::new(SERVICE_KEY);
        // Every benchmark client comes from 127.0.0.1: the per-IP login limit would throttle
        // the Login scenarios after 30 attempts, which is not what they measure.
        config.lockout.ip_limit = u32::MAX;
        // Nor may the per-IP registration limit stop `console-pages` seeding its 1,000 users.
        config.lockout.register_ip_limit = u32::MAX;
        if cost == Argon2Cost::Production {
            config.password.memory_kib = argon2::Params::DEFAULT_M_COST;
            config.password.iterations = argon2::Params::DEFAULT_T_COST;
            config.password.parallelism = argon2::Params::DEFAULT_P_COST;
            config.password.hash_concurrency =
                std::thread::available_parallelism().map_or(1, usize::from);
        }
    })
    .await
    .map_err(|e| anyhow::anyhow!("auth service does not start: {e}"))?;
    Ok(Running {
        addr: auth.addr,
        db: auth.db.clone(),
        service: Service::Auth(auth),
    })
}

/// Starts the fitness service on a fresh database, pointed at `auth_url`; with
/// `auth_disabled` the caller is taken from `x-stride-user-id` (benchmarks only).
pub async fn start_fitness(
    backend: Backend,
    auth_url: String,
    auth_disabled: bool,
) -> Result<Running> {
    let database = create_db("fitness", backend).await?;
    let fitness = TestFitness::start(database, auth_url, |config| {
        config.auth.service_key = shared::secret::Secret::new(SERVICE_KEY);
        config.auth.disabled = auth_disabled;
    })
    .await
    .map_err(|e| anyhow::anyhow!("fitness service does not start: {e}"))?;
    Ok(Running {
        addr: fitness.addr,
        db: fitness.db.clone(),
        service: Service::Fitness(fitness),
    })
}

/// `n` independent HTTP/2 connections to `addr`, established before any measurement (each
/// tonic `Channel` multiplexes many concurrent calls over one connection).
pub async fn channels(addr: SocketAddr, n: usize) -> Result<Vec<Channel>> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n.max(1) {
        let channel = Endpoint::from_shared(format!("http://{addr}"))?
            .tcp_nodelay(true)
            .connect_timeout(Duration::from_secs(5))
            // Every call is bounded, so a stuck server ends a phase instead of hanging it.
            .timeout(CALL_TIMEOUT)
            .connect()
            .await
            .with_context(|| format!("connect to {addr}"))?;
        out.push(channel);
    }
    Ok(out)
}

/// Connections per service: one per 16 in-flight calls, at least one, at most four. A few
/// long-lived connections is how a real client (or Envoy) talks to a gRPC backend.
pub fn connections_for(concurrency: usize) -> usize {
    concurrency.div_ceil(16).clamp(1, 4)
}
