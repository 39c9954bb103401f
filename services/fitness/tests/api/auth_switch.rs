//! Authentication cannot be switched off from outside: no environment variable turns the
//! auth layer off, so a caller cannot name itself through the benchmarks' metadata.

use shared::config::{Env, EnvMap};
use shared::pb::fitness::v1 as pb;
use shared::pb::fitness::v1::stats_service_client::StatsServiceClient;
use testkit::{Backend, TestFitness, backend_tests};
use tonic::Code;

use crate::helpers::{assert_code, reason};

async fn a_server_configured_from_the_environment_never_lets_metadata_name_the_caller(
    backend: Backend,
) {
    let env: EnvMap = [
        ("STRIDE_FITNESS_AUTH_DISABLED", "true"),
        ("STRIDE_AUTH_URL", "http://127.0.0.1:9"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let from_env = stride_fitness::Config::from_env(Env::new(&env)).expect("a valid environment");
    // The test's database and port, everything about callers from the environment.
    let fitness = TestFitness::spawn_with(backend, from_env.auth_url.clone(), |config| {
        config.auth = from_env.auth;
    })
    .await;
    let mut request = tonic::Request::new(pb::GetMyStatsRequest {});
    request
        .metadata_mut()
        .insert("x-stride-user-id", "someone-else".parse().unwrap());
    let status = assert_code(
        StatsServiceClient::new(fitness.channel().await)
            .get_my_stats(request)
            .await,
        Code::Unauthenticated,
    );
    assert_eq!(reason(&status), "MISSING_TOKEN");
    fitness.stop().await;
}

backend_tests!(a_server_configured_from_the_environment_never_lets_metadata_name_the_caller);
