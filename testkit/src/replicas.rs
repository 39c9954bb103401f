//! Two replicas of each service over one database per service, as a deployment behind load
//! balancers runs them: auth-1 and auth-2 serve one auth database; fitness-1 follows auth-1
//! (its `STRIDE_AUTH_URL`) and fitness-2 follows auth-2, and both serve one fitness database.
//! So what happens on one auth replica reaches the other half of the stack only through the
//! shared database: the feed's head poll, the key set's reload, counters in rows.
//!
//! Replicas share a database only on PostgreSQL in real deployments, so their tests run there
//! alone, through [`postgres_tests!`](crate::postgres_tests).

use shared::db::Backend;
use tonic::transport::Channel;

use crate::db::TestDb;
use crate::services::{Server, channel};

/// auth-1, auth-2, fitness-1 and fitness-2 serving in tasks of the current runtime.
#[derive(Debug)]
pub struct Replicas {
    /// auth-1 and auth-2, in that order, on one auth database (each `db` pool reads it).
    pub auth: [Server; 2],
    /// fitness-1 (following auth-1) and fitness-2 (following auth-2), in that order, on one
    /// fitness database.
    pub fitness: [Server; 2],
    // Declared last: the databases outlive the servers using them.
    _auth_db: TestDb,
    _fitness_db: TestDb,
}

impl Replicas {
    /// All four on `backend` with the test configurations.
    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, |_, _| {}, |_, _| {}).await
    }

    /// All four, after `adjust_auth` and `adjust_fitness` have edited each replica's test
    /// configuration; they are told the replica's index (0 for auth-1 and fitness-1, 1 for
    /// auth-2 and fitness-2), so a test can set one replica apart.
    pub async fn spawn_with(
        backend: Backend,
        adjust_auth: impl Fn(usize, &mut stride_auth::Config),
        adjust_fitness: impl Fn(usize, &mut stride_fitness::Config),
    ) -> Self {
        let auth_db = TestDb::create("auth", backend).await;
        let fitness_db = TestDb::create("fitness", backend).await;
        // One after the other, as a rolling deployment starts them: the first replica
        // migrates the fresh database (and creates the first signing key), the second finds
        // it ready.
        let mut auth = Vec::with_capacity(2);
        for replica in 0..2 {
            let mut config = stride_auth::Config::for_tests(auth_db.url().clone());
            adjust_auth(replica, &mut config);
            let server = Server::start::<stride_auth::App>(config)
                .await
                .expect("an auth replica starts");
            auth.push(server);
        }
        let mut fitness = Vec::with_capacity(2);
        for (replica, followed) in auth.iter().enumerate() {
            let mut config =
                stride_fitness::Config::for_tests(fitness_db.url().clone(), followed.url());
            adjust_fitness(replica, &mut config);
            let server = Server::start::<stride_fitness::App>(config)
                .await
                .expect("a fitness replica starts");
            fitness.push(server);
        }
        Self {
            auth: pair(auth),
            fitness: pair(fitness),
            _auth_db: auth_db,
            _fitness_db: fitness_db,
        }
    }

    /// Client channels to auth-1 and auth-2.
    pub async fn auth_channels(&self) -> [Channel; 2] {
        [
            channel(self.auth[0].addr).await,
            channel(self.auth[1].addr).await,
        ]
    }

    /// Client channels to fitness-1 and fitness-2.
    pub async fn fitness_channels(&self) -> [Channel; 2] {
        [
            channel(self.fitness[0].addr).await,
            channel(self.fitness[1].addr).await,
        ]
    }

    /// Shuts every replica down gracefully, fitness first (it follows auth), and waits for
    /// them; then the databases go.
    pub async fn stop(self) {
        let Self { auth, fitness, .. } = self;
        for server in fitness {
            server
                .stop()
                .await
                .expect("a fitness replica stops cleanly");
        }
        for server in auth {
            server.stop().await.expect("an auth replica stops cleanly");
        }
    }
}

/// The two servers started above, as an array.
fn pair(servers: Vec<Server>) -> [Server; 2] {
    servers.try_into().expect("two replicas were started")
}

/// Runs each named `async fn(Backend)` as one test, `postgres::<name>`, for behaviour that
/// exists only on PostgreSQL (such as replicas sharing a database). It skips and fails exactly
/// like the PostgreSQL half of [`backend_tests!`](crate::backend_tests).
///
/// ```ignore
/// async fn replicas_share_a_lockout(backend: Backend) { /* … */ }
/// testkit::postgres_tests!(replicas_share_a_lockout);
/// ```
#[macro_export]
macro_rules! postgres_tests {
    ($($name:ident),* $(,)?) => {
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
