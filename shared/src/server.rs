//! Plumbing every Stride gRPC server shares: health reporting, reflection (v1 and v1alpha),
//! HTTP/2 limits, listeners (with TLS when configured), shutdown signals and a bounded drain.

pub mod body_budget;
pub mod listener;
pub mod rpc_metrics;
pub mod tls;

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

/// A server being assembled: tonic's router with every connection's request bodies held to
/// their budget ([`body_budget`]) and every RPC measured ([`rpc_metrics`]).
pub type Router = tonic::transport::server::Router<
    tower_layer::Stack<
        body_budget::BodyBudgetLayer,
        tower_layer::Stack<rpc_metrics::RpcMetricsLayer, tower_layer::Identity>,
    >,
>;

/// Health status of one server's services, flipped to NOT_SERVING when draining starts.
#[derive(Clone)]
pub struct Health {
    reporter: HealthReporter,
    services: Vec<&'static str>,
}

impl std::fmt::Debug for Health {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Health")
            .field("services", &self.services)
            .finish()
    }
}

impl Health {
    /// Tracks the overall status (`""`) and each named service.
    pub fn new(reporter: HealthReporter, services: Vec<&'static str>) -> Self {
        Self { reporter, services }
    }

    /// Marks every service SERVING.
    pub async fn serving(&self) {
        self.set(ServingStatus::Serving).await;
    }

    /// Marks every service NOT_SERVING, so load balancers stop sending new work.
    pub async fn not_serving(&self) {
        self.set(ServingStatus::NotServing).await;
    }

    async fn set(&self, status: ServingStatus) {
        self.reporter.set_service_status("", status).await;
        for name in &self.services {
            self.reporter.set_service_status(*name, status).await;
        }
    }
}

/// The base of a server before its own services are added: the HTTP/2 `limits` on every
/// connection, a span per RPC named for `service`, health (reported through the returned
/// [`Health`], NOT_SERVING until [`Health::serving`]) and reflection listing exactly
/// `services`. Built before serving, so a defect fails startup instead of a server that never
/// serves. The caller caps its own services' messages at `limits.max_message_size` (each
/// generated server takes the cap separately); what one connection's request bodies may hold
/// at once is capped here (`limits.max_buffered_per_connection`, see [`body_budget`]).
///
/// tonic's request timeout bounds the future that produces the response head: a unary RPC's
/// whole answer, but for a server stream only the handler's return of the stream, so
/// `WatchRevocations` runs for as long as the connection lives. Streams are bounded instead
/// by the connection: keepalive, maximum age (GOAWAY, then the grace) and shutdown.
/// Connections themselves are accepted by [`serve`].
pub fn base_router(
    service: &'static str,
    services: Vec<&'static str>,
    limits: &crate::config::ServerLimits,
) -> Result<(Router, Health), StartError> {
    let max = limits.max_message_size;
    let (reporter, health_service) = tonic_health::server::health_reporter();
    let (reflection_v1, reflection_v1alpha) = reflection(&services)
        .map_err(|e| StartError::Other(format!("reflection descriptor set is invalid: {e}")))?;
    let router = tonic::transport::Server::builder()
        .max_concurrent_streams(limits.max_concurrent_streams)
        .timeout(limits.request_timeout)
        .http2_keepalive_interval(Some(limits.keepalive_interval))
        .http2_keepalive_timeout(Some(limits.keepalive_timeout))
        // GOAWAY at the age; the grace is enforced by the listener (see `listener`).
        .max_connection_age(limits.max_connection_age)
        .http2_max_header_list_size(limits.max_header_list_size)
        .trace_fn(move |request| crate::telemetry::rpc_span(service, request))
        .layer(rpc_metrics::RpcMetricsLayer::new(service))
        .layer(body_budget::BodyBudgetLayer::new(
            limits.max_buffered_per_connection,
        ))
        .add_service(
            health_service
                .max_decoding_message_size(max)
                .max_encoding_message_size(max),
        )
        .add_service(
            reflection_v1
                .max_decoding_message_size(max)
                .max_encoding_message_size(max),
        )
        .add_service(
            reflection_v1alpha
                .max_decoding_message_size(max)
                .max_encoding_message_size(max),
        );
    Ok((router, Health::new(reporter, services)))
}

