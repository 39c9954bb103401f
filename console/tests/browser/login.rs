//! Signing in and out in a real browser: the right password lands on the profile page, a wrong
//! one keeps the form, a locked account says when to retry, signing out ends the session, and
//! the session cookie is HttpOnly, SameSite=Strict and holds no token.

use testkit::Backend;

use crate::harness::{PASSWORD, Stack};

/// The sign-in form's submit button.
const SUBMIT: &str = "form[action=\"/login\"] button[type=\"submit\"]";
/// The header's sign-out button.
const SIGN_OUT: &str = "form[action=\"/logout\"] button[type=\"submit\"]";

async fn signing_in_lands_on_the_profile_page(backend: Backend) {
    let stack = Stack::start(backend).await;
    let user = stack.register("ada").await;
    let browser = stack.browser().await;

    browser.goto("/").await;
    assert_eq!(
        browser.path().await,
        "/login",
        "a signed-out browser is sent to sign in"
    );
    assert_eq!(browser.text("h1").await, "Sign in");
    // Both backends render the same page: one writes the picture.
    if stack.backend == Backend::Sqlite {
        browser.screenshot("login").await;
    }

    browser.fill("#f-login", &user.username).await;
    browser.fill("#f-password", &user.password).await;
    browser.click(SUBMIT).await;
    assert_eq!(browser.path().await, "/");
    assert_eq!(browser.text(".who-name").await, "ada");

    // The email address signs in too.
    let other = stack.browser().await;
    other.sign_in(&user.email, &user.password).await;
    assert_eq!(other.text(".who-name").await, "ada");
}

async fn a_wrong_password_keeps_the_form(backend: Backend) {
    let stack = Stack::start(backend).await;
    stack.register("ada").await;
    let browser = stack.browser().await;

    browser.goto("/login").await;
    browser.fill("#f-login", "ada").await;
    browser.fill("#f-password", "not the password at all").await;
    browser.click(SUBMIT).await;

    assert_eq!(browser.path().await, "/login");
    assert_eq!(
        browser.text(".notice.bad").await,
        "Wrong username or password."
    );
    assert_eq!(browser.value("#f-login").await, "ada", "the login is kept");
    assert_eq!(
        browser.value("#f-password").await,
        "",
        "the password is never sent back"
    );
    assert!(!browser.exists(".who-name").await, "not signed in");
    assert!(
        !browser.source().await.contains("not the password at all"),
        "the wrong password is nowhere in the page"
    );

    // The same form, with the right password, still works.
    browser.fill("#f-password", PASSWORD).await;
    browser.click(SUBMIT).await;
    assert_eq!(browser.path().await, "/");
    assert_eq!(browser.text(".who-name").await, "ada");
}

async fn a_locked_account_says_when_to_retry(backend: Backend) {
    const THRESHOLD: u32 = 3;
    let stack = Stack::start_with(backend, |auth| auth.lockout.threshold = THRESHOLD).await;
    stack.register("ada").await;
    let browser = stack.browser().await;

    browser.goto("/login").await;
    for attempt in 1..=THRESHOLD {
        browser.fill("#f-login", "ada").await;
        browser
            .fill("#f-password", &format!("wrong guess number {attempt}"))
            .await;
        browser.click(SUBMIT).await;
        assert_eq!(browser.path().await, "/login");
        assert!(browser.exists(".notice.bad").await, "attempt {attempt}");
    }

    // Locked now: even the right password is refused, with the time to wait.
    browser.fill("#f-login", "ada").await;
    browser.fill("#f-password", PASSWORD).await;
    browser.click(SUBMIT).await;
    assert_eq!(browser.path().await, "/login");
    let notice = browser.text(".notice.bad").await;
    assert!(
        notice.starts_with("This account is locked after too many failed sign-ins."),
        "{notice}"
    );
    assert!(notice.contains("Try again in"), "{notice}");
    assert!(!browser.exists(".who-name").await, "not signed in");
}

async fn signing_out_ends_the_session(backend: Backend) {
    let stack = Stack::start(backend).await;
    stack.register("ada").await;
    let browser = stack.browser().await;
    browser.sign_in("ada", PASSWORD).await;

    browser.click(SIGN_OUT).await;
    assert_eq!(browser.path().await, "/login?signed_out=1");
    assert_eq!(browser.text(".notice.good").await, "You are signed out.");

    browser.goto("/").await;
    assert_eq!(
        browser.path().await,
        "/login",
        "the profile needs signing in again"
    );
    assert!(!browser.exists(".who-name").await);
}

async fn the_session_cookie_is_http_only_strict_and_holds_no_token(backend: Backend) {
    let stack = Stack::start(backend).await;
    let user = stack.register("ada").await;
    let browser = stack.browser().await;
    browser.sign_in("ada", PASSWORD).await;

    let cookies = browser.client.get_all_cookies().await.expect("the cookies");
    let session = cookies
        .iter()
        .find(|c| c.name() == "stride_session")
        .unwrap_or_else(|| panic!("no session cookie among {cookies:?}"));
    assert_eq!(session.http_only(), Some(true), "{session:?}");
    assert_eq!(
        session.same_site().map(|s| s.to_string()).as_deref(),
        Some("Strict"),
        "{session:?}"
    );
    assert_eq!(session.path(), Some("/"), "{session:?}");
    // A sealed 32-byte id: far shorter than any token, and no JWT (whose parts start `eyJ`).
    assert!(
        session.value().len() < 120,
        "the cookie holds more than an id: {} characters",
        session.value().len()
    );

    let document_cookie = browser
        .client
        .execute("return document.cookie;", vec![])
        .await
        .expect("document.cookie");
    let document_cookie = document_cookie.as_str().unwrap_or_default().to_owned();
    assert!(
        !document_cookie.contains("stride_session"),
        "scripts cannot read the session cookie: {document_cookie:?}"
    );
    let source = browser.source().await;
    let cookie_header = browser.cookie_header().await;
    for (place, text) in [
        ("document.cookie", document_cookie.as_str()),
        ("the cookies", cookie_header.as_str()),
        ("the page", source.as_str()),
    ] {
        assert!(!text.contains(".eyJ"), "a JWT in {place}");
        assert!(!text.contains(&user.access_token), "a token in {place}");
        assert!(!text.contains(&user.refresh_token), "a token in {place}");
    }
}

browser_tests!(
    signing_in_lands_on_the_profile_page,
    a_wrong_password_keeps_the_form,
    a_locked_account_says_when_to_retry,
    signing_out_ends_the_session,
    the_session_cookie_is_http_only_strict_and_holds_no_token,
);
