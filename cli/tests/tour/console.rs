//! `stride dev` runs the web console beside the services and prints where it is.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::Duration;

use crate::stack::Stack;

/// One HTTP/1.1 GET on a fresh connection: the status line, headers and body as text.
fn get(addr: &str, path: &str) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

#[test]
fn the_dev_stack_serves_the_console_and_says_where() {
    let stack = Stack::start();
    assert!(
        stack
            .log()
            .contains(&format!("console  http://{}", stack.console)),
        "the banner names the console's URL:\n{}",
        stack.log()
    );
    let page = get(&stack.console, "/login");
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    assert!(page.contains("<h1>Sign in</h1>"), "{page}");
    assert!(page.contains("stride_presession="), "{page}");
    let profile = get(&stack.console, "/");
    assert!(profile.starts_with("HTTP/1.1 303"), "{profile}");
    assert!(
        profile.to_ascii_lowercase().contains("location: /login"),
        "{profile}"
    );
}

#[test]
fn serve_console_refuses_to_start_without_its_key_and_never_prints_one() {
    use crate::stack::{STRIDE, clean_command, run_bounded};

    let dir = tempfile::tempdir().unwrap();
    let missing = run_bounded(
        clean_command(STRIDE)
            .args(["serve", "console"])
            .env("STRIDE_CONSOLE_ADDR", "127.0.0.1:0"),
        Duration::from_secs(60),
        &dir.path().join("missing"),
    );
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert_eq!(missing.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("STRIDE_CONSOLE_KEY"), "{stderr}");
    assert!(stderr.contains("is required in production"), "{stderr}");

    let short = "c2hvcnQta2V5";
    let invalid = run_bounded(
        clean_command(STRIDE)
            .args(["serve", "console"])
            .env("STRIDE_CONSOLE_ADDR", "127.0.0.1:0")
            .env("STRIDE_CONSOLE_KEY", short),
        Duration::from_secs(60),
        &dir.path().join("short"),
    );
    let stderr = String::from_utf8_lossy(&invalid.stderr);
    assert_eq!(invalid.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("32 bytes"), "{stderr}");
    assert!(
        !stderr.contains(short),
        "the key is never printed: {stderr}"
    );
}
