//! Real services started in-process on port 0.

use std::net::SocketAddr;

use shared::db::{Backend, Db};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::transport::Channel;

use crate::db::TestDb;

/// A client channel to `addr`.
pub async fn channel(addr: SocketAddr) -> Channel {
    Channel::from_shared(format!("http://{addr}"))
        .expect("a valid endpoint")
        .connect()
        .await
        .expect("connect to the test service")
}

/// A server task with its shutdown trigger.
#[derive(Debug)]
struct Running {
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), tonic::transport::Error>>>,
}

impl Running {
    fn start<F>(serve: impl FnOnce(oneshot::Receiver<()>) -> F) -> Self
    where
        F: std::future::Future<Output = Result<(), tonic::transport::Error>> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        Self {
            shutdown: Some(tx),
            task: Some(tokio::spawn(serve(rx))),
        }
    }

    async fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.await
                .expect("server task panicked")
                .expect("server failed");
        }
    }
}

impl Drop for Running {
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
    running: Running,
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
        let mut config = stride_auth::Config::for_tests(test_db.url().clone());
        adjust(&mut config);
        let app = stride_auth::App::build(config)
            .await
            .expect("auth service starts");
        let addr = app.local_addr();
        let db = app.db().clone();
        let running = Running::start(|rx| async move {
            app.run(async move {
                let _ = rx.await;
            })
            .await
        });
        Self {
            addr,
            db,
            running,
            test_db,
        }
    }

    /// `http://<addr>`, as the fitness service's `STRIDE_AUTH_URL` expects.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
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
    pub async fn stop(mut self) {
        self.running.stop().await;
    }
}

/// A running fitness service over its own fresh database.
#[derive(Debug)]
pub struct TestFitness {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its database pool, for assertions on stored rows.
    pub db: Db,
    running: Running,
    _test_db: TestDb,
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
        let mut config = stride_fitness::Config::for_tests(test_db.url().clone(), auth_url);
        adjust(&mut config);
        let app = stride_fitness::App::build(config)
            .await
            .expect("fitness service starts");
        let addr = app.local_addr();
        let db = app.db().clone();
        let running = Running::start(|rx| async move {
            app.run(async move {
                let _ = rx.await;
            })
            .await
        });
        Self {
            addr,
            db,
            running,
            _test_db: test_db,
        }
    }

    /// A client channel to the service.
    pub async fn channel(&self) -> Channel {
        channel(self.addr).await
    }

    /// Shuts down gracefully and waits for the server to finish.
    pub async fn stop(mut self) {
        self.running.stop().await;
    }
}
