//! Real services started in-process on port 0.

use std::future::Future;
use std::net::SocketAddr;

use shared::db::{Backend, Db};
use shared::server::StartError;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::transport::Channel;

use crate::Error;
use crate::db::TestDb;

/// A client channel to `addr`.
pub async fn channel(addr: SocketAddr) -> Channel {
    Channel::from_shared(format!("http://{addr}"))
        .expect("a valid endpoint")
        .connect()
        .await
        .expect("connect to the test service")
}

/// What [`Server`] needs of a service's `App`: both services build, report where they listen
/// and serve until a shutdown future resolves the same way.
pub trait Service: Sized + Send + 'static {
    /// Its configuration.
    type Config;
    /// Opens the database, migrates it and binds the listener.
    fn build(config: Self::Config) -> impl Future<Output = Result<Self, StartError>> + Send;
    /// Where it listens.
    fn local_addr(&self) -> SocketAddr;
    /// Its database pool.
    fn db(&self) -> &Db;
    /// Serves until `shutdown` resolves, then drains.
    fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> impl Future<Output = Result<(), tonic::transport::Error>> + Send + 'static;
}

/// Implements [`Service`] for a service crate's `App` by forwarding to its inherent methods,
/// which have the same names and shapes in both crates.
macro_rules! forward_service {
    ($krate:ident) => {
        impl Service for $krate::App {
            type Config = $krate::Config;
            fn build(
                config: Self::Config,
            ) -> impl Future<Output = Result<Self, StartError>> + Send {
                $krate::App::build(config)
            }
            fn local_addr(&self) -> SocketAddr {
                self.local_addr()
            }
            fn db(&self) -> &Db {
                self.db()
            }
            fn run(
                self,
                shutdown: impl Future<Output = ()> + Send + 'static,
            ) -> impl Future<Output = Result<(), tonic::transport::Error>> + Send + 'static {
                self.run(shutdown)
            }
        }
    };
}

forward_service!(stride_auth);
forward_service!(stride_fitness);

/// A service serving in a task of the current runtime, with its shutdown trigger.
#[derive(Debug)]
pub struct Server {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its database pool, for assertions on (or seeding of) stored rows.
    pub db: Db,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), tonic::transport::Error>>>,
}

impl Server {
    /// Builds the service from `config` and serves it.
    pub async fn start<S: Service>(config: S::Config) -> Result<Self, StartError> {
        Ok(Self::serve(S::build(config).await?))
    }

    /// Serves an already built `app`.
    pub fn serve<S: Service>(app: S) -> Self {
        let addr = app.local_addr();
        let db = app.db().clone();
        let (tx, rx) = oneshot::channel();
        let task = tokio::spawn(app.run(async move {
            let _ = rx.await;
        }));
        Self {
            addr,
            db,
            shutdown: Some(tx),
            task: Some(task),
        }
    }

    /// `http://<addr>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Shuts down gracefully and waits for the server to finish.
    pub async fn stop(mut self) -> Result<(), Error> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.await
                .map_err(|e| format!("the server task failed: {e}"))?
                .map_err(|e| format!("the server failed: {e}"))?;
        }
        Ok(())
    }
}

impl Drop for Server {
    /// A test or scenario that failed half-way still shuts its server down.
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// A running auth service over its own fresh database.
#[derive(Debug)]
pub struct TestAuth {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its database pool, for assertions on stored rows.
    pub db: Db,
    server: Server,
    // Declared last: the database outlives the server using it.
    test_db: TestDb,
}

impl TestAuth {
    /// Starts the auth service with the test configuration on `backend`.
    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Starts the auth service after `adjust` has edited the test configuration.
    pub async fn spawn_with(
        backend: Backend,
        adjust: impl FnOnce(&mut stride_auth::Config),
    ) -> Self {
        let test_db = TestDb::create("auth", backend).await;
        Self::start(test_db, adjust)
            .await
            .expect("auth service starts")
    }

    /// Starts the auth service on `test_db` after `adjust` has edited the test configuration.
    pub async fn start(
        test_db: TestDb,
        adjust: impl FnOnce(&mut stride_auth::Config),
    ) -> Result<Self, StartError> {
        let mut config = stride_auth::Config::for_tests(test_db.url().clone());
        adjust(&mut config);
        let server = Server::start::<stride_auth::App>(config).await?;
        Ok(Self {
            addr: server.addr,
            db: server.db.clone(),
            server,
            test_db,
        })
    }

    /// `http://<addr>`, as the fitness service's `STRIDE_AUTH_URL` expects.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// A client channel to the service.
    pub async fn channel(&self) -> Channel {
        channel(self.addr).await
    }

    /// The test database (its URL lets a second instance share it).
    pub fn test_db(&self) -> &TestDb {
        &self.test_db
    }

    /// Shuts down gracefully and waits for the server to finish.
    pub async fn stop(self) {
        self.stop_keeping_db().await.expect("auth stops cleanly");
    }

    /// Shuts down gracefully and hands back the database, for the caller to remove.
    pub async fn stop_keeping_db(self) -> Result<TestDb, Error> {
        self.server.stop().await?;
        Ok(self.test_db)
    }
}

/// A running fitness service over its own fresh database.
#[derive(Debug)]
pub struct TestFitness {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its database pool, for assertions on stored rows.
    pub db: Db,
    server: Server,
    test_db: TestDb,
}

impl TestFitness {
    /// Starts the fitness service on `backend`, pointed at the auth service at `auth_url`.
    pub async fn spawn(backend: Backend, auth_url: String) -> Self {
        Self::spawn_with(backend, auth_url, |_| {}).await
    }

    /// Starts the fitness service after `adjust` has edited the test configuration.
    pub async fn spawn_with(
        backend: Backend,
        auth_url: String,
        adjust: impl FnOnce(&mut stride_fitness::Config),
    ) -> Self {
        let test_db = TestDb::create("fitness", backend).await;
        Self::start(test_db, auth_url, adjust)
            .await
            .expect("fitness service starts")
    }

    /// Starts the fitness service on `test_db` after `adjust` has edited the test
    /// configuration.
    pub async fn start(
        test_db: TestDb,
        auth_url: String,
        adjust: impl FnOnce(&mut stride_fitness::Config),
    ) -> Result<Self, StartError> {
        let mut config = stride_fitness::Config::for_tests(test_db.url().clone(), auth_url);
        adjust(&mut config);
        let server = Server::start::<stride_fitness::App>(config).await?;
        Ok(Self {
            addr: server.addr,
            db: server.db.clone(),
            server,
            test_db,
        })
    }

    /// A client channel to the service.
    pub async fn channel(&self) -> Channel {
        channel(self.addr).await
    }

    /// Shuts down gracefully and waits for the server to finish.
    pub async fn stop(self) {
        self.stop_keeping_db().await.expect("fitness stops cleanly");
    }

    /// Shuts down gracefully and hands back the database, for the caller to remove.
    pub async fn stop_keeping_db(self) -> Result<TestDb, Error> {
        self.server.stop().await?;
        Ok(self.test_db)
    }
}
