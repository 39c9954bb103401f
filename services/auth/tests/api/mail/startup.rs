//! Mail settings that would leak secrets are refused before the service starts: one line on
//! stderr naming the variable, exit code 2, and no password in it.

use std::process::Command;

fn run_with(vars: &[(&str, &str)]) -> (Option<i32>, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_stride-auth"));
    command.env(
        "STRIDE_AUTH_DATABASE_URL",
        "sqlite://target/never-created/auth.db",
    );
    for (var, value) in vars {
        command.env(var, value);
    }
    let out = command.output().expect("run stride-auth");
    (out.status.code(), String::from_utf8(out.stderr).unwrap())
}

#[test]
fn plaintext_smtp_to_a_host_that_is_not_loopback_is_refused_at_startup() {
    for url in [
        "smtp://mail.example.com:25",
        "smtp://10.1.2.3:587",
        "smtp://mail.example.com:587?tls=opportunistic",
    ] {
        let (code, stderr) = run_with(&[("STRIDE_SMTP_URL", url)]);
        assert_eq!(code, Some(2), "{url}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains("STRIDE_SMTP_URL"), "{stderr}");
    }
}

#[test]
fn smtp_credentials_never_appear_in_a_startup_error() {
    let (code, stderr) = run_with(&[("STRIDE_SMTP_URL", "smtp://mailer:hunter2@mail.example.com")]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("STRIDE_SMTP_URL"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");

    let (code, stderr) = run_with(&[
        ("STRIDE_SMTP_URL", "smtp://mail.example.com"),
        ("STRIDE_SMTP_USERNAME", "mailer"),
        ("STRIDE_SMTP_PASSWORD", "hunter2"),
    ]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
}
