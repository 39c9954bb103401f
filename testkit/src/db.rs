//! A fresh database per test.

use shared::db::{Backend, DatabaseUrl};
use sqlx::{Connection, Executor};

/// A database that exists for one test and is removed when dropped.
#[derive(Debug)]
pub struct TestDb {
    url: DatabaseUrl,
    /// Holds the SQLite file's directory alive.
    _dir: Option<tempfile::TempDir>,
    /// PostgreSQL: the server's admin URL and the database name to drop.
    postgres: Option<(String, String)>,
}

impl TestDb {
    /// Creates an empty database on `backend`; `service` only names it.
    pub async fn create(service: &str, backend: Backend) -> Self {
        shared::telemetry::init_for_tests();
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("create a temporary directory");
                let path = dir.path().join(format!("{service}.db"));
                let url = format!("sqlite://{}", path.display())
                    .parse()
                    .expect("a valid SQLite URL");
                Self {
                    url,
                    _dir: Some(dir),
                    postgres: None,
                }
            }
            Backend::Postgres => {
                let admin = std::env::var("STRIDE_TEST_POSTGRES_URL")
                    .expect("STRIDE_TEST_POSTGRES_URL names a PostgreSQL server");
                let name = format!("stride_{service}_{}", uuid::Uuid::now_v7().simple());
                let mut conn = sqlx::PgConnection::connect(&admin)
                    .await
                    .expect("connect to STRIDE_TEST_POSTGRES_URL");
                // The name is generated above, never user input.
                conn.execute(format!("CREATE DATABASE {name}").as_str())
                    .await
                    .expect("create the test database");
                let _ = conn.close().await;
                let mut url = url::Url::parse(&admin).expect("a valid PostgreSQL URL");
                url.set_path(&name);
                Self {
                    url: url.as_str().parse().expect("a valid PostgreSQL URL"),
                    _dir: None,
                    postgres: Some((admin, name)),
                }
            }
        }
    }

    /// The URL to give the service.
    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((admin, name)) = self.postgres.take() else {
            return;
        };
        // Drop runs inside the test's runtime, which cannot block on async work: a short-lived
        // thread with its own runtime removes the database (FORCE ends open connections).
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
