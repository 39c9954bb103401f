//! The console's shared state and its router: every page module's routes, the static files,
//! and the layers every response passes (security headers, no caching of personal pages, a
//! body limit and a deadline).

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::HeaderValue;
use axum::middleware::{self, Next};
use axum::response::Response;
use http::header;
use tracing::Instrument as _;

use crate::config::Config;
use crate::grpc::Channels;
use crate::pages;
use crate::session::Sessions;
use crate::session::cookie::CookieSealer;

/// Longest a page may take before the browser gets an error.
const REQUEST_DEADLINE: Duration = Duration::from_secs(30);
/// Largest request body (an avatar of 1 MiB in a multipart form).
pub(crate) const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// Everything handlers share.
#[derive(Debug, Clone)]
pub(crate) struct AppState {
    pub(crate) channels: Channels,
    pub(crate) sessions: Arc<Sessions>,
    pub(crate) sealer: CookieSealer,
    pub(crate) product: Arc<str>,
    pub(crate) trusted_proxies: Arc<shared::proxies::TrustedProxies>,
}

impl AppState {
    pub(crate) fn new(config: &Config, channels: Channels) -> Self {
        Self {
            channels,
            sessions: Arc::new(Sessions::new(config.max_sessions, config.idle_timeout)),
            sealer: CookieSealer::new(&config.key, config.secure_cookies()),
            product: config.product_name.as_str().into(),
            trusted_proxies: Arc::new(config.trusted_proxies.clone()),
        }
    }
}

/// The whole console.
pub(crate) fn router(state: AppState) -> Router {
    let hsts = state.sealer.secure();
    Router::new()
        .merge(pages::routes())
        .merge(crate::assets::routes())
        .fallback(pages::not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(
            tower::ServiceBuilder::new()
                .layer(axum::error_handling::HandleErrorLayer::new(timed_out))
                .layer(tower::timeout::TimeoutLayer::new(REQUEST_DEADLINE)),
        )
        .layer(middleware::from_fn_with_state(
            hsts.then_some(()),
            security_headers,
        ))
        .with_state(state)
}

async fn timed_out(_: tower::BoxError) -> (http::StatusCode, &'static str) {
    (http::StatusCode::GATEWAY_TIMEOUT, "the page took too long")
}

/// The Content-Security-Policy of every page: only the console's own files, no inline code,
/// no framing, forms only to the console.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Security headers on every response; `no-store` unless the response chose its own caching
/// (only the static files do).
async fn security_headers(
    axum::extract::State(hsts): axum::extract::State<Option<()>>,
    request: axum::extract::Request,
    next: Next,
) -> Response {
    let span =
        tracing::info_span!("page", method = %request.method(), path = %request.uri().path());
    let mut response = next.run(request).instrument(span).await;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("same-origin"),
    );
    if hsts.is_some() {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}
