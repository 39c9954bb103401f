//! Startup: open and migrate the database, load the signing keys, ensure the bootstrap admin,
//! bind the listener and wire the gRPC services ([`App::build`]); then serve until shutdown
//! with the background tasks running ([`App::run`]).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use shared::credentials::ServiceKeyCheck;
use shared::db::Db;
use shared::pb::auth::v1::{
    admin_service_server::{self, AdminServiceServer},
    auth_service_server::{self, AuthServiceServer},
    session_service_server::{self, SessionServiceServer},
    token_introspection_service_server::{self, TokenIntrospectionServiceServer},
    user_service_server::{self, UserServiceServer},
};
use shared::server::Router;
use shared::server::{self, Health, StartError};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tonic::service::interceptor::InterceptedService;

use crate::bootstrap;
use crate::clock::Clock;
use crate::config::Config;
use crate::domain::{expiry, security_events, throttle, unknown_clients};
use crate::feed::{Feed, FeedNotifier, Mirror};
use crate::keys::{self, KeyRing};
use crate::password::Hasher;
use crate::rpc;
use crate::store::{MIGRATIONS, revocation_events};
use crate::tokens::Tokens;

/// The components handlers hand to the domain. Cheap to clone (everything inside is
/// reference-counted).
#[derive(Debug, Clone)]
pub(crate) struct AppState {
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
    /// The feed's head and shutdown signal: revocations wake it on commit.
    pub feed: FeedNotifier,
    /// The feed's read side: `WatchRevocations` streams, head polling, pruning.
    pub revocations: Feed,
}

impl AppState {
    /// Loads (or creates) the signing keys and prepares the hasher over a migrated database.
    async fn new(config: Config, db: Db) -> crate::error::Result<Self> {
        let clock = config.clock.clone();
        let keys = KeyRing::open(db.clone(), config.master_key.clone(), clock.clone()).await?;
        let tokens = Tokens::new(config.tokens.clone(), keys.clone(), clock.clone());
        let hasher = Hasher::new(&config.password).await?;
        let mirror = Mirror::new(config.tokens.leeway, clock.clone());
        let feed = FeedNotifier::new(Arc::new(mirror));
        {
            let mut conn = db.read().await?;
            let candidate = crate::new_id();
            feed.set_id(revocation_events::identity(&mut conn, &candidate).await?);
        }
        let revocations = Feed::new(
            db.clone(),
            clock.clone(),
            config.feed.clone(),
            config.tokens.leeway,
            feed.clone(),
        );
        Ok(Self {
            db,
            config: Arc::new(config),
            keys,
            tokens,
            hasher,
            clock,
            feed,
            revocations,
        })
    }
}

/// A built auth service: database migrated, keys loaded, listener bound, services wired,
/// ready to [`run`](App::run).
pub struct App {
    state: AppState,
    router: Router,
    health: Health,
    listener: TcpListener,
    local_addr: SocketAddr,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("local_addr", &self.local_addr)
            .finish_non_exhaustive()
    }
}

