//! The auth server answers health and reflection, and UNIMPLEMENTED for RPCs not built yet.

use testkit::{Backend, TestAuth, backend_tests};
use tonic_health::pb::health_check_response::ServingStatus;

const AUTH_SERVICES: [&str; 5] = [
    "stride.auth.v1.AdminService",
    "stride.auth.v1.AuthService",
    "stride.auth.v1.SessionService",
    "stride.auth.v1.TokenIntrospectionService",
    "stride.auth.v1.UserService",
];

async fn health_reports_serving_for_the_server_and_each_service(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    assert_eq!(
        testkit::health_status(auth.addr, "").await,
        ServingStatus::Serving
    );
    for service in AUTH_SERVICES {
        assert_eq!(
            testkit::health_status(auth.addr, service).await,
            ServingStatus::Serving,
            "{service}"
        );
    }
    auth.stop().await;
}

async fn reflection_lists_exactly_the_auth_services_over_v1_and_v1alpha(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    for (listing, reflection) in [
        (
            testkit::list_services_v1(auth.addr).await,
            "grpc.reflection.v1.ServerReflection",
        ),
        (
            testkit::list_services_v1alpha(auth.addr).await,
            "grpc.reflection.v1alpha.ServerReflection",
        ),
    ] {
        let mut expected: Vec<String> = AUTH_SERVICES.iter().map(|s| s.to_string()).collect();
        expected.extend(["grpc.health.v1.Health".to_owned(), reflection.to_owned()]);
        expected.sort();
        assert_eq!(listing, expected);
    }
    auth.stop().await;
}

backend_tests!(
    health_reports_serving_for_the_server_and_each_service,
    reflection_lists_exactly_the_auth_services_over_v1_and_v1alpha,
);
