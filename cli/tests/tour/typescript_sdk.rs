//! The TypeScript SDK (`sdk/typescript`) against `stride dev --gateway`: its dependencies
//! installed from the lock file, its code generated from `proto/` with buf (so it can never
//! drift from the protos), and `tests/flow.mjs` run through gRPC-Web and over HTTP/JSON,
//! the training RPCs (the catalogue, a workout's entries replaced with its etag) included.
//!
//! Needs `node` and `npm` (and Envoy for the gateway); without them the test prints
//! "skipping: …" and passes, unless `STRIDE_TEST_SDK=required` (as in CI).

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::stack::{Stack, run_bounded, tools_or_skip};

/// Bound on installing, generating and running the flow.
const STEP_TIMEOUT: Duration = Duration::from_secs(300);

fn node_available() -> bool {
    let install = "Debian: apt install nodejs npm";
    tools_or_skip(
        "STRIDE_TEST_SDK",
        &[
            ("node", "--version", install),
            ("npm", "--version", install),
        ],
    )
}

/// Runs `program args` in the SDK's directory and asserts it succeeded.
fn step(stack: &Stack, name: &str, program: &str, args: &[&str]) -> String {
    let sdk = Path::new(env!("CARGO_MANIFEST_DIR")).join("../sdk/typescript");
    let mut command = Command::new(program);
    command.args(args).current_dir(&sdk);
    let output = run_bounded(&mut command, STEP_TIMEOUT, &stack.dir().join(name));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{name} failed ({}):\n--- stdout ---\n{stdout}\n--- stderr ---\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr),
        stack.log()
    );
    stdout
}

#[test]
fn the_typescript_sdk_flow_runs_through_grpc_web_and_http_json() {
    if !node_available() || !crate::envoy::envoy_available() {
        return;
    }
    let stack = Stack::start_gateway(&[]);
    let gateway = format!("http://{}", stack.gateway.clone().unwrap_or_default());
    step(
        &stack,
        "npm-ci",
        "npm",
        &["ci", "--no-audit", "--no-fund", "--silent"],
    );
    step(&stack, "generate", "npm", &["run", "--silent", "generate"]);
    let out = step(&stack, "flow", "node", &["tests/flow.mjs", &gateway]);
    for line in [
        "grpc-web: registered",
        "http/json: registered",
        "grpc-web: listed the catalogue, replaced a workout's entries",
    ] {
        assert!(out.contains(line), "{line} in:\n{out}");
    }
}
