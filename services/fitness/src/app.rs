//! Startup: open and migrate the database, bind the listener, build the auth layer and wire the
//! gRPC services ([`App::build`]); then serve until shutdown ([`App::run`]).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use shared::config::ServerLimits;
use shared::db::Db;
use shared::pb::fitness::v1::{
    catalogue_service_server::{self, CatalogueServiceServer},
    data_service_server::{self, DataServiceServer},
    exercise_service_server::{self, ExerciseServiceServer},
    stats_service_server::{self, StatsServiceServer},
    workout_service_server::{self, WorkoutServiceServer},
};
use shared::server::Router;
use shared::server::{self, Health, StartError};
use tokio::net::TcpListener;
use tower::Layer as _;

use crate::auth::client::AuthClient;
use crate::auth::{AuthLayer, Authenticator};
use crate::config::Config;
use crate::rpc;
use crate::store::{MIGRATIONS, request_ids};

/// How long request ids (and their stored responses) are kept for retries.
const REQUEST_ID_RETENTION: Duration = Duration::from_secs(24 * 3600);

/// A built fitness service: database migrated, listener bound, services wired, ready to
/// [`run`](App::run).
pub struct App {
    config: Config,
    db: Db,
    router: Router,
    health: Health,
    listener: TcpListener,
    local_addr: SocketAddr,
    /// Verifies every fitness RPC; shared by the services' layers.
    auth: Arc<Authenticator>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("local_addr", &self.local_addr)
            .finish_non_exhaustive()
    }
}

impl App {
    /// Opens and migrates the database, binds the listen address (port 0 allowed) and wires
    /// the services. The auth service is not contacted here: its channel connects lazily.
    pub async fn build(config: Config) -> Result<Self, StartError> {
        let client = AuthClient::new(
            &config.auth_url,
            config.auth_tls.as_ref(),
            &config.auth.service_key,
            config.auth.call_timeout,
        )
        .map_err(|e| StartError::Other(e.to_string()))?;
        let auth = Arc::new(Authenticator::new(config.auth.clone(), client));
        let prepared = server::prepare(
            "fitness",
            &config.database_url,
            &MIGRATIONS,
            config.listen_addr,
        )
        .await?;
        let (router, health) = router(&prepared.db, &auth, &config.server.limits)?;
        Ok(Self {
            config,
            db: prepared.db,
            router,
            health,
            listener: prepared.listener,
            local_addr: prepared.local_addr,
            auth,
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
        let _background = self.auth.start(self.db.clone());
        let _pruner = PruneRequestIds(tokio::spawn(prune_request_ids(self.db.clone())));
        self.health.serving().await;
        tracing::info!(addr = %self.local_addr, backend = self.db.backend().name(), "fitness service listening");
        let (router, listener) = (self.router, self.listener);
        let db = self.db.clone();
        let result = server::serve_with_drain(
            self.health,
            shutdown,
            self.config.shutdown_drain,
            |signal| server::serve(router, listener, &self.config.server, signal),
        )
        .await;
        db.close().await;
        tracing::info!("fitness service stopped");
        result
    }
}

/// The gRPC services of the fitness server, each behind the auth layer, on the shared base
/// (limits, health, reflection, spans), every message capped at `limits.max_message_size`.
fn router(
    db: &Db,
    auth: &Arc<Authenticator>,
    limits: &ServerLimits,
) -> Result<(Router, Health), StartError> {
    let (router, health) = server::base_router(
        "fitness",
        vec![
            workout_service_server::SERVICE_NAME,
            exercise_service_server::SERVICE_NAME,
            stats_service_server::SERVICE_NAME,
            data_service_server::SERVICE_NAME,
            catalogue_service_server::SERVICE_NAME,
        ],
        limits,
    )?;
    let max = limits.max_message_size;
    let auth = AuthLayer::new(Arc::clone(auth));
    let router = router
        .add_service(
            auth.layer(
                WorkoutServiceServer::new(rpc::workout::WorkoutApi::new(db.clone()))
                    .max_decoding_message_size(max)
                    .max_encoding_message_size(max),
            ),
        )
        .add_service(
            auth.layer(
                ExerciseServiceServer::new(rpc::exercise::ExerciseApi::new(db.clone()))
                    .max_decoding_message_size(max)
                    .max_encoding_message_size(max),
            ),
        )
        .add_service(
            auth.layer(
                StatsServiceServer::new(rpc::stats::StatsApi::new(db.clone()))
                    .max_decoding_message_size(max)
                    .max_encoding_message_size(max),
            ),
        )
        .add_service(
            auth.layer(
                DataServiceServer::new(rpc::data::DataApi::new(db.clone()))
                    .max_decoding_message_size(max)
                    .max_encoding_message_size(max),
            ),
        )
        .add_service(
            auth.layer(
                CatalogueServiceServer::new(rpc::catalogue::CatalogueApi::new(db.clone()))
                    .max_decoding_message_size(max)
                    .max_encoding_message_size(max),
            ),
        );
    Ok((router, health))
}

/// The request-id pruner, aborted when dropped.
struct PruneRequestIds(tokio::task::JoinHandle<()>);

impl Drop for PruneRequestIds {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Forgets request ids older than the retention, hourly.
async fn prune_request_ids(db: Db) {
    let mut every = tokio::time::interval(Duration::from_secs(3600));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        let before = shared::time::now_micros()
            - i64::try_from(REQUEST_ID_RETENTION.as_micros()).unwrap_or(i64::MAX);
        let result = async {
            let mut tx = db.begin().await?;
            let n = request_ids::prune(&mut tx, before).await?;
            tx.commit().await?;
            Ok::<u64, sqlx::Error>(n)
        }
        .await;
        match result {
            Ok(n) => tracing::debug!(pruned = n, "forgot expired request ids"),
            Err(err) => tracing::warn!(error = %err, "cannot prune request ids"),
        }
    }
}
