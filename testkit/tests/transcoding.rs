//! The HTTP/JSON mapping end to end. Envoy cannot run here, so `gateway` (a minimal gRPC-JSON
//! transcoder written for this test, see its docs and docs/GATEWAY.md) reads the
//! `google.api.http` rules from the same `shared::FILE_DESCRIPTOR_SET` that
//! `deploy/envoy.yaml` loads, transcodes the same services and routes them by package like
//! Envoy's clusters. A plain HTTP/1.1 client then exercises path variables (`{id}`,
//! `{workout.id}`, `{user_id}:evaluate`), `body: "*"`, a named body, query parameters,
//! `additional_bindings`, bearer tokens, error statuses with `google.rpc.Status` details, and
//! the absence of the internal introspection API.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "transcoding/gateway.rs"]
mod gateway;
#[path = "transcoding/mapping.rs"]
mod mapping;

use std::net::SocketAddr;
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use prost_reflect::DescriptorPool;
use serde_json::{Value, json};
use testkit::{Backend, TestAuth, TestFitness};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tonic::transport::Channel;

use gateway::Gateway;

const PASSWORD: &str = "Tr4ck-every-str1de-daily!";
/// Bound on each HTTP exchange through the gateway.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);
/// The services deploy/envoy.yaml transcodes: every public one, never TokenIntrospectionService.
const TRANSCODED: &[&str] = &[
    "stride.auth.v1.AuthService",
    "stride.auth.v1.UserService",
    "stride.auth.v1.SessionService",
    "stride.auth.v1.AdminService",
    "stride.fitness.v1.WorkoutService",
    "stride.fitness.v1.ExerciseService",
    "stride.fitness.v1.StatsService",
];

/// The gateway on 127.0.0.1:0 in front of both services, like deploy/envoy.yaml.
async fn spawn_gateway(auth: SocketAddr, fitness: SocketAddr) -> (SocketAddr, JoinHandle<()>) {
    let pool = DescriptorPool::decode(shared::FILE_DESCRIPTOR_SET).unwrap();
    let upstream = |addr: SocketAddr| {
        Channel::from_shared(format!("http://{addr}"))
            .unwrap()
            .connect_lazy()
    };
    let upstreams = [
        ("stride.auth.v1.", upstream(auth)),
        ("stride.fitness.v1.", upstream(fitness)),
    ];
    Gateway::new(&pool, TRANSCODED, &upstreams).spawn().await
}

/// An HTTP response: status and JSON body (`Null` when empty).
#[derive(Debug)]
struct Reply {
    status: u16,
    body: Value,
}

