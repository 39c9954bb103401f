//! The console as a backend-for-frontend, over plain HTTP against the real auth service: two
//! tabs that find the access token stale at once share one rotation, so reuse detection never
//! fires and the session survives.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use testkit::{Backend, TestAuth};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// One HTTP/1.1 request on a fresh connection; the whole response as text.
async fn http(addr: &str, request: String) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut response))
        .await
        .expect("the console answers within 30 s")
        .unwrap();
    String::from_utf8_lossy(&response).into_owned()
}

fn get(addr: &str, path: &str, cookie: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n")
}

fn post(addr: &str, path: &str, cookie: &str, body: &str) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    )
}

/// The `name=value` of a `Set-Cookie` for `name` in a response.
fn set_cookie(response: &str, name: &str) -> String {
    response
        .lines()
        .filter_map(|line| {
            let (header, value) = line.split_once(':')?;
            header
                .eq_ignore_ascii_case("set-cookie")
                .then(|| value.trim())
        })
        .find(|value| value.starts_with(&format!("{name}=")))
        .and_then(|value| value.split(';').next())
        .unwrap_or_else(|| panic!("no Set-Cookie {name} in:\n{response}"))
        .to_owned()
}

/// The value of the hidden `_csrf` field of a page.
fn csrf(page: &str) -> String {
    let at = page.find("name=\"_csrf\" value=\"").expect("a CSRF field") + 20;
    page[at..].split('"').next().unwrap().to_owned()
}

/// Signs `login` in through the sign-in form; the session cookie.
async fn sign_in(addr: &str, login: &str, password: &str) -> String {
    let form = http(addr, get(addr, "/login", "")).await;
    let presession = set_cookie(&form, "stride_presession");
    let body = format!(
        "_csrf={}&login={login}&password={}",
        csrf(&form),
        percent_encoding::utf8_percent_encode(password, percent_encoding::NON_ALPHANUMERIC)
    );
    let signed_in = http(addr, post(addr, "/login", &presession, &body)).await;
    assert!(signed_in.starts_with("HTTP/1.1 303"), "{signed_in}");
    set_cookie(&signed_in, "stride_session")
}

async fn count_events(auth: &TestAuth, event_type: &str) -> i64 {
    sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM security_events WHERE event_type = $1")
        .bind(event_type)
        .fetch_one(auth.db.pool())
        .await
        .unwrap()
}

async fn parallel_tabs_share_one_rotation_and_keep_the_session(backend: Backend) {
    let auth = TestAuth::spawn_with(backend, |config| {
        config.tokens.access_ttl = Duration::from_secs(4);
    })
    .await;
    let config = stride_console::Config::for_services(&auth.url(), "http://127.0.0.1:9");
    let console = stride_console::Console::build(config).await.unwrap();
    let addr = console.local_addr().to_string();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let served = tokio::spawn(console.run(async move {
        let _ = stopped.await;
    }));
    testkit::users::register(auth.channel().await, "tabs").await;
    let cookie = sign_in(&addr, "tabs", testkit::users::PASSWORD).await;
    let before = count_events(&auth, "TOKEN_REFRESHED").await;

    // The token is rotated a quarter of its lifetime before it expires: after 3.2 s every
    // request finds it stale, and eight tabs ask at once.
    tokio::time::sleep(Duration::from_millis(3200)).await;
    let tabs: Vec<_> = (0..8)
        .map(|_| tokio::spawn(http_owned(addr.clone(), get(&addr, "/", &cookie))))
        .collect();
    for tab in tabs {
        let page = tab.await.unwrap();
        assert!(
            !page.contains("location: /login") && !page.contains("Location: /login"),
            "a tab was signed out:\n{page}"
        );
    }
    assert_eq!(count_events(&auth, "REFRESH_TOKEN_REUSE").await, 0);
    assert_eq!(
        count_events(&auth, "TOKEN_REFRESHED").await - before,
        1,
        "eight stale tabs, one rotation"
    );
    let later = http(&addr, get(&addr, "/", &cookie)).await;
    assert!(
        !later.to_ascii_lowercase().contains("location: /login"),
        "{later}"
    );

    let _ = stop.send(());
    served.await.unwrap().unwrap();
    auth.stop().await;
}

