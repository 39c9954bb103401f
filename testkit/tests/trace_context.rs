//! W3C trace context crosses the service boundary: when a fitness RPC has to ask the auth
//! service (here `CheckRevocation`, forced by a tiny staleness bound), the auth-side RPC span
//! is a child of the fitness-side trace. One test per binary: it installs global tracing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use opentelemetry::trace::{SpanId, TracerProvider as _};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use shared::pb::auth::v1::RegisterRequest;
use shared::pb::auth::v1::auth_service_client::AuthServiceClient;
use shared::pb::fitness::v1::ListWorkoutsRequest;
use shared::pb::fitness::v1::workout_service_client::WorkoutServiceClient;
use testkit::{Backend, TestAuth, TestFitness};
use tracing_subscriber::layer::SubscriberExt as _;

const CHECK: &str = "/stride.auth.v1.TokenIntrospectionService/CheckRevocation";
const LIST: &str = "/stride.fitness.v1.WorkoutService/ListWorkouts";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_auth_span_caused_by_a_fitness_rpc_is_a_child_of_its_trace() {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")));
    tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");
    opentelemetry::global::set_text_map_propagator(
        opentelemetry_sdk::propagation::TraceContextPropagator::new(),
    );

    let auth = TestAuth::spawn(Backend::Sqlite).await;
    // A feed silent for more than 1 ms counts as stale, so requests ask auth directly.
    let fitness = TestFitness::spawn_with(Backend::Sqlite, auth.url(), |config| {
        config.auth.max_staleness = Duration::from_millis(1);
    })
    .await;
    let tokens = AuthServiceClient::new(auth.channel().await)
        .register(RegisterRequest {
            username: "tracer".into(),
            email: "tracer@example.com".into(),
            password: "violet-kettle-orbit-9172".into(),
            ..RegisterRequest::default()
        })
        .await
        .unwrap()
        .into_inner()
        .tokens
        .unwrap();
    let mut workouts = WorkoutServiceClient::new(fitness.channel().await);

    // A feed event can make one request fresh by chance: retry a bounded number of times.
    let deadline = Instant::now() + Duration::from_secs(20);
    let linked = loop {
        let mut request = tonic::Request::new(ListWorkoutsRequest::default());
        request.metadata_mut().insert(
            "authorization",
            format!("Bearer {}", tokens.access_token).parse().unwrap(),
        );
        workouts.list_workouts(request).await.unwrap();
        let _ = provider.force_flush();
        let spans = exporter.get_finished_spans().unwrap();
        if let Some(pair) = linked_pair(&spans) {
            break pair;
        }
        assert!(
            Instant::now() < deadline,
            "no CheckRevocation span joined a fitness trace"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let (fitness_span, auth_span) = linked;
    assert_eq!(
        auth_span.span_context.trace_id(),
        fitness_span.span_context.trace_id()
    );
    assert!(
        auth_span.parent_span_is_remote,
        "the parent came over the wire"
    );
    fitness.stop().await;
    auth.stop().await;
}

/// The fitness `ListWorkouts` span and an auth `CheckRevocation` span in its trace whose parent
/// is a fitness-side span.
fn linked_pair(spans: &[SpanData]) -> Option<(SpanData, SpanData)> {
    spans.iter().filter(|s| s.name == LIST).find_map(|list| {
        let trace = list.span_context.trace_id();
        let in_trace: Vec<&SpanData> = spans
            .iter()
            .filter(|s| s.span_context.trace_id() == trace)
            .collect();
        let check = in_trace.iter().find(|s| {
            s.name == CHECK
                && s.parent_span_id != SpanId::INVALID
                && in_trace
                    .iter()
                    .any(|p| p.span_context.span_id() == s.parent_span_id && p.name != CHECK)
        })?;
        Some((list.clone(), (*check).clone()))
    })
}
