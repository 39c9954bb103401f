//! Probes of the standard services every Stride server exposes: health and reflection.

use std::net::SocketAddr;

use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus};
use tonic_reflection::pb::{v1, v1alpha};

use crate::channel;

/// The health status of `service` (`""` for the server as a whole).
pub async fn health_status(addr: SocketAddr, service: &str) -> ServingStatus {
    let response = HealthClient::new(channel(addr).await)
        .check(HealthCheckRequest {
            service: service.to_owned(),
        })
        .await
        .expect("health check answers");
    ServingStatus::try_from(response.into_inner().status).expect("a known status")
}

/// One `ListServices` exchange in the reflection API `$version`: its two versions are the same
/// messages in two generated modules, which no trait unites.
macro_rules! list_services {
    ($version:ident, $addr:expr) => {{
        use $version::server_reflection_client::ServerReflectionClient;
        use $version::server_reflection_request::MessageRequest;
        use $version::server_reflection_response::MessageResponse;
        let request = $version::ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::ListServices(String::new())),
        };
        let mut stream = ServerReflectionClient::new(channel($addr).await)
            .server_reflection_info(tokio_stream::iter([request]))
            .await
            .expect(concat!("reflection ", stringify!($version), " answers"))
            .into_inner();
        let response = stream
            .message()
            .await
            .expect("a reflection response")
            .expect("one message");
        match response.message_response {
            Some(MessageResponse::ListServicesResponse(list)) => {
                let mut names: Vec<_> = list.service.into_iter().map(|s| s.name).collect();
                names.sort();
                names
            }
            other => panic!("unexpected reflection response: {other:?}"),
        }
    }};
}

/// Service names listed by reflection v1, sorted.
pub async fn list_services_v1(addr: SocketAddr) -> Vec<String> {
    list_services!(v1, addr)
}

/// Service names listed by reflection v1alpha (what grpcurl 1.8 speaks), sorted.
pub async fn list_services_v1alpha(addr: SocketAddr) -> Vec<String> {
    list_services!(v1alpha, addr)
}
