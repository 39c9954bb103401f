//! The real services, started in-process on loopback port 0 over fresh databases.
//!
//! In-process keeps the load generator and both services on one Tokio runtime with one set of
//! worker threads, which is what "both services on one machine" means on 2 cores: every
//! figure includes the client's own cost, as any loopback benchmark's does. Per-service memory
//! is measured separately with child processes (see `scenarios::rss`).

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use shared::db::{Backend, DatabaseUrl, Db};
use sqlx::{Connection as _, Executor as _};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::transport::{Channel, Endpoint};

/// Where PostgreSQL databases are created when `STRIDE_BENCH_POSTGRES_URL` is unset.
pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Deadline of every call the benchmark makes.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// The shared secret between fitness and auth in the benchmark stack.
pub const SERVICE_KEY: &str = "bench-service-key";

/// A database that exists for one run: an SQLite file in a temporary directory, or a
/// PostgreSQL database created on the admin server and dropped by [`BenchDb::drop_now`].
#[derive(Debug)]
pub struct BenchDb {
    url: DatabaseUrl,
    _dir: Option<tempfile::TempDir>,
    postgres: Option<(String, String)>,
}

impl BenchDb {
    /// Creates an empty database for `service` on `backend`.
    pub async fn create(service: &str, backend: Backend) -> Result<Self> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::Builder::new()
                    .prefix("stride-bench-")
                    .tempdir()
                    .context("create a temporary directory")?;
                let path = dir.path().join(format!("{service}.db"));
                let url = format!("sqlite://{}", path.display())
                    .parse()
                    .map_err(|e: String| anyhow::anyhow!(e))?;
                Ok(Self {
                    url,
                    _dir: Some(dir),
                    postgres: None,
                })
            }
            Backend::Postgres => {
                let admin = postgres_admin_url();
                let name = format!("stride_bench_{service}_{}", uuid::Uuid::now_v7().simple());
                let mut conn = sqlx::PgConnection::connect(&admin)
                    .await
                    .with_context(|| format!("connect to {admin} (STRIDE_BENCH_POSTGRES_URL)"))?;
                // The name is generated above, never input.
                conn.execute(format!("CREATE DATABASE {name}").as_str())
                    .await
                    .context("create the benchmark database")?;
                let _ = conn.close().await;
                let mut url = url::Url::parse(&admin).context("STRIDE_BENCH_POSTGRES_URL")?;
                url.set_path(&name);
                Ok(Self {
                    url: url
                        .as_str()
                        .parse()
                        .map_err(|e: String| anyhow::anyhow!(e))?,
                    _dir: None,
                    postgres: Some((admin, name)),
                })
            }
        }
    }

    /// The URL to give the service.
    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// Removes a PostgreSQL database (ending its connections); SQLite files go with the
    /// temporary directory when this value is dropped.
    pub async fn drop_now(mut self) -> Result<()> {
        if let Some((admin, name)) = self.postgres.take() {
            let mut conn = sqlx::PgConnection::connect(&admin).await?;
            conn.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                .await
                .context("drop the benchmark database")?;
            let _ = conn.close().await;
        }
        Ok(())
    }
}

impl Drop for BenchDb {
    /// The safety net when a scenario fails before [`BenchDb::drop_now`]: a short-lived thread
    /// with its own runtime drops the PostgreSQL database (Drop cannot await).
    fn drop(&mut self) {
        let Some((admin, name)) = self.postgres.take() else {
            return;
        };
        let dropper = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
                    let _ = conn
                        .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                        .await;
                    let _ = conn.close().await;
                }
            });
        });
        let _ = dropper.join();
    }
}

/// `STRIDE_BENCH_POSTGRES_URL`, or the local default.
pub fn postgres_admin_url() -> String {
    std::env::var("STRIDE_BENCH_POSTGRES_URL")
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| DEFAULT_POSTGRES_URL.to_owned())
}

/// A service task and its shutdown trigger.
#[derive(Debug)]
pub struct Running {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its database pool (for seeding rows directly).
    pub db: Db,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), tonic::transport::Error>>>,
    database: Option<BenchDb>,
}

impl Running {
    /// `http://<addr>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops the server (bounded drain), then removes its database.
    pub async fn stop(mut self) -> Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            match tokio::time::timeout(Duration::from_secs(10), task).await {
                Ok(Ok(Ok(()))) => {}
                Ok(Ok(Err(e))) => bail!("server failed: {e}"),
                Ok(Err(e)) => bail!("server task failed: {e}"),
                Err(_) => bail!("server did not stop within 10 s"),
            }
        }
        if let Some(db) = self.database.take() {
            db.drop_now().await?;
        }
        Ok(())
    }
}

impl Drop for Running {
    /// A scenario that failed half-way still shuts its server down.
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
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
    let database = BenchDb::create("auth", backend).await?;
    let mut config = stride_auth::Config::for_tests(database.url().clone());
    config.service_key = stride_auth::config::Secret::new(SERVICE_KEY);
    // Every benchmark client comes from 127.0.0.1: the per-IP login limit would throttle the
    // Login scenarios after 30 attempts, which is not what they measure.
    config.lockout.ip_limit = u32::MAX;
    if cost == Argon2Cost::Production {
        config.password.memory_kib = argon2::Params::DEFAULT_M_COST;
        config.password.iterations = argon2::Params::DEFAULT_T_COST;
        config.password.parallelism = argon2::Params::DEFAULT_P_COST;
        config.password.hash_concurrency =
            std::thread::available_parallelism().map_or(1, usize::from);
    }
    let app = stride_auth::App::build(config)
        .await
        .map_err(|e| anyhow::anyhow!("auth service does not start: {e}"))?;
    let addr = app.local_addr();
    let db = app.db().clone();
    let (tx, rx) = oneshot::channel();
    let task = tokio::spawn(app.run(async move {
        let _ = rx.await;
    }));
    Ok(Running {
        addr,
        db,
        shutdown: Some(tx),
        task: Some(task),
        database: Some(database),
    })
}

/// Starts the fitness service on a fresh database, pointed at `auth_url`; with
/// `auth_disabled` the caller is taken from `x-stride-user-id` (benchmarks only).
pub async fn start_fitness(
    backend: Backend,
    auth_url: String,
    auth_disabled: bool,
) -> Result<Running> {
    let database = BenchDb::create("fitness", backend).await?;
    let mut config = stride_fitness::Config::for_tests(database.url().clone(), auth_url);
    config.auth.service_key = shared::secret::Secret::new(SERVICE_KEY);
    config.auth.disabled = auth_disabled;
    let app = stride_fitness::App::build(config)
        .await
        .map_err(|e| anyhow::anyhow!("fitness service does not start: {e}"))?;
    let addr = app.local_addr();
    let db = app.db().clone();
    let (tx, rx) = oneshot::channel();
    let task = tokio::spawn(app.run(async move {
        let _ = rx.await;
    }));
    Ok(Running {
        addr,
        db,
        shutdown: Some(tx),
        task: Some(task),
        database: Some(database),
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