/// Starts a console with `config` adjusted, in front of `auth` (fitness unused); its address
/// and the sender that stops it.
async fn console_for(
    auth: &TestAuth,
    adjust: impl FnOnce(&mut stride_console::Config),
) -> (String, tokio::sync::oneshot::Sender<()>) {
    let mut config = stride_console::Config::for_services(&auth.url(), "http://127.0.0.1:9");
    adjust(&mut config);
    let console = stride_console::Console::build(config).await.unwrap();
    let addr = console.local_addr().to_string();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(console.run(async move {
        let _ = stopped.await;
    }));
    (addr, stop)
}

/// The address auth recorded for the newest session of `username`.
async fn session_ip(auth: &TestAuth, username: &str) -> String {
    sqlx::query_scalar::<_, String>(
        "SELECT s.ip FROM sessions s JOIN users u ON u.id = s.user_id \
         WHERE u.username = $1 ORDER BY s.created_at DESC LIMIT 1",
    )
    .bind(username)
    .fetch_one(auth.db.pool())
    .await
    .unwrap()
}

/// Signs in with an `X-Forwarded-For` header the browser (or a proxy) sent.
async fn sign_in_forwarded(addr: &str, login: &str, forwarded_for: &str) {
    let form = http(addr, get(addr, "/login", "")).await;
    let presession = set_cookie(&form, "stride_presession");
    let body = format!(
        "_csrf={}&login={login}&password={}",
        csrf(&form),
        percent_encoding::utf8_percent_encode(
            testkit::users::PASSWORD,
            percent_encoding::NON_ALPHANUMERIC
        )
    );
    let request = post(addr, "/login", &presession, &body).replacen(
        "Cookie:",
        &format!("X-Forwarded-For: {forwarded_for}\r\nCookie:"),
        1,
    );
    let signed_in = http(addr, request).await;
    assert!(signed_in.starts_with("HTTP/1.1 303"), "{signed_in}");
}

async fn auth_sees_the_browser_only_through_a_trusted_proxy(backend: Backend) {
    // Auth believes the console (on loopback) about who the browser is.
    let auth = TestAuth::spawn_with(backend, |config| {
        config.trusted_proxies = shared::proxies::TrustedProxies::parse("127.0.0.1").unwrap();
    })
    .await;
    testkit::users::register(auth.channel().await, "direct").await;
    testkit::users::register(auth.channel().await, "proxied").await;

    // A console with no trusted proxy ignores what the browser claims.
    let (addr, stop) = console_for(&auth, |_| {}).await;
    sign_in_forwarded(&addr, "direct", "203.0.113.9").await;
    assert_eq!(session_ip(&auth, "direct").await, "127.0.0.1");
    let _ = stop.send(());

    // Behind a trusted proxy, the address the proxy names reaches auth; what the browser put
    // further left does not.
    let (addr, stop) = console_for(&auth, |config| {
        config.trusted_proxies = shared::proxies::TrustedProxies::parse("127.0.0.1").unwrap();
    })
    .await;
    sign_in_forwarded(&addr, "proxied", "6.6.6.6, 198.51.100.7").await;
    assert_eq!(session_ip(&auth, "proxied").await, "198.51.100.7");
    let _ = stop.send(());
    auth.stop().await;
}

async fn an_oversized_sign_in_form_is_refused_unread(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    let (addr, stop) = console_for(&auth, |_| {}).await;
    let body = format!("login=a&password={}", "x".repeat(100 * 1024));
    let refused = http(&addr, post(&addr, "/login", "", &body)).await;
    assert!(refused.starts_with("HTTP/1.1 400"), "{}", &refused[..200]);
    let events = count_events(&auth, "LOGIN_FAILED").await;
    assert_eq!(events, 0, "the form never reached auth");
    let _ = stop.send(());
    auth.stop().await;
}

async fn http_owned(addr: String, request: String) -> String {
    http(&addr, request).await
}

testkit::backend_tests!(
    parallel_tabs_share_one_rotation_and_keep_the_session,
    auth_sees_the_browser_only_through_a_trusted_proxy,
    an_oversized_sign_in_form_is_refused_unread,
);
