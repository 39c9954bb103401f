//! The Prometheus scrape endpoint: one per process (`stride dev` runs both services in one, and
//! every series carries a `service` label), on `STRIDE_METRICS_ADDR`.
//!
//! Series are recorded through the `metrics` facade wherever the work happens (per-RPC counts
//! and latencies in [`crate::server::rpc_metrics`], the pool in [`crate::db`], the feed, the
//! password queue and logins in the services); `metrics-exporter-prometheus` renders them. Until
//! [`start`] installs the recorder, every recording is a no-op, so tests that start services
//! in-process pay nothing and share nothing. Gauges that are cheaper to read than to keep
//! current (pool connections) register a [`on_scrape`] sampler instead.
//!
//! What the series are and how to read them: `docs/OPERATIONS.md`.

use std::net::SocketAddr;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::config::{ConfigError, Env};
use crate::server::StartError;

/// The port `stride dev` serves metrics on unless told otherwise (the OpenTelemetry
/// Prometheus exporter's customary port).
pub const DEV_ADDR: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 9464);

/// Bucket bounds of every `*_seconds` histogram: 100 µs to 10 s.
const SECONDS_BUCKETS: [f64; 16] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0,
];

/// How often histogram samples are folded into their buckets between scrapes, so memory stays
/// bounded when nobody scrapes.
const UPKEEP: Duration = Duration::from_secs(5);

/// `STRIDE_METRICS_ADDR`: where the endpoint listens, or `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetricsConfig {
    /// `None`: no endpoint, nothing recorded.
    pub addr: Option<SocketAddr>,
}

impl MetricsConfig {
    /// Reads `STRIDE_METRICS_ADDR`: `off`, a `host:port`, or unset for `default` (off for
    /// `stride serve`, [`DEV_ADDR`] for `stride dev`).
    pub fn from_env(env: Env<'_>, default: Option<SocketAddr>) -> Result<Self, ConfigError> {
        let addr = match env.get("STRIDE_METRICS_ADDR") {
            None => default,
            Some("off") => None,
            Some(_) => Some(env.socket_addr("STRIDE_METRICS_ADDR", DEV_ADDR)?),
        };
        Ok(Self { addr })
    }
}

/// The running endpoint.
#[derive(Debug)]
pub struct Endpoint {
    /// The address actually bound (port 0 resolved).
    pub addr: SocketAddr,
}

/// The recorder's handle, once [`start`] has installed it.
static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// True once [`start`] has installed the recorder: a hot path may skip building labels that
/// nothing would record.
pub fn enabled() -> bool {
    HANDLE.get().is_some()
}

/// A sampler run before each scrape; it answers `false` once what it samples is gone.
type Sampler = Box<dyn Fn() -> bool + Send + Sync>;

static SAMPLERS: Mutex<Vec<Sampler>> = Mutex::new(Vec::new());

/// Runs `sample` before every scrape, until it returns `false`; does nothing while no endpoint
/// runs (so in-process tests do not collect samplers).
pub fn on_scrape(sample: impl Fn() -> bool + Send + Sync + 'static) {
    if enabled() {
        lock_samplers().push(Box::new(sample));
    }
}

fn lock_samplers() -> std::sync::MutexGuard<'static, Vec<Sampler>> {
    // A sampler only sets gauges; a panic in one cannot leave the list torn.
    SAMPLERS.lock().unwrap_or_else(|p| p.into_inner())
}

/// Installs the process's recorder and serves `GET /metrics` on `addr`. Call it before the
/// services are built, so the handles they keep record into it. At most once per process.
pub async fn start(addr: SocketAddr) -> Result<Endpoint, StartError> {
    let recorder = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), &SECONDS_BUCKETS)
        .map_err(|e| StartError::Other(format!("metrics buckets: {e}")))?
        .build_recorder();
    let handle = recorder.handle();
    metrics::set_global_recorder(recorder)
        .map_err(|_| StartError::Other("a metrics recorder is already installed".to_owned()))?;
    let _ = HANDLE.set(handle.clone());
    describe();
    let listener = crate::server::bind(addr)
        .await
        .map_err(|source| StartError::Bind { addr, source })?;
    let local = listener
        .local_addr()
        .map_err(|source| StartError::Bind { addr, source })?;
    let upkeep = handle.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(UPKEEP);
        loop {
            every.tick().await;
            upkeep.run_upkeep();
        }
    });
    let app = axum::Router::new().route("/metrics", axum::routing::get(scrape));
    tokio::spawn(async move {
        if let Err(err) = axum::serve(listener, app).await {
            tracing::error!(error = %err, "the metrics endpoint stopped");
        }
    });
    tracing::info!(addr = %local, "metrics endpoint listening");
    Ok(Endpoint { addr: local })
}

