//! Stored credentials are refreshed automatically, once, even by commands running at once.

use std::process::Output;
use std::time::Duration;

use crate::stack::{STRIDE, Stack, run_bounded};

const TIMEOUT: Duration = Duration::from_secs(60);

fn refresh_token(credentials: &std::path::Path) -> String {
    let text = std::fs::read_to_string(credentials).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    json["refresh_token"].as_str().unwrap().to_owned()
}

fn ok(output: &Output) -> String {
    assert!(
        output.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn an_access_token_about_to_expire_is_refreshed_and_the_new_pair_stored() {
    // Tokens that live less than the CLI's refresh margin: every command must refresh first.
    let stack = Stack::start_with(&[("STRIDE_ACCESS_TOKEN_TTL", "20s")]);
    let config = stack.dir().join("refresh-config");
    let credentials = config.join("credentials.json");
    let run = |name: &str, args: &[&str]| {
        run_bounded(
            stack.client_command(STRIDE, &config).args(args),
            TIMEOUT,
            &stack.dir().join(name),
        )
    };
    ok(&run(
        "register",
        &[
            "register",
            "--username",
            "rita",
            "--email",
            "rita@example.com",
            "--password",
            "plum-Kettle-93-orbit",
        ],
    ));
    let first = refresh_token(&credentials);

    ok(&run("me", &["me"]));
    let second = refresh_token(&credentials);
    assert_ne!(first, second, "`stride me` rotated the refresh token");

    // Several commands at once: the refresh lock lets exactly one of them present the
    // refresh token each time; a second presentation would be reuse and end the session.
    let children: Vec<_> = (0..4)
        .map(|i| {
            let config = config.clone();
            let command_dir = stack.dir().to_path_buf();
            let mut command = stack.client_command(STRIDE, &config);
            command.arg("stats");
            std::thread::spawn(move || {
                run_bounded(
                    &mut command,
                    TIMEOUT,
                    &command_dir.join(format!("stats-{i}")),
                )
            })
        })
        .collect();
    for child in children {
        ok(&child.join().unwrap());
    }
    let tree = ok(&run("tree", &["tree"]));
    assert!(tree.contains("ROTATED"), "{tree}");
    assert!(!tree.contains("REVOKED"), "no reuse was detected:\n{tree}");
    assert!(!config.join("credentials.lock").exists());
}
