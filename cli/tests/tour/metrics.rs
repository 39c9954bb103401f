//! The Prometheus endpoint of a real `stride dev`, scraped after traffic: every series the
//! operations guide documents is there, with the values the traffic must have produced.

use std::time::Duration;

use shared::pb::auth::v1::{GetJwksRequest, LogoutRequest, auth_service_client::AuthServiceClient};
use shared::pb::fitness::v1 as fitness;
use shared::pb::fitness::v1::workout_service_client::WorkoutServiceClient;
use testkit::metrics::{samples, scrape, value};
use testkit::users::{self, PASSWORD};
use testkit::{Backend, TestDb};

use crate::envoy::runtime;
use crate::stack::Stack;

/// Wrong passwords that lock an account at the default threshold.
const THRESHOLD: usize = 5;

/// The README's Metrics example, run against this stack's endpoint.
fn readme_example_prints_request_counts(metrics: &str) {
    let block = crate::readme::bash_block(&crate::readme::text(), "Metrics")
        .replace("127.0.0.1:9464", metrics);
    let output = std::process::Command::new("bash")
        .args(["-c", &block])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{block}\n{stdout}");
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("stride_rpc_requests_total{service=\"auth\"")),
        "{block}\n{stdout}"
    );
}

/// Every series the Grafana dashboard in `deploy/` queries is one the services export.
fn dashboard_reads_only_exported_series(exposition: &str) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/grafana/stride.json");
    let dashboard: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut queried = 0;
    for panel in dashboard["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().into_iter().flatten() {
            let expr = target["expr"].as_str().unwrap();
            for word in expr.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
                if !word.starts_with("stride_") {
                    continue;
                }
                let family = ["_bucket", "_count", "_sum"]
                    .iter()
                    .find_map(|suffix| word.strip_suffix(suffix))
                    .unwrap_or(word);
                assert!(
                    exposition.contains(&format!("# TYPE {family} ")),
                    "the dashboard queries {word}, which nothing exports"
                );
                queried += 1;
            }
        }
    }
    assert!(queried >= 10, "the dashboard queries {queried} series");
}

/// Calls `/stride.auth.v1.AuthService/Bogus`, a path no service declares; its status code.
async fn call_undeclared(channel: tonic::transport::Channel) -> tonic::Code {
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.unwrap();
    let codec = tonic_prost::ProstCodec::<GetJwksRequest, GetJwksRequest>::default();
    grpc.unary(
        tonic::Request::new(GetJwksRequest {}),
        http::uri::PathAndQuery::from_static("/stride.auth.v1.AuthService/Bogus"),
        codec,
    )
    .await
    .unwrap_err()
    .code()
}

#[test]
fn the_endpoint_exports_rpc_feed_password_database_and_login_series_on_sqlite() {
    exports_every_series(&Stack::start());
}

#[test]
fn the_endpoint_exports_rpc_feed_password_database_and_login_series_on_postgres() {
    let runtime = runtime();
    if !runtime.block_on(async { testkit::postgres_available() }) {
        return;
    }
    let (auth_db, fitness_db) = runtime.block_on(async {
        (
            TestDb::create("auth", Backend::Postgres).await,
            TestDb::create("fitness", Backend::Postgres).await,
        )
    });
    let stack = Stack::start_with(&[
        ("STRIDE_AUTH_DATABASE_URL", auth_db.url().as_str()),
        ("STRIDE_FITNESS_DATABASE_URL", fitness_db.url().as_str()),
    ]);
    exports_every_series(&stack);
    drop(stack);
    runtime.block_on(async {
        auth_db.drop_now().await.unwrap();
        fitness_db.drop_now().await.unwrap();
    });
}

