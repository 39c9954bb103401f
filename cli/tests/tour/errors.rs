//! How the client fails: one line with the gRPC code and message, the invalid fields under it,
//! exit status 1; usage and configuration problems exit with 2.

use std::time::Duration;

use crate::stack::{STRIDE, Stack, clean_command, run_bounded};

const TIMEOUT: Duration = Duration::from_secs(60);

#[test]
fn server_errors_show_code_message_and_every_invalid_field() {
    let stack = Stack::start();
    let config = stack.dir().join("errors-config");
    let run = |args: &[&str]| {
        run_bounded(
            stack.client_command(STRIDE, &config).args(args),
            TIMEOUT,
            &stack.dir().join("errors"),
        )
    };
    let registered = run(&[
        "register",
        "--username",
        "eve",
        "--email",
        "eve@example.com",
        "--password",
        "plum-Kettle-93-orbit",
    ]);
    assert!(registered.status.success(), "{registered:?}");

    let invalid = run(&[
        "workouts",
        "create",
        "--title",
        "",
        "--date",
        "06/01/2025",
        "--type",
        "cardio",
    ]);
    let stderr = String::from_utf8_lossy(&invalid.stderr);
    assert_eq!(invalid.status.code(), Some(1), "{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert!(
        lines[0].starts_with("stride: INVALID_ARGUMENT: "),
        "{stderr}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("  workout.title: "))
            && lines.iter().any(|l| l.starts_with("  workout.date: ")),
        "{stderr}"
    );

    let forbidden = run(&["leaderboard"]);
    let stderr = String::from_utf8_lossy(&forbidden.stderr);
    assert_eq!(forbidden.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.starts_with("stride: PERMISSION_DENIED: "),
        "{stderr}"
    );

    let missing = run(&["workouts", "get", "01970000-0000-7000-8000-000000000000"]);
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert_eq!(missing.status.code(), Some(1), "{stderr}");
    assert!(stderr.starts_with("stride: NOT_FOUND: "), "{stderr}");
}

#[test]
fn a_command_without_credentials_says_how_to_sign_in() {
    let dir = tempfile::tempdir().unwrap();
    let output = run_bounded(
        clean_command(STRIDE)
            .args(["workouts", "list"])
            .env("STRIDE_CONFIG_DIR", dir.path())
            .stdin(std::process::Stdio::null()),
        TIMEOUT,
        &dir.path().join("out"),
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("stride login"), "{stderr}");
}

#[test]
fn login_without_a_password_or_a_terminal_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let output = run_bounded(
        clean_command(STRIDE)
            .args(["login", "ada"])
            .env("STRIDE_CONFIG_DIR", dir.path())
            .stdin(std::process::Stdio::null()),
        TIMEOUT,
        &dir.path().join("out"),
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("STRIDE_PASSWORD"), "{stderr}");
}

#[test]
fn an_unreachable_server_is_one_line_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    // Port 1 on loopback: nothing listens there.
    let output = run_bounded(
        clean_command(STRIDE)
            .args([
                "--auth",
                "http://127.0.0.1:1",
                "login",
                "ada",
                "--password",
                "x",
            ])
            .env("STRIDE_CONFIG_DIR", dir.path())
            .stdin(std::process::Stdio::null()),
        TIMEOUT,
        &dir.path().join("out"),
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("stride: cannot reach the auth service at http://127.0.0.1:1"),
        "{stderr}"
    );
}

#[test]
fn help_lists_the_client_commands() {
    let dir = tempfile::tempdir().unwrap();
    let output = run_bounded(
        clean_command(STRIDE).arg("--help"),
        TIMEOUT,
        &dir.path().join("out"),
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success());
    for command in [
        "dev",
        "serve",
        "admin",
        "register",
        "login",
        "logout",
        "sessions",
        "tree",
        "workouts",
        "exercises",
        "stats",
        "leaderboard",
        "evaluate",
    ] {
        assert!(
            stdout.contains(&format!("\n  {command} ")),
            "{command} missing from --help:\n{stdout}"
        );
    }
}
