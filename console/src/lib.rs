//! The Stride web console: the profile page and the admin site, served by a small axum server
//! that is a **client** of the auth and fitness services (like the `stride` CLI), never of
//! their databases.
//!
//! - Pages are rendered on the server ([`maud`], HTML-escaped by default); a few lines of
//!   script (`static/console.js`) only add confirmations and the avatar preview.
//! - The browser never sees a token: it holds an encrypted, authenticated cookie naming a
//!   session kept here ([`session`]), refreshed transparently one rotation at a time.
//! - Every state-changing request is a POST carrying the session's CSRF token; every page has
//!   a strict Content-Security-Policy and is never cached.
//!
//! Layout: `pages/` holds one module per page (its routes, its calls, its markup), `ui/` the
//! shared markup, `grpc.rs` the calling of services, `feedback.rs` how their errors read.

mod app;
mod assets;
mod config;
mod error;
mod extract;
mod feedback;
mod grpc;
mod pages;
mod session;
mod ui;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use tokio::sync::Semaphore;
use tower::ServiceExt as _;

use shared::server::tls;
use tokio::net::TcpListener;

pub use config::{Config, ConsoleKey, DEFAULT_ADDR};

/// A console bound to its address, ready to serve.
#[derive(Debug)]
pub struct Console {
    listener: TcpListener,
    router: axum::Router,
}

/// Why the console could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A service URL is not usable.
    #[error("invalid service URL {url}: {reason}")]
    Url {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// The address cannot be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
}

impl Console {
    /// Binds the listener and prepares the (lazily connected) channels to the services.
    pub async fn build(config: Config) -> Result<Self, StartError> {
        let channel = |url: &str, tls: Option<&tls::ClientTls>| {
            tls::endpoint(url, tls)
                .map(|endpoint| {
                    endpoint
                        .connect_timeout(std::time::Duration::from_secs(5))
                        .timeout(std::time::Duration::from_secs(20))
                        .connect_lazy()
                })
                .map_err(|err| StartError::Url {
                    url: url.to_owned(),
                    reason: err.to_string(),
                })
        };
        let channels = grpc::Channels {
            auth: channel(&config.auth_url, config.auth_tls.as_ref())?,
            fitness: channel(&config.fitness_url, config.fitness_tls.as_ref())?,
        };
        let listener = TcpListener::bind(config.addr)
            .await
            .map_err(|source| StartError::Bind {
                addr: config.addr,
                source,
            })?;
        let router = app::router(app::AppState::new(&config, channels));
        Ok(Self { listener, router })
    }

    /// Where it listens.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)))
    }

    /// Serves until `shutdown` resolves, then lets the requests in flight finish (for at most
    /// [`DRAIN`]).
    ///
    /// HTTP/1.1 through hyper directly: a connection must send its request headers within
    /// [`HEADER_DEADLINE`] (a client that trickles them is cut), and at most
    /// [`MAX_CONNECTIONS`] are served at once (further ones are closed at accept).
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        tracing::info!(addr = %self.local_addr(), "console listening");
        let graceful = hyper_util::server::graceful::GracefulShutdown::new();
        let permits = Arc::new(Semaphore::new(MAX_CONNECTIONS));
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(hyper_util::rt::TokioTimer::new())
            .header_read_timeout(HEADER_DEADLINE);
        tokio::pin!(shutdown);
        loop {
            let (tcp, peer) = tokio::select! {
                () = &mut shutdown => break,
                accepted = self.listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(err) => {
                        tracing::warn!(error = %err, "cannot accept a connection");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
            };
            let Ok(permit) = permits.clone().try_acquire_owned() else {
                tracing::warn!(%peer, "connection limit reached; closing a new connection");
                continue;
            };
            let router = self.router.clone();
            let service = hyper::service::service_fn(
                move |mut request: http::Request<hyper::body::Incoming>| {
                    request.extensions_mut().insert(ConnectInfo(peer));
                    router.clone().oneshot(request)
                },
            );
            let connection = http.serve_connection(hyper_util::rt::TokioIo::new(tcp), service);
            let connection = graceful.watch(connection);
            tokio::spawn(async move {
                if let Err(err) = connection.await {
                    tracing::debug!(%peer, error = %err, "connection ended with an error");
                }
                drop(permit);
            });
        }
        drop(self.listener);
        if tokio::time::timeout(DRAIN, graceful.shutdown())
            .await
            .is_err()
        {
            tracing::warn!("console drain deadline reached; closing the remaining connections");
        }
        Ok(())
    }
}

/// Longest a client may take to send a request's headers.
const HEADER_DEADLINE: Duration = Duration::from_secs(10);
/// Connections served at once.
const MAX_CONNECTIONS: usize = 1024;
/// Longest the requests in flight at shutdown may take.
const DRAIN: Duration = Duration::from_secs(10);
