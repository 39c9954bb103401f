//! Bad configuration prints one clear line and exits non-zero.

use std::process::Command;

fn run_with(var: &str, value: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_stride-fitness"))
        .env(
            "STRIDE_FITNESS_DATABASE_URL",
            "sqlite://target/never-created/fitness.db",
        )
        .env(var, value)
        .output()
        .expect("run stride-fitness")
}

#[test]
fn a_bad_listen_address_exits_non_zero_with_one_line() {
    let out = run_with("STRIDE_FITNESS_ADDR", "localhost:http");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("STRIDE_FITNESS_ADDR"), "{stderr}");
}

#[test]
fn an_unparsable_database_url_exits_non_zero_with_one_line() {
    let out = run_with("STRIDE_FITNESS_DATABASE_URL", "postgres://");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("STRIDE_FITNESS_DATABASE_URL"), "{stderr}");
}

#[test]
fn an_unusable_auth_url_exits_non_zero_with_one_line() {
    let out = run_with("STRIDE_AUTH_URL", "not a url");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("STRIDE_AUTH_URL"), "{stderr}");
}
