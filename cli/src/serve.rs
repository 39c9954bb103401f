//! Running services: the dev stack, one service, or migrations only.

use shared::config::{ConfigError, Env};
use tokio::sync::watch;

use crate::Service;

/// Why a command failed.
#[derive(Debug)]
pub enum Failure {
    /// Invalid configuration: one line, exit code 2.
    Config(ConfigError),
    /// Anything else: one line, exit code 1.
    Other(String),
}

impl From<ConfigError> for Failure {
    fn from(err: ConfigError) -> Self {
        Failure::Config(err)
    }
}

fn other(err: impl std::fmt::Display) -> Failure {
    Failure::Other(err.to_string())
}

/// A shutdown future per service, all resolved by one SIGINT/SIGTERM.
fn shutdown_fanout() -> impl Fn() -> std::pin::Pin<Box<dyn Future<Output = ()> + Send>> {
    let (tx, rx) = watch::channel(false);
    tokio::spawn(async move {
        shared::server::shutdown_signal().await;
        let _ = tx.send(true);
    });
    move || {
        let mut rx = rx.clone();
        Box::pin(async move {
            let _ = rx.wait_for(|stop| *stop).await;
        })
    }
}

/// Runs auth and fitness together until SIGINT/SIGTERM.
pub async fn dev(env: Env<'_>) -> Result<(), Failure> {
    let auth_config = stride_auth::Config::from_env(env)?;
    let fitness_config = stride_fitness::Config::from_env(env)?;
    let auth = stride_auth::App::build(auth_config).await.map_err(other)?;
    let fitness = stride_fitness::App::build(fitness_config)
        .await
        .map_err(other)?;
    let (auth_addr, fitness_addr) = (auth.local_addr(), fitness.local_addr());
    tracing::info!(%auth_addr, %fitness_addr, "Stride is up");
    print_welcome(auth_addr, fitness_addr);
    let shutdown = shutdown_fanout();
    let (auth_result, fitness_result) = tokio::join!(auth.run(shutdown()), fitness.run(shutdown()));
    auth_result.map_err(other)?;
    fitness_result.map_err(other)
}

/// Runs one service until SIGINT/SIGTERM.
pub async fn one(service: Service, env: Env<'_>) -> Result<(), Failure> {
    let shutdown = shutdown_fanout();
    match service {
        Service::Auth => {
            let app = stride_auth::App::build(stride_auth::Config::from_env(env)?)
                .await
                .map_err(other)?;
            app.run(shutdown()).await.map_err(other)
        }
        Service::Fitness => {
            let app = stride_fitness::App::build(stride_fitness::Config::from_env(env)?)
                .await
                .map_err(other)?;
            app.run(shutdown()).await.map_err(other)
        }
    }
}

/// Applies migrations for one or both services.
pub async fn migrate(service: Option<Service>, env: Env<'_>) -> Result<(), Failure> {
    let connect = shared::db::PoolConfig::default();
    if service != Some(Service::Fitness) {
        let config = stride_auth::Config::from_env(env)?;
        let db = shared::db::Db::connect(&config.database_url, &connect)
            .await
            .map_err(other)?;
        db.migrate(&stride_auth::store::MIGRATIONS)
            .await
            .map_err(other)?;
        tracing::info!(database = ?config.database_url, "auth database migrated");
    }
    if service != Some(Service::Auth) {
        let config = stride_fitness::Config::from_env(env)?;
        let db = shared::db::Db::connect(&config.database_url, &connect)
            .await
            .map_err(other)?;
        db.migrate(&stride_fitness::store::MIGRATIONS)
            .await
            .map_err(other)?;
        tracing::info!(database = ?config.database_url, "fitness database migrated");
    }
    Ok(())
}

#[allow(clippy::print_stdout)] // The launcher's whole job here is to tell a person where to go.
fn print_welcome(auth: std::net::SocketAddr, fitness: std::net::SocketAddr) {
    println!(
        "\nStride is running (SQLite under ./data; Ctrl-C stops it).\n\
         \n  auth     grpc://{auth}\n  fitness  grpc://{fitness}\n\
         \nTry it:\n  grpcurl -plaintext {auth} list\n  grpcurl -plaintext {fitness} list\n"
    );
}
