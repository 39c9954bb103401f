//! The tower layer that puts [`Authenticator`] in front of each fitness gRPC service (not
//! health or reflection, which are mounted without it).

use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use tonic::body::Body;
use tonic::server::NamedService;
use tower::{Layer, Service};

use super::Authenticator;

/// Wraps services in [`Authenticated`].
#[derive(Debug, Clone)]
pub struct AuthLayer {
    auth: Arc<Authenticator>,
}

impl AuthLayer {
    /// A layer authenticating with `auth`.
    pub fn new(auth: Arc<Authenticator>) -> Self {
        Self { auth }
    }
}

impl<S> Layer<S> for AuthLayer {
    type Service = Authenticated<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Authenticated {
            inner,
            auth: Arc::clone(&self.auth),
        }
    }
}

/// A gRPC service that only sees authenticated requests, each carrying its
/// [`Caller`](super::Caller) in the request extensions. Anything else is answered here with
/// UNAUTHENTICATED (or UNAVAILABLE when revocation cannot be checked).
#[derive(Debug, Clone)]
pub struct Authenticated<S> {
    inner: S,
    auth: Arc<Authenticator>,
}

impl<S: NamedService> NamedService for Authenticated<S> {
    const NAME: &'static str = S::NAME;
}

impl<S> Service<http::Request<Body>> for Authenticated<S>
where
    S: Service<http::Request<Body>, Response = http::Response<Body>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<Body>) -> Self::Future {
        // The instance that was polled ready serves this call; a clone takes its place.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let auth = Arc::clone(&self.auth);
        Box::pin(async move {
            match auth.authenticate(request.headers()).await {
                Ok(caller) => {
                    shared::telemetry::record_user(&caller.user_id);
                    request.extensions_mut().insert(caller);
                    inner.call(request).await
                }
                Err(err) => Ok(tonic::Status::from(err).into_http()),
            }
        })
    }
}