/// One HTTP/1.1 exchange with the gateway over a fresh connection.
async fn call(
    gateway: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Reply {
    let exchange = async {
        let stream = TcpStream::connect(gateway).await.unwrap();
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .unwrap();
        tokio::spawn(connection);
        let mut request = http::Request::builder()
            .method(method)
            .uri(path)
            .header(http::header::HOST, gateway.to_string());
        if let Some(token) = token {
            request = request.header(http::header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let payload = match body {
            Some(body) => {
                request = request.header(http::header::CONTENT_TYPE, "application/json");
                Bytes::from(body.to_string())
            }
            None => Bytes::new(),
        };
        let response = sender
            .send_request(request.body(Full::new(payload)).unwrap())
            .await
            .unwrap();
        let status = response.status().as_u16();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|_| {
                panic!(
                    "{method} {path}: not JSON: {}",
                    String::from_utf8_lossy(&bytes)
                )
            })
        };
        Reply { status, body }
    };
    tokio::time::timeout(CALL_TIMEOUT, exchange)
        .await
        .unwrap_or_else(|_| panic!("{method} {path} did not answer within {CALL_TIMEOUT:?}"))
}

fn ok(reply: Reply, what: &str) -> Value {
    assert_eq!(reply.status, 200, "{what}: {:#}", reply.body);
    reply.body
}

/// The `@type`d detail of a `google.rpc.Status` JSON body.
fn detail<'a>(status: &'a Value, type_name: &str) -> &'a Value {
    let url = format!("type.googleapis.com/{type_name}");
    status["details"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["@type"] == url.as_str())
        .unwrap_or_else(|| panic!("no {type_name} in {status:#}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_json_requests_reach_both_services_through_the_transcoder_and_the_descriptor_set() {
    let auth = TestAuth::spawn(Backend::Sqlite).await;
    let fitness = TestFitness::spawn(Backend::Sqlite, auth.url()).await;
    let (gateway, server) = spawn_gateway(auth.addr, fitness.addr).await;

    // body: "*": the whole JSON object is the request.
    let registered = ok(
        call(
            gateway,
            "POST",
            "/v1/auth/register",
            None,
            Some(json!({
                "username": "rest_user",
                "email": "rest_user@example.com",
                "password": PASSWORD,
                "first_name": "Rest",
            })),
        )
        .await,
        "register",
    );
    // Proto field names, default values printed, enums by name, as Envoy's print_options.
    assert_eq!(registered["user"]["username"], "rest_user");
    assert_eq!(registered["user"]["first_name"], "Rest");
    assert_eq!(registered["user"]["last_name"], "");
    assert_eq!(registered["user"]["role"], "ROLE_USER");
    assert_eq!(registered["tokens"]["token_type"], "Bearer");
    let token = registered["tokens"]["access_token"]
        .as_str()
        .expect("an access token")
        .to_owned();
    let token = Some(token.as_str());

    let me = ok(
        call(gateway, "GET", "/v1/users/me", token, None).await,
        "me",
    );
    assert_eq!(me["id"], registered["user"]["id"]);
    let anonymous = call(gateway, "GET", "/v1/users/me", None, None).await;
    assert_eq!(anonymous.status, 401, "{:#}", anonymous.body);
    assert_eq!(anonymous.body["code"], 16);

    // additional_bindings: GetJwks is also served at the well-known path.
    let jwks = ok(
        call(gateway, "GET", "/.well-known/jwks.json", None, None).await,
        "jwks",
    );
    assert_eq!(jwks["keys"][0]["alg"], "EdDSA");

    // JSON bodies take proto or lowerCamel names, like Envoy's parser.
    let strength = ok(
        call(
            gateway,
            "POST",
            "/v1/workouts",
            token,
            Some(json!({"workout": {
                "title": "Leg day",
                "date": "2025-01-15",
                "workout_type": "WORKOUT_TYPE_STRENGTH",
            }})),
        )
        .await,
        "create a strength workout",
    );
    let id = strength["id"].as_str().expect("a workout id").to_owned();
    assert_eq!(strength["title"], "Leg day");
    assert_eq!(strength["workout_type"], "WORKOUT_TYPE_STRENGTH");
    let cardio = ok(
        call(
            gateway,
            "POST",
            "/v1/workouts",
            token,
            Some(json!({"workout": {
                "title": "Intervals",
                "date": "2025-01-16",
                "workoutType": "WORKOUT_TYPE_CARDIO",
            }})),
        )
        .await,
        "create a cardio workout",
    );

    // Query parameters bind the fields of a GET request (enums by name).
    let listed = ok(
        call(
            gateway,
            "GET",
            "/v1/workouts?workout_type=WORKOUT_TYPE_STRENGTH",
            token,
            None,
        )
        .await,
        "list strength workouts",
    );
    let ids: Vec<&Value> = listed["workouts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| &w["id"])
        .collect();
    assert_eq!(ids, [&strength["id"]]);
    let all = ok(
        call(gateway, "GET", "/v1/workouts?page_size=10", token, None).await,
        "list",
    );
    assert_eq!(all["workouts"].as_array().unwrap().len(), 2);
    assert_eq!(all["workouts"][0]["id"], cardio["id"], "newest date first");
    let unknown = call(gateway, "GET", "/v1/workouts?colour=red", token, None).await;
    assert_eq!(unknown.status, 400, "{:#}", unknown.body);

    // A path variable plus a query parameter.
    let fetched = ok(
        call(
            gateway,
            "GET",
            &format!("/v1/workouts/{id}?include_exercises=true"),
            token,
            None,
        )
        .await,
        "get",
    );
    assert_eq!(fetched["workout"]["id"], id.as_str());
    assert_eq!(fetched["exercises"], json!([]));

    // A nested path variable ({workout.id}) with a named body ("workout").
    let renamed = ok(
        call(
            gateway,
            "PATCH",
            &format!("/v1/workouts/{id}"),
            token,
            Some(json!({"title": "Heavy leg day"})),
        )
        .await,
        "update",
    );
    assert_eq!(renamed["id"], id.as_str());
    assert_eq!(renamed["title"], "Heavy leg day");
    assert_eq!(renamed["workout_type"], "WORKOUT_TYPE_STRENGTH");

    // gRPC errors become HTTP statuses with the google.rpc.Status and its details as JSON.
    let invalid = call(
        gateway,
        "POST",
        "/v1/workouts",
        token,
        Some(json!({"workout": {
            "title": "",
            "date": "2025-01-17",
            "workout_type": "WORKOUT_TYPE_CARDIO",
        }})),
    )
    .await;
    assert_eq!(invalid.status, 400, "{:#}", invalid.body);
    assert_eq!(invalid.body["code"], 3);
    let info = detail(&invalid.body, "google.rpc.ErrorInfo");
    assert_eq!(info["reason"], "INVALID_ARGUMENT");
    assert_eq!(info["domain"], "stride.fitness");
    let violations = &detail(&invalid.body, "google.rpc.BadRequest")["field_violations"];
    assert!(
        violations
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["field"].as_str().unwrap().ends_with("title")),
        "{violations:#}"
    );

    // A custom verb after a path variable reaches its RPC: a plain user may not evaluate.
    let user_id = registered["user"]["id"].as_str().unwrap();
    let evaluate = call(
        gateway,
        "POST",
        &format!("/v1/stats/{user_id}:evaluate"),
        token,
        Some(json!({"evaluation": 90})),
    )
    .await;
    assert_eq!(evaluate.status, 403, "{:#}", evaluate.body);

    // DELETE with an Empty response, then the workout is gone.
    let deleted = ok(
        call(
            gateway,
            "DELETE",
            &format!("/v1/workouts/{id}"),
            token,
            None,
        )
        .await,
        "delete",
    );
    assert_eq!(deleted, json!({}));
    let missing = call(gateway, "GET", &format!("/v1/workouts/{id}"), token, None).await;
    assert_eq!(missing.status, 404, "{:#}", missing.body);
    assert_eq!(missing.body["code"], 5);

    // The service-to-service API is not transcoded: no HTTP route reaches it.
    for path in [
        "/stride.auth.v1.TokenIntrospectionService/IntrospectToken",
        "/v1/introspect",
    ] {
        let reply = call(gateway, "POST", path, None, Some(json!({"token": "x"}))).await;
        assert_eq!(reply.status, 404, "{path}: {:#}", reply.body);
    }

    server.abort();
    fitness.stop().await;
    auth.stop().await;
}
