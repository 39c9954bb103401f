//! Replicas of both services on one PostgreSQL, added one pair at a time as a deployment
//! scales out: auth-k serves the one auth database, fitness-k the one fitness database and
//! follows auth-k (its `STRIDE_AUTH_URL`). The shape of `testkit::replicas::Replicas`, built
//! from the benchmark's own pieces: databases on `STRIDE_BENCH_POSTGRES_URL`, the benchmark's
//! service key and login limits, and errors reported instead of panics.

use std::time::Duration;

use anyhow::{Result, anyhow};
use shared::db::Backend;
use testkit::{Server, TestDb};

use crate::stack::{self, SERVICE_KEY};

/// The replicas started so far and their two databases.
pub struct Deployment {
    /// auth-1, auth-2, … in order.
    pub auth: Vec<Server>,
    /// fitness-1 (following auth-1), fitness-2 (following auth-2), … in order.
    pub fitness: Vec<Server>,
    /// The cross-replica head poll interval of every auth replica.
    pub poll_interval: Duration,
    // Declared last: the databases outlive the servers (dropping one removes it).
    auth_db: TestDb,
    fitness_db: TestDb,
}

impl Deployment {
    /// One replica of each service over fresh databases.
    pub async fn start() -> Result<Self> {
        let auth_db = stack::create_db("auth", Backend::Postgres).await?;
        let fitness_db = stack::create_db("fitness", Backend::Postgres).await?;
        let poll_interval = auth_config(&auth_db).feed.poll_interval;
        let mut deployment = Self {
            auth: Vec::new(),
            fitness: Vec::new(),
            poll_interval,
            auth_db,
            fitness_db,
        };
        deployment.add_pair().await?;
        Ok(deployment)
    }

    /// Starts auth-k on the auth database (the first one migrates it, the next find it
    /// ready, as in a rolling deployment), then fitness-k following it.
    pub async fn add_pair(&mut self) -> Result<()> {
        let k = self.auth.len() + 1;
        let auth = Server::start::<stride_auth::App>(auth_config(&self.auth_db))
            .await
            .map_err(|e| anyhow!("auth-{k} does not start: {e}"))?;
        let mut config =
            stride_fitness::Config::for_tests(self.fitness_db.url().clone(), auth.url());
        config.auth.service_key = shared::secret::Secret::new(SERVICE_KEY);
        let fitness = Server::start::<stride_fitness::App>(config)
            .await
            .map_err(|e| anyhow!("fitness-{k} does not start: {e}"))?;
        self.auth.push(auth);
        self.fitness.push(fitness);
        Ok(())
    }

    /// Stops every fitness replica, then every auth replica (bounded drains), then removes
    /// both databases.
    pub async fn stop(self) -> Result<()> {
        let Self {
            auth,
            fitness,
            auth_db,
            fitness_db,
            ..
        } = self;
        for server in fitness.into_iter().chain(auth) {
            tokio::time::timeout(Duration::from_secs(10), server.stop())
                .await
                .map_err(|_| anyhow!("a replica did not stop within 10 s"))?
                .map_err(|e| anyhow!("{e}"))?;
        }
        for db in [fitness_db, auth_db] {
            db.drop_now().await.map_err(|e| anyhow!("{e}"))?;
        }
        Ok(())
    }
}

/// The configuration of every auth replica: the tests' (fast Argon2, production feed
/// intervals) with the benchmark's service key and no per-IP login limit (every client of
/// the benchmark is 127.0.0.1), as `stack::start_auth` sets them.
fn auth_config(db: &TestDb) -> stride_auth::Config {
    let mut config = stride_auth::Config::for_tests(db.url().clone());
    config.service_key = stride_auth::config::Secret::new(SERVICE_KEY);
    config.lockout.ip_limit = u32::MAX;
    config
}
