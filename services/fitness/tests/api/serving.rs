//! The fitness server answers health and reflection.

use testkit::{Backend, TestFitness, backend_tests};
use tonic_health::pb::health_check_response::ServingStatus;

const FITNESS_SERVICES: [&str; 5] = [
    "stride.fitness.v1.CatalogueService",
    "stride.fitness.v1.DataService",
    "stride.fitness.v1.ExerciseService",
    "stride.fitness.v1.StatsService",
    "stride.fitness.v1.WorkoutService",
];

/// No auth service is needed to serve health and reflection.
const NO_AUTH: &str = "http://127.0.0.1:9";

async fn health_and_reflection_list_every_fitness_service(backend: Backend) {
    let fitness = TestFitness::spawn(backend, NO_AUTH.to_owned()).await;
    assert_eq!(
        testkit::health_status(fitness.addr, "").await,
        ServingStatus::Serving
    );
    for (listing, reflection) in [
        (
            testkit::list_services_v1(fitness.addr).await,
            "grpc.reflection.v1.ServerReflection",
        ),
        (
            testkit::list_services_v1alpha(fitness.addr).await,
            "grpc.reflection.v1alpha.ServerReflection",
        ),
    ] {
        let mut expected: Vec<String> = FITNESS_SERVICES.iter().map(|s| s.to_string()).collect();
        expected.extend(["grpc.health.v1.Health".to_owned(), reflection.to_owned()]);
        expected.sort();
        assert_eq!(listing, expected);
    }
    for service in FITNESS_SERVICES {
        assert_eq!(
            testkit::health_status(fitness.addr, service).await,
            ServingStatus::Serving
        );
    }
    fitness.stop().await;
}

backend_tests!(health_and_reflection_list_every_fitness_service);