/// Builds the reflection services (v1, and v1alpha for grpcurl 1.8) listing exactly `services`
/// plus health and reflection itself. The descriptor set holds both packages; each server
/// lists only what it serves.
fn reflection(
    services: &[&'static str],
) -> Result<
    (
        tonic_reflection::server::v1::ServerReflectionServer<
            impl tonic_reflection::server::v1::ServerReflection,
        >,
        tonic_reflection::server::v1alpha::ServerReflectionServer<
            impl tonic_reflection::server::v1alpha::ServerReflection,
        >,
    ),
    tonic_reflection::server::Error,
> {
    let builder = |reflection_name: &'static str| {
        let mut builder = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(crate::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .with_service_name(HEALTH_SERVICE)
            .with_service_name(reflection_name);
        for name in services {
            builder = builder.with_service_name(*name);
        }
        builder
    };
    Ok((
        builder("grpc.reflection.v1.ServerReflection").build_v1()?,
        builder("grpc.reflection.v1alpha.ServerReflection").build_v1alpha()?,
    ))
}

/// Name of the standard health service.
pub const HEALTH_SERVICE: &str = "grpc.health.v1.Health";

/// Binds a listener (port 0 picks a free port).
pub async fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr).await
}

/// Serves `router` on `listener` until `signal` resolves: over TLS when `config.tls` is set,
/// each connection's handshake and HTTP/2 preface bounded by `config.limits.handshake_timeout`
/// (see [`listener`]).
pub async fn serve(
    router: Router,
    listener: TcpListener,
    config: &crate::config::ServerConfig,
    signal: impl Future<Output = ()>,
) -> Result<(), tonic::transport::Error> {
    let deadline = config.limits.handshake_timeout;
    let lifetime = config
        .limits
        .max_connection_age
        .saturating_add(config.limits.max_connection_age_grace);
    match &config.tls {
        None => {
            let incoming = listener::accept(listener, deadline, lifetime, |tcp| {
                std::future::ready(Ok(tcp))
            });
            router.serve_with_incoming_shutdown(incoming, signal).await
        }
        Some(tls) => {
            let acceptor = tokio_rustls::TlsAcceptor::from(tls.config());
            let incoming = listener::accept(listener, deadline, lifetime, move |tcp| {
                acceptor.accept(tcp)
            });
            router.serve_with_incoming_shutdown(incoming, signal).await
        }
    }
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %err, "cannot listen for ctrl-c");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut sig) => {
                sig.recv().await;
            }
            Err(err) => {
                tracing::error!(error = %err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutdown signal received");
}

/// Serves until `shutdown` resolves, then drains: health goes NOT_SERVING, new connections are
/// refused, and in-flight RPCs get at most `drain` to finish before the server is dropped.
///
/// `serve` receives the signal future to hand to tonic's `serve_with_incoming_shutdown`.
pub async fn serve_with_drain<S, Fut>(
    health: Health,
    shutdown: impl Future<Output = ()> + Send + 'static,
    drain: Duration,
    serve: S,
) -> Result<(), tonic::transport::Error>
where
    S: FnOnce(std::pin::Pin<Box<dyn Future<Output = ()> + Send>>) -> Fut,
    Fut: Future<Output = Result<(), tonic::transport::Error>>,
{
    let (draining_tx, draining_rx) = oneshot::channel::<()>();
    let signal = Box::pin(async move {
        shutdown.await;
        health.not_serving().await;
        let _ = draining_tx.send(());
    });
    let server = serve(signal);
    tokio::pin!(server);
    tokio::select! {
        result = &mut server => result,
        () = async {
            if draining_rx.await.is_ok() {
                tokio::time::sleep(drain).await;
            } else {
                std::future::pending::<()>().await;
            }
        } => {
            tracing::warn!(drain_secs = drain.as_secs_f64(), "drain deadline reached; dropping in-flight RPCs");
            Ok(())
        }
    }
}

/// Why a service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The database could not be opened.
    #[error("cannot open the {service} database {url}: {reason}")]
    Database {
        /// Which service.
        service: &'static str,
        /// The URL, password redacted.
        url: String,
        /// The driver's error, with the password removed should the driver have quoted it.
        reason: String,
    },
    /// A migration failed.
    #[error("cannot migrate the {service} database: {source}")]
    Migrate {
        /// Which service.
        service: &'static str,
        /// The migrator's error.
        source: sqlx::migrate::MigrateError,
    },
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// Anything else the service checks before it serves.
    #[error("{0}")]
    Other(String),
}

