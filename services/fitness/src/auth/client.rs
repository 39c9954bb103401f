//! Calls to the auth service: every one carries the service key, a deadline and the W3C
//! trace context of the current span. The channel is lazy, so fitness starts (and serves what
//! it can) while the auth service is still down. An `https://` URL is called over TLS,
//! presenting a client certificate when one is configured (auth may require it).

use std::time::Duration;

use shared::credentials::SERVICE_KEY_HEADER;
use shared::pb::auth::v1 as pb;
use shared::pb::auth::v1::auth_service_client::AuthServiceClient;
use shared::pb::auth::v1::token_introspection_service_client::TokenIntrospectionServiceClient;
use shared::secret::Secret;
use shared::server::tls::{self, ClientTls};
use tonic::metadata::AsciiMetadataValue;
use tonic::transport::Channel;
use tonic::{Request, Status, Streaming};

use super::revocation::Position;

/// A client of the auth service's JWKS and introspection RPCs.
#[derive(Clone)]
pub struct AuthClient {
    channel: Channel,
    service_key: AsciiMetadataValue,
    timeout: Duration,
}

impl std::fmt::Debug for AuthClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthClient")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// Why a client could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// `STRIDE_AUTH_URL` is not a usable endpoint.
    #[error("invalid auth service URL: {0}")]
    Url(String),
    /// `STRIDE_SERVICE_KEY` cannot be sent as metadata.
    #[error("the service key must be printable ASCII")]
    Key,
}

impl AuthClient {
    /// A lazily connecting client of the auth service at `url`, over TLS with `tls` for an
    /// `https://` URL.
    pub fn new(
        url: &str,
        tls: Option<&ClientTls>,
        service_key: &Secret,
        timeout: Duration,
    ) -> Result<Self, ClientError> {
        let endpoint = tls::endpoint(url, tls)
            .map_err(|e| ClientError::Url(e.to_string()))?
            .connect_timeout(timeout)
            .tcp_nodelay(true)
            .http2_keep_alive_interval(Duration::from_secs(10))
            .keep_alive_timeout(Duration::from_secs(5));
        let mut service_key: AsciiMetadataValue =
            service_key.expose().parse().map_err(|_| ClientError::Key)?;
        service_key.set_sensitive(true);
        Ok(Self {
            channel: endpoint.connect_lazy(),
            service_key,
            timeout,
        })
    }

    /// Wraps `message` with the service key, the trace context and (for unary calls) the
    /// deadline.
    fn request<T>(&self, message: T, deadline: bool) -> Request<T> {
        let mut request = Request::new(message);
        if deadline {
            request.set_timeout(self.timeout);
        }
        request
            .metadata_mut()
            .insert(SERVICE_KEY_HEADER, self.service_key.clone());
        shared::telemetry::inject_context(request.metadata_mut());
        request
    }

    /// Bounds a unary call by the deadline on the client side too (a connect attempt to a
    /// black-holed address must not hang the caller).
    async fn bounded<T>(
        &self,
        call: impl std::future::Future<Output = Result<tonic::Response<T>, Status>>,
    ) -> Result<T, Status> {
        match tokio::time::timeout(self.timeout, call).await {
            Ok(result) => result.map(tonic::Response::into_inner),
            Err(_) => Err(Status::deadline_exceeded(
                "auth service did not answer in time",
            )),
        }
    }

    /// `AuthService.GetJwks`.
    #[tracing::instrument(skip_all, err(level = "debug"))]
    pub async fn get_jwks(&self) -> Result<pb::GetJwksResponse, Status> {
        let mut client = AuthServiceClient::new(self.channel.clone());
        let request = self.request(pb::GetJwksRequest {}, true);
        self.bounded(client.get_jwks(request)).await
    }

    /// `TokenIntrospectionService.CheckRevocation`.
    #[tracing::instrument(skip_all, err(level = "debug"))]
    pub async fn check_revocation(
        &self,
        jtis: Vec<String>,
        sids: Vec<String>,
    ) -> Result<pb::CheckRevocationResponse, Status> {
        let mut client = TokenIntrospectionServiceClient::new(self.channel.clone());
        let request = self.request(pb::CheckRevocationRequest { jtis, sids }, true);
        self.bounded(client.check_revocation(request)).await
    }

    /// `TokenIntrospectionService.WatchRevocations` from `position`. The stream has no
    /// deadline; opening it does.
    #[tracing::instrument(skip_all, fields(after_sequence = position.sequence), err(level = "debug"))]
    pub async fn watch_revocations(
        &self,
        position: Position,
    ) -> Result<Streaming<pb::WatchRevocationsResponse>, Status> {
        let mut client = TokenIntrospectionServiceClient::new(self.channel.clone());
        let request = self.request(
            pb::WatchRevocationsRequest {
                after_sequence: position.sequence,
                feed_id: position.feed_id,
                after_digest: position.digest,
            },
            false,
        );
        self.bounded(client.watch_revocations(request)).await
    }
}
