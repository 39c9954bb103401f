//! Startup: open and migrate the database, bind the listener, wire the gRPC services, serve
//! until shutdown.

use std::future::Future;
use std::net::SocketAddr;

use shared::db::Db;
use shared::pb::fitness::v1::{
    exercise_service_server::{self, ExerciseServiceServer},
    stats_service_server::{self, StatsServiceServer},
    workout_service_server::{self, WorkoutServiceServer},
};
use shared::server::{self, Health, StartError};
use tokio::net::TcpListener;
use tonic::transport::Server;

use crate::config::Config;
use crate::rpc;
use crate::store::MIGRATIONS;

/// A built fitness service: database migrated, listener bound, ready to [`run`](App::run).
#[derive(Debug)]
pub struct App {
    config: Config,
    db: Db,
    listener: TcpListener,
    local_addr: SocketAddr,
}

impl App {
    /// Opens and migrates the database and binds the listen address (port 0 allowed).
    pub async fn build(config: Config) -> Result<Self, StartError> {
        let prepared = server::prepare(
            "fitness",
            &config.database_url,
            &MIGRATIONS,
            config.listen_addr,
        )
        .await?;
        Ok(Self {
            config,
            db: prepared.db,
            listener: prepared.listener,
            local_addr: prepared.local_addr,
        })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The database pool (tests inspect rows through it).
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Serves until `shutdown` resolves, then drains for at most the configured time.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), tonic::transport::Error> {
        let (reporter, health_service) = tonic_health::server::health_reporter();
        let services = vec![
            workout_service_server::SERVICE_NAME,
            exercise_service_server::SERVICE_NAME,
            stats_service_server::SERVICE_NAME,
        ];
        let (reflection_v1, reflection_v1alpha) = match server::reflection(&services) {
            Ok(pair) => pair,
            Err(err) => {
                // The descriptor set is compiled in; failing here is a build defect.
                tracing::error!(error = %err, "reflection descriptor set is invalid");
                return Ok(());
            }
        };
        let health = Health::new(reporter, services);
        health.serving().await;
        tracing::info!(addr = %self.local_addr, backend = self.db.backend().name(), "fitness service listening");
        let router = Server::builder()
            .trace_fn(
                |req| tracing::info_span!("grpc", service = "fitness", method = %req.uri().path()),
            )
            .add_service(health_service)
            .add_service(reflection_v1)
            .add_service(reflection_v1alpha)
            .add_service(WorkoutServiceServer::new(rpc::workout::WorkoutApi))
            .add_service(ExerciseServiceServer::new(rpc::exercise::ExerciseApi))
            .add_service(StatsServiceServer::new(rpc::stats::StatsApi));
        let incoming = server::incoming(self.listener);
        let db = self.db.clone();
        let result =
            server::serve_with_drain(health, shutdown, self.config.shutdown_drain, |signal| {
                router.serve_with_incoming_shutdown(incoming, signal)
            })
            .await;
        db.close().await;
        tracing::info!("fitness service stopped");
        result
    }
}