/// The `# HELP` of every series either service records: the catalogue an operator reads.
fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        "stride_rpc_requests_total",
        "RPCs answered, by service, grpc_service, grpc_method and grpc_code"
    );
    describe_histogram!(
        "stride_rpc_duration_seconds",
        Unit::Seconds,
        "Time from request to status (a server stream: its whole life), same labels"
    );
    describe_gauge!(
        "stride_db_connections",
        "Open database connections of a service's pool, by state (idle, in_use)"
    );
    describe_histogram!(
        "stride_db_acquire_seconds",
        Unit::Seconds,
        "Wait for a pooled connection (writes on SQLite: and for the writer's turn), by kind"
    );
    describe_histogram!(
        "stride_db_held_seconds",
        Unit::Seconds,
        "A connection held for one read's statements or one transaction, by kind"
    );
    describe_counter!(
        "stride_security_events_total",
        "Security events committed (auth), by kind: LOGIN_FAILED, ACCOUNT_LOCKED, ..."
    );
    describe_gauge!(
        "stride_password_queue_depth",
        "Requests waiting for a password hashing turn (auth), by queue"
    );
    describe_histogram!(
        "stride_password_wait_seconds",
        Unit::Seconds,
        "Wait for a password hashing turn (auth), by queue: hash, register, judge"
    );
    describe_gauge!(
        "stride_feed_consumers",
        "Open WatchRevocations streams (auth): the resource servers following this replica"
    );
    describe_gauge!(
        "stride_revoked_entries",
        "Revoked token and session ids held in memory (fitness)"
    );
    describe_gauge!(
        "stride_revocation_feed_silence_seconds",
        Unit::Seconds,
        "Time since the revocation feed last spoke (fitness); +Inf before it first does"
    );
    describe_histogram!(
        "stride_revocation_feed_lag_seconds",
        Unit::Seconds,
        "From a revocation at auth to this replica applying it (fitness)"
    );
    describe_counter!(
        "stride_mail_sent_total",
        "Outbox messages finished (auth), by outcome: sent, or why they were given up"
    );
    describe_counter!(
        "stride_deleted_accounts_total",
        "Deleted accounts whose data this service erased on the revocation feed's word (fitness)"
    );
}

/// `GET /metrics`: the samplers, then the exposition text.
async fn scrape() -> impl axum::response::IntoResponse {
    lock_samplers().retain(|sample| sample());
    let body = HANDLE
        .get()
        .map(PrometheusHandle::render)
        .unwrap_or_default();
    (
        [(
            http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn config(
        vars: &[(&str, &str)],
        default: Option<SocketAddr>,
    ) -> Result<MetricsConfig, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        MetricsConfig::from_env(Env::new(&map), default)
    }

    #[test]
    fn the_address_is_off_a_socket_or_the_default() {
        assert_eq!(config(&[], None).unwrap().addr, None);
        assert_eq!(config(&[], Some(DEV_ADDR)).unwrap().addr, Some(DEV_ADDR));
        assert_eq!(
            config(&[("STRIDE_METRICS_ADDR", "off")], Some(DEV_ADDR))
                .unwrap()
                .addr,
            None
        );
        assert_eq!(
            config(&[("STRIDE_METRICS_ADDR", "0.0.0.0:9100")], None)
                .unwrap()
                .addr,
            Some("0.0.0.0:9100".parse().unwrap())
        );
        assert!(config(&[("STRIDE_METRICS_ADDR", "nine")], None).is_err());
    }
}
