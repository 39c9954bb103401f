//! Logging and tracing setup: `tracing` to stdout as pretty text or JSON, plus OpenTelemetry
//! spans over OTLP/gRPC when an endpoint is configured. The W3C trace-context propagator is
//! installed globally so outbound calls can carry the current span.

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig as _;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{EnvFilter, Layer};

use crate::config::{ConfigError, Env};

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable, coloured when stdout is a terminal.
    Pretty,
    /// One JSON object per line, for log shippers.
    Json,
}

/// Telemetry settings shared by every binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TelemetryConfig {
    /// `STRIDE_LOG_FORMAT`: `pretty` (default) or `json`.
    pub format: LogFormat,
    /// `STRIDE_LOG` (falls back to `RUST_LOG`): an `EnvFilter` directive.
    pub filter: String,
    /// `STRIDE_OTLP_ENDPOINT`: OTLP/gRPC collector, e.g. `http://localhost:4317`.
    pub otlp_endpoint: Option<String>,
}

impl TelemetryConfig {
    /// Reads the telemetry variables.
    pub fn from_env(env: Env<'_>) -> Result<Self, ConfigError> {
        let format = match env.get("STRIDE_LOG_FORMAT") {
            None | Some("pretty") => LogFormat::Pretty,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(ConfigError::new(
                    "STRIDE_LOG_FORMAT",
                    other,
                    "expected pretty or json",
                ));
            }
        };
        let filter = env
            .get("STRIDE_LOG")
            .or_else(|| env.get("RUST_LOG"))
            .unwrap_or("info")
            .to_owned();
        EnvFilter::try_new(&filter)
            .map_err(|e| ConfigError::new("STRIDE_LOG", &filter, e.to_string()))?;
        let otlp_endpoint = env.get("STRIDE_OTLP_ENDPOINT").map(str::to_owned);
        if let Some(endpoint) = &otlp_endpoint {
            url::Url::parse(endpoint).map_err(|e| {
                ConfigError::new(
                    "STRIDE_OTLP_ENDPOINT",
                    endpoint,
                    format!("unparsable URL: {e}"),
                )
            })?;
        }
        Ok(Self {
            format,
            filter,
            otlp_endpoint,
        })
    }
}

/// Flushes and stops span export when dropped; keep it alive for the life of the process.
#[derive(Debug)]
#[must_use = "dropping the guard stops trace export"]
pub struct TelemetryGuard {
    provider: Option<SdkTracerProvider>,
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        if let Some(provider) = self.provider.take()
            && let Err(err) = provider.shutdown()
        {
            tracing::warn!(error = %err, "trace export did not shut down cleanly");
        }
    }
}

/// Error raised when the OTLP exporter cannot be built.
#[derive(Debug, thiserror::Error)]
#[error("cannot start trace export: {0}")]
pub struct TelemetryError(String);

/// Installs the global subscriber. Call once, from `main`, inside the Tokio runtime.
pub fn init(
    service_name: &str,
    config: &TelemetryConfig,
) -> Result<TelemetryGuard, TelemetryError> {
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    let filter = EnvFilter::try_new(&config.filter).map_err(|e| TelemetryError(e.to_string()))?;
    let fmt_layer = match config.format {
        LogFormat::Pretty => tracing_subscriber::fmt::layer().with_target(true).boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .boxed(),
    };
    let (otel_layer, provider) = match &config.otlp_endpoint {
        None => (None, None),
        Some(endpoint) => {
            let exporter = opentelemetry_otlp::SpanExporter::builder()
                .with_tonic()
                .with_endpoint(endpoint)
                .build()
                .map_err(|e| TelemetryError(e.to_string()))?;
            let processor =
                opentelemetry_sdk::trace::span_processor_with_async_runtime::BatchSpanProcessor::builder(
                    exporter,
                    opentelemetry_sdk::runtime::Tokio,
                )
                .build();
            let provider = SdkTracerProvider::builder()
                .with_span_processor(processor)
                .with_resource(
                    opentelemetry_sdk::Resource::builder()
                        .with_service_name(service_name.to_owned())
                        .build(),
                )
                .build();
            let tracer = provider.tracer(service_name.to_owned());
            opentelemetry::global::set_tracer_provider(provider.clone());
            (
                Some(tracing_opentelemetry::layer().with_tracer(tracer)),
                Some(provider),
            )
        }
    };
    tracing_subscriber::registry()
        .with(filter)
        .with(fmt_layer)
        .with(otel_layer)
        .try_init()
        .map_err(|e| TelemetryError(e.to_string()))?;
    Ok(TelemetryGuard { provider })
}

/// Test logging: silent unless `TEST_LOG` is set, then pretty logs through the test writer.
/// Safe to call from every test; only the first call installs anything.
pub fn init_for_tests() {
    if std::env::var_os("TEST_LOG").is_none() {
        return;
    }
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("debug,sqlx=warn,h2=info,tower=info,hyper=info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_test_writer()
        .try_init();
}

/// Reads W3C trace-context headers from an inbound request.
struct HeaderExtractor<'a>(&'a http::HeaderMap);

impl opentelemetry::propagation::Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}

/// Writes W3C trace-context headers into outbound gRPC metadata.
struct MetadataInjector<'a>(&'a mut tonic::metadata::MetadataMap);

impl opentelemetry::propagation::Injector for MetadataInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(key), Ok(value)) = (
            tonic::metadata::MetadataKey::from_bytes(key.as_bytes()),
            tonic::metadata::MetadataValue::try_from(value.as_str()),
        ) {
            self.0.insert(key, value);
        }
    }
}

/// The span of one inbound RPC (for tonic's `Server::trace_fn`): method and service name,
/// the gRPC status (recorded by `shared::error` when a call fails) and the caller's user id
/// (recorded by the auth layer), parented on the caller's W3C `traceparent` when present.
pub fn rpc_span(service: &'static str, request: &http::Request<()>) -> tracing::Span {
    use tracing_opentelemetry::OpenTelemetrySpanExt as _;
    let method = request.uri().path();
    let span = tracing::info_span!(
        "rpc",
        otel.name = method,
        otel.kind = "server",
        rpc.system = "grpc",
        service,
        method,
        grpc.status = 0_i32,
        user_id = tracing::field::Empty,
    );
    let parent = opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.extract(&HeaderExtractor(request.headers()))
    });
    // Fails only when no OpenTelemetry layer is installed, where there is nothing to parent.
    let _ = span.set_parent(parent);
    span
}

/// Records the authenticated caller on the current RPC span.
pub fn record_user(user_id: &str) {
    tracing::Span::current().record("user_id", user_id);
}

/// Injects the current span's W3C trace context into an outbound request's metadata, so the
/// callee's span becomes a child of ours.
pub fn inject_context(metadata: &mut tonic::metadata::MetadataMap) {
    use tracing_opentelemetry::OpenTelemetrySpanExt as _;
    let context = tracing::Span::current().context();
    opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.inject_context(&context, &mut MetadataInjector(metadata));
    });
}