/// Traffic through both services of `stack`, then one scrape checked series by series.
fn exports_every_series(stack: &Stack) {
    let metrics = stack.metrics.clone().expect("stride dev serves metrics");
    runtime().block_on(async {
        let auth = testkit::channel(stack.auth.parse().unwrap()).await;
        let fitness_channel = testkit::channel(stack.fitness.parse().unwrap()).await;

        users::register(auth.clone(), "meter").await;
        let pair = users::login(auth.clone(), "meter", PASSWORD, "laptop")
            .await
            .unwrap()
            .tokens
            .unwrap();
        for _ in 0..2 {
            let wrong = users::login(auth.clone(), "meter", "not the password", "laptop").await;
            assert_eq!(wrong.unwrap_err().code(), tonic::Code::Unauthenticated);
        }
        // Another account, locked by wrong passwords.
        users::register(auth.clone(), "locked").await;
        for _ in 0..THRESHOLD {
            let _ = users::login(auth.clone(), "locked", "not the password", "laptop").await;
        }

        let mut workouts = WorkoutServiceClient::new(fitness_channel.clone());
        workouts
            .create_workout(testkit::bearer::bearer(
                fitness::CreateWorkoutRequest {
                    workout: Some(fitness::Workout {
                        title: "Intervals".to_owned(),
                        date: "2026-12-01".to_owned(),
                        workout_type: fitness::WorkoutType::Cardio as i32,
                        ..Default::default()
                    }),
                    request_id: String::new(),
                },
                &pair.access_token,
            ))
            .await
            .unwrap();
        let missing = workouts
            .get_workout(testkit::bearer::bearer(
                fitness::GetWorkoutRequest {
                    include_entries: false,
                    id: "0190f5a6-0000-7000-8000-000000000000".to_owned(),
                    include_exercises: false,
                },
                &pair.access_token,
            ))
            .await
            .unwrap_err();
        assert_eq!(missing.code(), tonic::Code::NotFound);

        // A path no service declares: counted, under `other`, never as a label of its own.
        assert_eq!(
            call_undeclared(auth.clone()).await,
            tonic::Code::Unimplemented
        );

        // A revocation fitness must learn from the feed.
        AuthServiceClient::new(auth.clone())
            .logout(LogoutRequest {
                refresh_token: pair.refresh_token.clone(),
            })
            .await
            .unwrap();
        // Fitness's revoked set grows once the feed brings the logout.
        let (text, _) = testkit::poll::poll_until(Duration::from_secs(30), || async {
            let text = scrape(&metrics).await;
            (value(&samples(&text), "stride_revoked_entries", &[]) >= 1.0).then_some(text)
        })
        .await;
        let seen = samples(&text);
        dashboard_reads_only_exported_series(&text);
        readme_example_prints_request_counts(&metrics);
        // Every family says what it is.
        for family in text.lines().filter_map(|l| l.strip_prefix("# TYPE ")) {
            let name = family.split(' ').next().unwrap();
            assert!(
                text.contains(&format!("# HELP {name} ")),
                "{name} has no HELP"
            );
        }

        let rpc = |service: &str, method: &str, code: &str| {
            value(
                &seen,
                "stride_rpc_requests_total",
                &[
                    &format!("service=\"{service}\""),
                    &format!("grpc_method=\"{method}\""),
                    &format!("grpc_code=\"{code}\""),
                ],
            )
        };
        assert_eq!(rpc("auth", "Register", "OK"), 2.0);
        assert_eq!(rpc("auth", "Login", "OK"), 1.0);
        assert!(rpc("auth", "Login", "UNAUTHENTICATED") >= 2.0 + 1.0);
        assert!(rpc("auth", "Login", "RESOURCE_EXHAUSTED") <= 1.0);
        assert_eq!(rpc("fitness", "CreateWorkout", "OK"), 1.0);
        assert_eq!(rpc("fitness", "GetWorkout", "NOT_FOUND"), 1.0);
        assert_eq!(rpc("auth", "other", "UNIMPLEMENTED"), 1.0);
        assert!(
            !seen.keys().any(|k| k.contains("Bogus")),
            "an undeclared path never becomes a label"
        );
        // The latency histogram has the same labels, with buckets.
        assert_eq!(
            value(
                &seen,
                "stride_rpc_duration_seconds_count",
                &["grpc_method=\"CreateWorkout\"", "grpc_code=\"OK\""],
            ),
            1.0
        );
        assert_eq!(
            value(
                &seen,
                "stride_rpc_duration_seconds_bucket",
                &[
                    "grpc_method=\"CreateWorkout\"",
                    "grpc_code=\"OK\"",
                    "le=\"+Inf\""
                ],
            ),
            1.0
        );

        // Logins: every wrong password is a LOGIN_FAILED event, and one account locked.
        assert_eq!(
            value(
                &seen,
                "stride_security_events_total",
                &["kind=\"LOGIN_FAILED\""]
            ),
            (2 + THRESHOLD) as f64
        );
        assert_eq!(
            value(
                &seen,
                "stride_security_events_total",
                &["kind=\"ACCOUNT_LOCKED\""]
            ),
            1.0
        );

        // The password queue: nobody waiting now, and every hash waited its turn once.
        assert_eq!(
            value(&seen, "stride_password_queue_depth", &["queue=\"hash\""]),
            0.0
        );
        assert!(
            value(
                &seen,
                "stride_password_wait_seconds_count",
                &["queue=\"hash\""]
            ) >= (1 + 2 + THRESHOLD) as f64
        );
        assert_eq!(
            value(
                &seen,
                "stride_password_wait_seconds_count",
                &["queue=\"register\""]
            ),
            2.0
        );

        // The feed: fitness follows it, heard from it lately, and learnt of the logout.
        assert_eq!(value(&seen, "stride_feed_consumers", &[]), 1.0);
        let silence = value(&seen, "stride_revocation_feed_silence_seconds", &[]);
        assert!(silence.is_finite() && silence < 30.0, "{silence}");
        assert!(value(&seen, "stride_revocation_feed_lag_seconds_count", &[]) >= 1.0);

        // The pools: each service's connections, and its reads and writes timed.
        for service in ["auth", "fitness"] {
            let service = format!("service=\"{service}\"");
            let idle = value(
                &seen,
                "stride_db_connections",
                &[&service, "state=\"idle\""],
            );
            let in_use = value(
                &seen,
                "stride_db_connections",
                &[&service, "state=\"in_use\""],
            );
            assert!(
                idle + in_use >= 1.0,
                "{service}: {idle} idle, {in_use} in use"
            );
            for kind in ["kind=\"read\"", "kind=\"write\""] {
                assert!(
                    value(&seen, "stride_db_held_seconds_count", &[&service, kind]) >= 1.0,
                    "{service} {kind}"
                );
                assert!(
                    value(&seen, "stride_db_acquire_seconds_count", &[&service, kind]) >= 1.0,
                    "{service} {kind}"
                );
            }
        }
    });
}
