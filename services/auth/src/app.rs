//! Startup: open and migrate the database, bind the listener, wire the gRPC services, serve
//! until shutdown.

use std::future::Future;
use std::net::SocketAddr;

use shared::db::Db;
use shared::pb::auth::v1::{
    admin_service_server::{self, AdminServiceServer},
    auth_service_server::{self, AuthServiceServer},
    session_service_server::{self, SessionServiceServer},
    token_introspection_service_server::{self, TokenIntrospectionServiceServer},
    user_service_server::{self, UserServiceServer},
};
use shared::server::{self, Health, StartError};
use tokio::net::TcpListener;
use tonic::transport::Server;

use crate::config::Config;
use crate::rpc;
use crate::store::MIGRATIONS;

/// A built auth service: database migrated, listener bound, ready to [`run`](App::run).
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
            "auth",
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
            auth_service_server::SERVICE_NAME,
            user_service_server::SERVICE_NAME,
            session_service_server::SERVICE_NAME,
            admin_service_server::SERVICE_NAME,
            token_introspection_service_server::SERVICE_NAME,
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
        tracing::info!(addr = %self.local_addr, backend = self.db.backend().name(), "auth service listening");
        let router = Server::builder()
            .trace_fn(
                |req| tracing::info_span!("grpc", service = "auth", method = %req.uri().path()),
            )
            .add_service(health_service)
            .add_service(reflection_v1)
            .add_service(reflection_v1alpha)
            .add_service(AuthServiceServer::new(rpc::auth::AuthApi))
            .add_service(UserServiceServer::new(rpc::user::UserApi))
            .add_service(SessionServiceServer::new(rpc::session::SessionApi))
            .add_service(AdminServiceServer::new(rpc::admin::AdminApi))
            .add_service(TokenIntrospectionServiceServer::new(
                rpc::introspection::IntrospectionApi,
            ));
        let incoming = server::incoming(self.listener);
        let db = self.db.clone();
        let result =
            server::serve_with_drain(health, shutdown, self.config.shutdown_drain, |signal| {
                router.serve_with_incoming_shutdown(incoming, signal)
            })
            .await;
        db.close().await;
        tracing::info!("auth service stopped");
        result
    }
}