impl App {
    /// Opens and migrates the database, loads the keys, ensures the bootstrap admin, binds
    /// the listen address (port 0 allowed) and wires the services.
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
        let (router, health) = router(&state)?;
        Ok(Self {
            state,
            router,
            health,
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

    /// Serves until `shutdown` resolves, then drains for at most the configured time.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), tonic::transport::Error> {
        let state = self.state;
        self.health.serving().await;
        tracing::info!(addr = %self.local_addr, backend = state.db.backend().name(), "auth service listening");
        let mut background = Background::start(&state);
        let shutdown = {
            let feed = state.feed.clone();
            async move {
                shutdown.await;
                // Ends every WatchRevocations stream so the drain is not held open.
                feed.close();
            }
        };
        let (router, listener) = (self.router, self.listener);
        let result = server::serve_with_drain(
            self.health,
            shutdown,
            state.config.shutdown_drain,
            |signal| server::serve(router, listener, &state.config.server, signal),
        )
        .await;
        background.stop_mail(state.config.mail.smtp_timeout).await;
        drop(background);
        state.feed.close();
        state.db.close().await;
        tracing::info!("auth service stopped");
        result
    }
}

/// The gRPC services of the auth server, on the shared base (health, reflection, spans).
fn router(state: &AppState) -> Result<(Router, Health), StartError> {
    let (router, health) = server::base_router(
        "auth",
        vec![
            auth_service_server::SERVICE_NAME,
            user_service_server::SERVICE_NAME,
            session_service_server::SERVICE_NAME,
            admin_service_server::SERVICE_NAME,
            token_introspection_service_server::SERVICE_NAME,
        ],
        &state.config.server.limits,
    )?;
    let max = state.config.max_message_size;
    let s = state.clone();
    let router = router
        .add_service(
            AuthServiceServer::new(rpc::auth::AuthApi::new(s.clone()))
                .max_decoding_message_size(max)
                .max_encoding_message_size(max),
        )
        .add_service(
            UserServiceServer::new(rpc::user::UserApi::new(s.clone()))
                .max_decoding_message_size(max)
                .max_encoding_message_size(max),
        )
        .add_service(
            SessionServiceServer::new(rpc::session::SessionApi::new(s.clone()))
                .max_decoding_message_size(max)
                .max_encoding_message_size(max),
        )
        .add_service(
            AdminServiceServer::new(rpc::admin::AdminApi::new(s.clone()))
                .max_decoding_message_size(max)
                .max_encoding_message_size(max),
        )
        .add_service(InterceptedService::new(
            TokenIntrospectionServiceServer::new(rpc::introspection::IntrospectionApi::new(s))
                .max_decoding_message_size(max)
                .max_encoding_message_size(max),
            // The whole internal API requires the service key.
            rpc::introspection::service_key_guard(ServiceKeyCheck::new(
                state.config.service_key.expose(),
            )),
        ));
    Ok((router, health))
}

/// The auth server's background tasks, aborted when dropped; the mail courier is stopped
/// gracefully first ([`Background::stop_mail`]).
struct Background {
    tasks: Vec<JoinHandle<()>>,
    mail: crate::mail::Running,
}

impl Background {
    fn start(state: &AppState) -> Self {
        let mail = crate::mail::start(state);
        let mut tasks = Vec::new();
        tasks.extend([
            // Replicas sharing the database see each other's key rotations within this interval.
            tokio::spawn(every(keys::RELOAD_INTERVAL, {
                let keys = state.keys.clone();
                move || {
                    let keys = keys.clone();
                    async move {
                        if let Err(err) = keys.reload().await {
                            tracing::warn!(error = %err, "cannot reload signing keys");
                        }
                    }
                }
            })),
            // The feed follows the head (this replica's commits and others') and prunes.
            tokio::spawn(state.revocations.clone().poll_head()),
            tokio::spawn(state.revocations.clone().prune()),
            tokio::spawn(state.revocations.clone().keep_mirror()),
            tokio::spawn(every(Duration::from_secs(3600), {
                let (db, clock) = (state.db.clone(), state.clock.clone());
                let retention = state.config.security_event_retention;
                move || {
                    let (db, now) = (db.clone(), clock.now());
                    async move {
                        match security_events::sweep(&db, now, retention).await {
                            Ok(0) => {}
                            Ok(deleted) => tracing::info!(deleted, "swept expired security events"),
                            Err(err) => {
                                tracing::warn!(error = %err, "cannot sweep security events")
                            }
                        }
                        match expiry::sweep(&db, now).await {
                            Ok(0) => {}
                            Ok(deleted) => {
                                tracing::debug!(deleted, "swept expired link tokens and challenges")
                            }
                            Err(err) => {
                                tracing::warn!(error = %err, "cannot sweep expired link tokens")
                            }
                        }
                    }
                }
            })),
            tokio::spawn(every(Duration::from_secs(60), {
                let (db, clock) = (state.db.clone(), state.clock.clone());
                let policy = state.config.lockout.unknown_clients.clone();
                move || {
                    let (db, now, policy) = (db.clone(), clock.now(), policy.clone());
                    async move {
                        match throttle::sweep_windows(&db, now, throttle::LONGEST_WINDOW).await {
                            Ok(0) => {}
                            Ok(deleted) => tracing::debug!(deleted, "swept old login windows"),
                            Err(err) => tracing::warn!(error = %err, "cannot sweep login windows"),
                        }
                        match unknown_clients::sweep(&db, now, &policy).await {
                            Ok(0) => {}
                            Ok(deleted) => {
                                tracing::debug!(deleted, "swept known and unknown clients")
                            }
                            Err(err) => {
                                tracing::warn!(error = %err, "cannot sweep known and unknown clients")
                            }
                        }
                    }
                }
            })),
        ]);
        Self { tasks, mail }
    }

    /// Lets the courier finish the message it is sending (at most one SMTP exchange plus a
    /// moment) and return its other claims to the queue.
    async fn stop_mail(&mut self, smtp_timeout: Duration) {
        self.mail.stop(smtp_timeout + Duration::from_secs(1)).await;
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Runs `job` every `period`, the first time one period from now.
async fn every<F, Fut>(period: Duration, job: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = ()>,
{
    let mut tick = tokio::time::interval(period);
    tick.tick().await;
    loop {
        tick.tick().await;
        job().await;
    }
}
