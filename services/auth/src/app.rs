//! Startup: open and migrate the database, load the signing keys, ensure the bootstrap admin,
//! bind the listener, wire the gRPC services, serve until shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

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
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Server;

use crate::bootstrap;
use crate::clock::Clock;
use crate::config::Config;
use crate::domain;
use crate::feed::{self, FeedNotifier};
use crate::keys::{self, KeyRing};
use crate::password::Hasher;
use crate::rpc;
use crate::servicekey::ServiceKey;
use crate::store::MIGRATIONS;
use crate::tokens::Tokens;

/// What every handler shares. Cheap to clone (everything inside is reference-counted).
#[derive(Debug, Clone)]
pub struct AppState {
    /// The auth database.
    pub db: Db,
    /// The configuration the service started with.
    pub config: Arc<Config>,
    /// Signing keys (also reachable through `tokens`).
    pub keys: KeyRing,
    /// Token minting and verification.
    pub tokens: Tokens,
    /// Argon2id on the bounded blocking pool.
    pub hasher: Hasher,
    /// "Now" (injected in tests).
    pub clock: Clock,
    /// The revocation feed's head and shutdown signal, followed by `WatchRevocations` streams.
    pub feed: FeedNotifier,
}

impl AppState {
    /// Loads (or creates) the signing keys and prepares the hasher over a migrated database.
    pub async fn new(config: Config, db: Db) -> crate::error::Result<Self> {
        let clock = config.clock.clone();
        let keys = KeyRing::open(db.clone(), config.master_key.clone(), clock.clone()).await?;
        let tokens = Tokens::new(config.tokens.clone(), keys.clone(), clock.clone());
        let hasher = Hasher::new(&config.password).await?;
        let feed = FeedNotifier::new();
        let mut conn = db.pool().acquire().await?;
        let candidate = uuid::Uuid::now_v7().to_string();
        feed.set_id(crate::store::feed::identity(&mut conn, &candidate).await?);
        drop(conn);
        Ok(Self {
            db,
            config: Arc::new(config),
            keys,
            tokens,
            hasher,
            clock,
            feed,
        })
    }
}

/// A built auth service: database migrated, keys loaded, listener bound, ready to
/// [`run`](App::run).
#[derive(Debug)]
pub struct App {
    state: AppState,
    listener: TcpListener,
    local_addr: SocketAddr,
}

impl App {
    /// Opens and migrates the database, loads the keys, ensures the bootstrap admin, and binds
    /// the listen address (port 0 allowed).
    pub async fn build(config: Config) -> Result<Self, StartError> {
        let prepared = server::prepare(
            "auth",
            &config.database_url,
            &MIGRATIONS,
            config.listen_addr,
        )
        .await?;
        if config.service_key_is_default() {
            tracing::warn!(
                "STRIDE_SERVICE_KEY is not set: using the built-in development key (never in production)"
            );
        }
        let state = AppState::new(config, prepared.db)
            .await
            .map_err(|e| StartError::Other(format!("cannot start the auth service: {e}")))?;
        bootstrap::ensure_admin(&state)
            .await
            .map_err(|e| StartError::Other(format!("cannot create the bootstrap admin: {e}")))?;
        Ok(Self {
            state,
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
        &self.state.db
    }

    /// The shared state (tests and tools reach keys and tokens through it).
    pub fn state(&self) -> &AppState {
        &self.state
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
        let state = self.state;
        tracing::info!(addr = %self.local_addr, backend = state.db.backend().name(), "auth service listening");
        let max = state.config.max_message_size;
        let router = Server::builder()
            .trace_fn(|req| shared::telemetry::rpc_span("auth", req))
            .add_service(health_service)
            .add_service(reflection_v1)
            .add_service(reflection_v1alpha)
            .add_service(
                AuthServiceServer::new(rpc::auth::AuthApi::new(state.clone()))
                    .max_decoding_message_size(max),
            )
            .add_service(
                UserServiceServer::new(rpc::user::UserApi::new(state.clone()))
                    .max_decoding_message_size(max),
            )
            .add_service(
                SessionServiceServer::new(rpc::session::SessionApi::new(state.clone()))
                    .max_decoding_message_size(max),
            )
            .add_service(
                AdminServiceServer::new(rpc::admin::AdminApi::new(state.clone()))
                    .max_decoding_message_size(max),
            )
            .add_service({
                // The whole internal API requires the service key.
                let key = ServiceKey::new(state.config.service_key.expose());
                InterceptedService::new(
                    TokenIntrospectionServiceServer::new(
                        rpc::introspection::IntrospectionApi::new(state.clone()),
                    )
                    .max_decoding_message_size(max),
                    move |request| key.check(request),
                )
            });
        let incoming = server::incoming(self.listener);
        // Replicas sharing the database see each other's key rotations within this interval.
        let reload_keys = tokio::spawn({
            let keys = state.keys.clone();
            async move {
                let mut tick = tokio::time::interval(keys::RELOAD_INTERVAL);
                tick.tick().await;
                loop {
                    tick.tick().await;
                    if let Err(err) = keys.reload().await {
                        tracing::warn!(error = %err, "cannot reload signing keys");
                    }
                }
            }
        });
        // The feed follows the head (this replica's commits and others') and prunes; at
        // shutdown it ends every WatchRevocations stream so the drain is not held open.
        let poll_feed = tokio::spawn(feed::poll_head(state.clone()));
        let prune_feed = tokio::spawn(feed::prune(state.clone()));
        let sweep_logins = tokio::spawn({
            let state = state.clone();
            async move {
                let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
                loop {
                    tick.tick().await;
                    match domain::login::sweep_ip_windows(&state.db, state.clock.now()).await {
                        Ok(0) => {}
                        Ok(deleted) => tracing::debug!(deleted, "swept old login windows"),
                        Err(err) => tracing::warn!(error = %err, "cannot sweep login windows"),
                    }
                }
            }
        });
        let shutdown = {
            let feed = state.feed.clone();
            async move {
                shutdown.await;
                feed.close();
            }
        };
        let result =
            server::serve_with_drain(health, shutdown, state.config.shutdown_drain, |signal| {
                router.serve_with_incoming_shutdown(incoming, signal)
            })
            .await;
        state.feed.close();
        poll_feed.abort();
        prune_feed.abort();
        sweep_logins.abort();
        reload_keys.abort();
        state.db.close().await;
        tracing::info!("auth service stopped");
        result
    }
}
