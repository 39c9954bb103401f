//! What protects the console in a browser: the CSRF tokens (of a session and of the sign-in
//! form before one exists), the security headers of every page, and the role check of the
//! admin site. Requests a page would never send go through a plain HTTP client carrying the
//! browser's cookies.

use testkit::Backend;

use crate::harness::{Browser, PASSWORD, Reply, Stack, request};

/// The header's sign-out button.
const SIGN_OUT: &str = "form[action=\"/logout\"] button[type=\"submit\"]";

/// A POST of `body` to `path` of the console with `headers`.
async fn post(browser: &Browser, path: &str, headers: &[(&str, &str)], body: &str) -> Reply {
    let url = format!("{}{path}", browser.base);
    request("POST", &url, headers, body)
        .await
        .unwrap_or_else(|e| panic!("POST {path}: {e}"))
}

/// A GET of `path` with the browser's cookies.
async fn get_as(browser: &Browser, path: &str) -> Reply {
    let url = format!("{}{path}", browser.base);
    let cookies = browser.cookie_header().await;
    request("GET", &url, &[("cookie", &cookies)], "")
        .await
        .unwrap_or_else(|e| panic!("GET {path}: {e}"))
}

/// True when `reply` sets the session cookie (a sign-in happened).
fn opens_a_session(reply: &Reply) -> bool {
    reply.headers.get_all("set-cookie").iter().any(|v| {
        v.to_str()
            .is_ok_and(|v| v.starts_with("stride_session=") && !v.contains("Max-Age=0"))
    })
}

async fn a_post_without_the_session_token_is_refused(backend: Backend) {
    let stack = Stack::start(backend).await;
    stack.register("ada").await;
    let browser = stack.browser().await;
    browser.sign_in("ada", PASSWORD).await;
    let cookies = browser.cookie_header().await;
    let token = browser
        .attr("form[action=\"/logout\"] input[name=\"_csrf\"]", "value")
        .await
        .expect("the sign-out form carries the session's token");

    for body in ["", "_csrf=", "_csrf=forged-token"] {
        let reply = post(&browser, "/logout", &[("cookie", &cookies)], body).await;
        assert_eq!(reply.status, 403, "POST /logout with {body:?}");
        assert!(reply.body.contains("Form expired"), "{}", reply.body);
    }
    // Another site's form, even carrying the right token, is refused by its origin.
    let cross_site = [
        ("cookie", cookies.as_str()),
        ("sec-fetch-site", "cross-site"),
    ];
    let body = format!("_csrf={token}");
    let reply = post(&browser, "/logout", &cross_site, &body).await;
    assert_eq!(reply.status, 403, "a cross-site POST");

    browser.goto("/").await;
    assert_eq!(browser.path().await, "/", "still signed in");
    assert_eq!(browser.text(".who-name").await, "ada");

    // The same request with the token is honoured: the refusals above were the token's.
    let reply = post(&browser, "/logout", &[("cookie", &cookies)], &body).await;
    assert_eq!(reply.status, 303, "{}", reply.body);
    assert_eq!(reply.header("location"), "/login?signed_out=1");
    browser.goto("/").await;
    assert_eq!(browser.path().await, "/login", "signed out now");
}

async fn a_forged_sign_in_is_refused(backend: Backend) {
    let stack = Stack::start(backend).await;
    stack.register("ada").await;
    let browser = stack.browser().await;
    browser.goto("/login").await;
    let presession = browser.cookie_header().await;
    assert!(
        presession.contains("stride_presession="),
        "the sign-in form sets its pre-session cookie: {presession:?}"
    );
    let token = browser
        .attr("form[action=\"/login\"] input[name=\"_csrf\"]", "value")
        .await
        .expect("the sign-in form carries a token");
    let credentials = format!("login=ada&password={}", PASSWORD.replace(' ', "+"));
    let with_token = format!("_csrf={token}&{credentials}");

    let forgeries = [
        ("no cookie, no token", vec![], credentials.clone()),
        ("no cookie", vec![], with_token.clone()),
        (
            "no token",
            vec![("cookie", presession.as_str())],
            credentials.clone(),
        ),
        (
            "a wrong token",
            vec![("cookie", presession.as_str())],
            format!("_csrf=forged&{credentials}"),
        ),
        (
            "from another site",
            vec![
                ("cookie", presession.as_str()),
                ("sec-fetch-site", "cross-site"),
            ],
            with_token.clone(),
        ),
    ];
    for (what, headers, body) in &forgeries {
        let reply = post(&browser, "/login", headers, body).await;
        assert_eq!(reply.status, 403, "a sign-in with {what}");
        assert!(
            !opens_a_session(&reply),
            "a sign-in with {what} opened a session"
        );
    }

    // The browser's own cookie and token sign in: the refusals above were the forgeries'.
    let reply = post(&browser, "/login", &[("cookie", &presession)], &with_token).await;
    assert_eq!(reply.status, 303, "{}", reply.body);
    assert_eq!(reply.header("location"), "/");
    assert!(opens_a_session(&reply));
}

async fn pages_carry_the_security_headers(backend: Backend) {
    let stack = Stack::start(backend).await;
    stack.register("ada").await;
    let browser = stack.browser().await;
    browser.sign_in("ada", PASSWORD).await;

    let anonymous = request("GET", &format!("{}/login", browser.base), &[], "")
        .await
        .expect("GET /login");
    assert_eq!(anonymous.status, 200);
    let profile = get_as(&browser, "/").await;
    assert_eq!(profile.status, 200, "the signed-in profile page");
    for (path, reply) in [("/login", &anonymous), ("/", &profile)] {
        let csp = reply.header("content-security-policy");
        assert!(csp.contains("default-src 'none'"), "{path}: {csp}");
        assert!(csp.contains("script-src 'self'"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-eval"), "{path}: {csp}");
        assert_eq!(reply.header("x-frame-options"), "DENY", "{path}");
        assert_eq!(reply.header("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(reply.header("cache-control"), "no-store", "{path}");
    }

    // The browser obeys the policy: the page has no inline script or style for it to block.
    let source = browser.source().await;
    assert!(!source.contains("<script>"), "an inline script");
    assert!(!source.contains("style=\""), "an inline style");
    browser.click(SIGN_OUT).await;
    assert_eq!(browser.path().await, "/login?signed_out=1");
}

async fn a_plain_user_is_kept_out_of_the_admin_site(backend: Backend) {
    let stack = Stack::start(backend).await;
    stack.register("ada").await;
    let browser = stack.browser().await;
    browser.sign_in("ada", PASSWORD).await;

    for path in ["/admin", "/admin/users"] {
        let reply = get_as(&browser, path).await;
        assert_eq!(reply.status, 403, "GET {path} as a plain user");
        browser.goto(path).await;
        assert_eq!(browser.path().await, path);
        assert_eq!(browser.text("h1").await, "Not allowed", "{path}");
    }
    // Still signed in: being refused a page ends nothing.
    browser.goto("/").await;
    assert_eq!(browser.text(".who-name").await, "ada");
}

browser_tests!(
    a_post_without_the_session_token_is_refused,
    a_forged_sign_in_is_refused,
    pages_carry_the_security_headers,
    a_plain_user_is_kept_out_of_the_admin_site,
);