/// `text` with the password of `url` (as written and percent-decoded) replaced.
fn without_password(text: &str, url: &str) -> String {
    let Some(password) = url::Url::parse(url)
        .ok()
        .and_then(|u| u.password().map(str::to_owned))
        .filter(|p| !p.is_empty())
    else {
        return text.to_owned();
    };
    let decoded = percent_encoding::percent_decode_str(&password).decode_utf8_lossy();
    text.replace(&password, "redacted")
        .replace(decoded.as_ref(), "redacted")
}

/// A service's database and listener, ready to serve.
#[derive(Debug)]
pub struct Prepared {
    /// The migrated database.
    pub db: crate::db::Db,
    /// The bound listener.
    pub listener: TcpListener,
    /// The address actually bound (port 0 resolved).
    pub local_addr: SocketAddr,
}

/// Opens and migrates `service`'s database, then binds `addr`.
pub async fn prepare(
    service: &'static str,
    url: &crate::db::DatabaseUrl,
    migrations: &crate::db::Migrations,
    addr: SocketAddr,
) -> Result<Prepared, StartError> {
    let db = crate::db::Db::connect(url, &crate::db::PoolConfig::default())
        .await
        .map_err(|source| StartError::Database {
            service,
            url: crate::config::redact_url(&format!("{url:?}")),
            reason: without_password(&source.to_string(), url.as_str()),
        })?
        .claim(url)
        .map_err(|e| StartError::Other(format!("{service}: {e}")))?
        .named(service);
    db.migrate(migrations)
        .await
        .map_err(|source| StartError::Migrate { service, source })?;
    let listener = bind(addr)
        .await
        .map_err(|source| StartError::Bind { addr, source })?;
    let local_addr = listener
        .local_addr()
        .map_err(|source| StartError::Bind { addr, source })?;
    Ok(Prepared {
        db,
        listener,
        local_addr,
    })
}

/// The whole `main` of a single-service binary: parse configuration from the process
/// environment (an invalid variable prints one line and exits 2), install telemetry, build
/// the service, and serve until SIGINT/SIGTERM.
pub async fn service_main<C, A, B, R>(
    name: &'static str,
    parse: impl FnOnce(crate::config::Env<'_>) -> Result<C, crate::config::ConfigError>,
    build: impl FnOnce(C) -> B,
    run: impl FnOnce(A, std::pin::Pin<Box<dyn Future<Output = ()> + Send>>) -> R,
) -> std::process::ExitCode
where
    B: Future<Output = Result<A, StartError>>,
    R: Future<Output = Result<(), tonic::transport::Error>>,
{
    use std::process::ExitCode;
    let env_map = crate::config::process_env();
    let env = crate::config::Env::new(&env_map);
    let parsed = parse(env).and_then(|config| {
        Ok((
            config,
            crate::telemetry::TelemetryConfig::from_env(env)?,
            crate::prometheus::MetricsConfig::from_env(env, None)?,
        ))
    });
    let (config, telemetry_config, metrics_config) = match parsed {
        Ok(pair) => pair,
        Err(err) => {
            eprintln!("{name}: {err}");
            return ExitCode::from(2);
        }
    };
    let _guard = match crate::telemetry::init(name, &telemetry_config) {
        Ok(guard) => guard,
        Err(err) => {
            eprintln!("{name}: {err}");
            return ExitCode::from(2);
        }
    };
    if let Some(addr) = metrics_config.addr
        && let Err(err) = crate::prometheus::start(addr).await
    {
        eprintln!("{name}: {err}");
        return ExitCode::FAILURE;
    }
    let app = match build(config).await {
        Ok(app) => app,
        Err(err) => {
            eprintln!("{name}: {err}");
            return ExitCode::FAILURE;
        }
    };
    match run(app, Box::pin(shutdown_signal())).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(error = %err, "server failed");
            ExitCode::FAILURE
        }
    }
}
