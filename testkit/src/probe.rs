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

/// Service names listed by reflection v1, sorted.
pub async fn list_services_v1(addr: SocketAddr) -> Vec<String> {
    let mut client = v1::server_reflection_client::ServerReflectionClient::new(channel(addr).await);
    let request = v1::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(v1::server_reflection_request::MessageRequest::ListServices(
            String::new(),
        )),
    };
    let mut stream = client
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .expect("reflection v1 answers")
        .into_inner();
    let response = stream
        .message()
        .await
        .expect("a reflection response")
        .expect("one message");
    match response.message_response {
        Some(v1::server_reflection_response::MessageResponse::ListServicesResponse(list)) => {
            let mut names: Vec<_> = list.service.into_iter().map(|s| s.name).collect();
            names.sort();
            names
        }
        other => panic!("unexpected reflection response: {other:?}"),
    }
}

/// Service names listed by reflection v1alpha (what grpcurl 1.8 speaks), sorted.
pub async fn list_services_v1alpha(addr: SocketAddr) -> Vec<String> {
    let mut client =
        v1alpha::server_reflection_client::ServerReflectionClient::new(channel(addr).await);
    let request = v1alpha::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(
            v1alpha::server_reflection_request::MessageRequest::ListServices(String::new()),
        ),
    };
    let mut stream = client
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .expect("reflection v1alpha answers")
        .into_inner();
    let response = stream
        .message()
        .await
        .expect("a reflection response")
        .expect("one message");
    match response.message_response {
        Some(v1alpha::server_reflection_response::MessageResponse::ListServicesResponse(list)) => {
            let mut names: Vec<_> = list.service.into_iter().map(|s| s.name).collect();
            names.sort();
            names
        }
        other => panic!("unexpected reflection response: {other:?}"),
    }
}
