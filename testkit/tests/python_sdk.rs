//! The generated Python SDK against the running stack: the client is generated from `proto/`
//! with grpcio-tools into a temporary directory (so it can never drift from the protos), and
//! `sdk/python/tests/test_flow.py` drives register → login → create workout → list → refresh →
//! revoke through it against auth and fitness started on port 0.
//!
//! Needs `python3` (or `STRIDE_PYTHON`) with `sdk/python/requirements.txt` installed. Without
//! them the test prints "skipping: …" and passes, unless `STRIDE_TEST_SDK=required` (as in CI),
//! where it fails instead.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::Duration;

use testkit::{Backend, TestAuth, TestFitness};
use tokio::process::Command;

/// Modules the generator and the flow script import (grpcio, grpcio-tools, protobuf,
/// googleapis-common-protos).
const IMPORT_CHECK: &str = "import grpc, grpc_tools.protoc, google.protobuf, \
                            google.api.annotations_pb2, google.rpc.status_pb2";
/// Bound on generating the SDK and on running the flow (which polls for at most 10 s itself).
const STEP_TIMEOUT: Duration = Duration::from_secs(120);

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("testkit lives in the workspace root")
        .to_path_buf()
}

/// The interpreter to use: `STRIDE_PYTHON` (e.g. a virtualenv's) or `python3` from `PATH`.
fn python() -> String {
    std::env::var("STRIDE_PYTHON")
        .ok()
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "python3".to_owned())
}

/// Runs `command` to completion within [`STEP_TIMEOUT`], capturing its output.
async fn run(command: &mut Command) -> std::io::Result<Output> {
    let child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    tokio::time::timeout(STEP_TIMEOUT, child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("{command:?} did not finish within {STEP_TIMEOUT:?}"))
}

fn describe(output: &Output) -> String {
    format!(
        "{}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Whether the SDK's Python requirements are importable; panics instead of skipping when
/// `STRIDE_TEST_SDK=required`.
async fn python_sdk_available(python: &str) -> bool {
    let required = std::env::var("STRIDE_TEST_SDK").is_ok_and(|v| v == "required");
    let reason = match run(Command::new(python).args(["-c", IMPORT_CHECK])).await {
        Ok(output) if output.status.success() => return true,
        Ok(output) => format!(
            "{python} lacks the SDK requirements (python3 -m pip install -r \
             sdk/python/requirements.txt): {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ),
        Err(error) => format!("cannot run {python}: {error}"),
    };
    assert!(!required, "STRIDE_TEST_SDK=required but {reason}");
    eprintln!("skipping: {reason}");
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_generated_python_client_registers_logs_in_creates_lists_refreshes_and_revokes() {
    let python = python();
    if !python_sdk_available(&python).await {
        return;
    }
    let root = repo_root();

    let generated = tempfile::tempdir().unwrap();
    let generate = run(Command::new("bash")
        .arg(root.join("sdk/python/generate.sh"))
        .arg(generated.path())
        .env("PYTHON", &python))
    .await
    .expect("run sdk/python/generate.sh");
    assert!(
        generate.status.success(),
        "generating the SDK failed: {}",
        describe(&generate)
    );

    let auth = TestAuth::spawn(Backend::Sqlite).await;
    let fitness = TestFitness::spawn(Backend::Sqlite, auth.url()).await;

    let flow = run(Command::new(&python)
        // No __pycache__ next to the script in the work tree.
        .arg("-B")
        .arg(root.join("sdk/python/tests/test_flow.py"))
        .env("PYTHONPATH", generated.path())
        .env("STRIDE_AUTH_ADDR", auth.addr.to_string())
        .env("STRIDE_FITNESS_ADDR", fitness.addr.to_string()))
    .await
    .expect("run sdk/python/tests/test_flow.py");
    assert!(
        flow.status.success(),
        "the Python SDK flow failed: {}",
        describe(&flow)
    );

    fitness.stop().await;
    auth.stop().await;
}
