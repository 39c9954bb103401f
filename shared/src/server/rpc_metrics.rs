//! Per-RPC request counts and latency by gRPC status code:
//! `stride_rpc_requests_total` and `stride_rpc_duration_seconds`, labelled `service` (auth or
//! fitness), `grpc_service`, `grpc_method` and `grpc_code`.
//!
//! The method labels take only the values the project's descriptor sets declare (plus health
//! and reflection); any other path is counted as `other`, so no client can grow the number of
//! series. The code is read where gRPC puts it: the response headers of a trailers-only answer
//! (every error), else the trailers at the end of the body. The latency runs until then, so a
//! server stream's covers its whole life; a body dropped before its trailers (the client went
//! away) counts as `CANCELLED`.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use futures::future::BoxFuture;
use http_body::{Body, Frame, SizeHint};

/// Counted per `service`, `grpc_service`, `grpc_method`, `grpc_code`.
const REQUESTS: &str = "stride_rpc_requests_total";
/// Seconds from the request to its status, same labels.
const DURATION: &str = "stride_rpc_duration_seconds";

/// The names of gRPC status codes 0–16, as Prometheus dashboards show them.
const CODES: [&str; 17] = [
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
];

/// `(grpc_service, grpc_method)` of a path the server may answer.
type Method = (&'static str, &'static str);

/// Every RPC path the descriptor sets declare, keyed by its `/package.Service/Method` path.
fn known_methods() -> &'static HashMap<String, (String, String)> {
    static METHODS: OnceLock<HashMap<String, (String, String)>> = OnceLock::new();
    METHODS.get_or_init(|| {
        use prost::Message as _;
        let mut methods = HashMap::new();
        for encoded in [
            crate::FILE_DESCRIPTOR_SET,
            tonic_health::pb::FILE_DESCRIPTOR_SET,
            tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET,
            tonic_reflection::pb::v1alpha::FILE_DESCRIPTOR_SET,
        ] {
            // The sets are compiled in; one that does not decode only leaves its paths `other`.
            let Ok(set) = prost_types::FileDescriptorSet::decode(encoded) else {
                continue;
            };
            for file in set.file {
                let package = file.package.unwrap_or_default();
                for service in file.service {
                    let full = format!("{package}.{}", service.name.unwrap_or_default());
                    for method in service.method {
                        let name = method.name.unwrap_or_default();
                        methods.insert(format!("/{full}/{name}"), (full.clone(), name));
                    }
                }
            }
        }
        methods
    })
}

/// The labels of `path`: its service and method when declared, else `other` for both.
fn method_of(path: &str) -> Method {
    match known_methods().get(path) {
        Some((service, method)) => (service.as_str(), method.as_str()),
        None => ("other", "other"),
    }
}

fn code_name(code: i32) -> &'static str {
    usize::try_from(code)
        .ok()
        .and_then(|i| CODES.get(i))
        .copied()
        .unwrap_or("UNKNOWN")
}

/// The `grpc-status` of a header map, if it holds one.
fn status_in(headers: &http::HeaderMap) -> Option<&'static str> {
    let value = headers.get("grpc-status")?;
    let code = value.to_str().ok()?.parse::<i32>().ok()?;
    Some(code_name(code))
}

/// One RPC's labels and start, recorded once.
#[derive(Debug)]
struct Measure {
    service: &'static str,
    method: Method,
    started: Instant,
    recorded: bool,
}

impl Measure {
    fn record(&mut self, code: &'static str) {
        if self.recorded {
            return;
        }
        self.recorded = true;
        if !crate::prometheus::enabled() {
            return;
        }
        let labels = [
            ("service", self.service),
            ("grpc_service", self.method.0),
            ("grpc_method", self.method.1),
            ("grpc_code", code),
        ];
        metrics::counter!(REQUESTS, &labels).increment(1);
        metrics::histogram!(DURATION, &labels).record(self.started.elapsed().as_secs_f64());
    }
}

/// Measures every RPC of the server named `service`.
#[derive(Debug, Clone, Copy)]
pub struct RpcMetricsLayer {
    service: &'static str,
}

impl RpcMetricsLayer {
    /// A layer labelling its series `service`.
    pub fn new(service: &'static str) -> Self {
        Self { service }
    }
}

impl<S> tower_layer::Layer<S> for RpcMetricsLayer {
    type Service = RpcMetrics<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RpcMetrics {
            inner,
            service: self.service,
        }
    }
}

/// The service [`RpcMetricsLayer`] builds.
#[derive(Debug, Clone)]
pub struct RpcMetrics<S> {
    inner: S,
    service: &'static str,
}

impl<S, B, R> tower_service::Service<http::Request<B>> for RpcMetrics<S>
where
    S: tower_service::Service<http::Request<B>, Response = http::Response<R>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = http::Response<Measured<R>>;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let mut measure = Measure {
            service: self.service,
            method: method_of(request.uri().path()),
            started: Instant::now(),
            recorded: false,
        };
        let response = self.inner.call(request);
        Box::pin(async move {
            let response = match response.await {
                Ok(response) => response,
                Err(err) => {
                    measure.record("INTERNAL");
                    return Err(err);
                }
            };
            if let Some(code) = status_in(response.headers()) {
                measure.record(code);
            }
            Ok(response.map(|inner| Measured { inner, measure }))
        })
    }
}

/// A response body that records its RPC when the trailers pass (or when dropped without them).
#[derive(Debug)]
pub struct Measured<B> {
    inner: B,
    measure: Measure,
}

impl<B> Body for Measured<B>
where
    B: Body<Data = Bytes> + Unpin,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(code) = frame.trailers_ref().and_then(status_in) {
                    self.measure.record(code);
                }
            }
            Poll::Ready(Some(Err(_))) => self.measure.record("INTERNAL"),
            Poll::Ready(None) | Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl<B> Drop for Measured<B> {
    fn drop(&mut self) {
        self.measure.record("CANCELLED");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_paths_are_labelled_and_others_are_not() {
        assert_eq!(
            method_of("/stride.auth.v1.AuthService/Login"),
            ("stride.auth.v1.AuthService", "Login")
        );
        assert_eq!(
            method_of("/grpc.health.v1.Health/Check"),
            ("grpc.health.v1.Health", "Check")
        );
        assert_eq!(
            method_of("/stride.auth.v1.AuthService/Nope"),
            ("other", "other")
        );
        assert_eq!(method_of("/x"), ("other", "other"));
    }

    #[test]
    fn codes_are_named_and_unknown_codes_are_unknown() {
        assert_eq!(code_name(0), "OK");
        assert_eq!(code_name(16), "UNAUTHENTICATED");
        assert_eq!(code_name(17), "UNKNOWN");
        assert_eq!(code_name(-1), "UNKNOWN");
        let mut headers = http::HeaderMap::new();
        assert_eq!(status_in(&headers), None);
        headers.insert("grpc-status", http::HeaderValue::from_static("5"));
        assert_eq!(status_in(&headers), Some("NOT_FOUND"));
    }
}
