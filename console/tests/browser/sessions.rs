//! The Sessions page in a real browser: every session with its token tree, revoking a session
//! or one token from it (after which fitness refuses the token), signing out every other
//! session, and a session revoked elsewhere signing the browser out at its next request.

use std::time::Duration;

use shared::pb::auth::v1::RevokeAllSessionsRequest;
use shared::pb::auth::v1::session_service_client::SessionServiceClient;
use shared::pb::fitness::v1::GetMyStatsRequest;
use shared::pb::fitness::v1::stats_service_client::StatsServiceClient;
use testkit::Backend;
use testkit::bearer::authorised;

use crate::harness::{PASSWORD, Stack, TestUser};
use crate::profile::refused_within;

/// How long fitness may take to learn of a revocation (it reads auth's feed).
const PROPAGATION: Duration = Duration::from_secs(5);

/// The card of session `id`.
fn card(id: &str) -> String {
    format!("#session-{id}")
}

/// Checks that fitness accepts `token` now.
async fn accepted(stack: &Stack, token: &str) {
    StatsServiceClient::new(authorised(stack.fitness_channel().await, token))
        .get_my_stats(GetMyStatsRequest {})
        .await
        .expect("fitness accepts the token of a live session");
}

/// The id of the browser's session: the card marked "This browser".
async fn browser_session(browser: &crate::harness::Browser, ada: &TestUser) -> String {
    let ids = browser
        .client
        .execute(
            "return Array.from(document.querySelectorAll('section.session'), s => s.id);",
            vec![],
        )
        .await
        .expect("the session cards are listed");
    let ids: Vec<String> = ids
        .as_array()
        .expect("an array")
        .iter()
        .filter_map(|v| v.as_str())
        .map(|id| id.trim_start_matches("session-").to_owned())
        .filter(|id| *id != ada.session_id)
        .collect();
    assert_eq!(
        ids.len(),
        1,
        "the register session and the browser's: {ids:?}"
    );
    ids.into_iter().next().unwrap_or_default()
}

async fn every_session_is_listed_with_its_tree(backend: Backend) {
    let stack = Stack::start(backend).await;
    let ada = stack.register("ada").await;
    let browser = stack.browser().await;
    browser.sign_in("ada", PASSWORD).await;
    browser.goto("/sessions").await;

    assert_eq!(browser.text("h1").await, "Sessions");
    let register = card(&ada.session_id);
    let heading = browser.text(&format!("{register} h2")).await;
    assert!(heading.starts_with("laptop"), "{heading}");
    assert!(heading.contains("active"), "{heading}");
    assert!(!heading.contains("This browser"), "{heading}");
    let own = card(&browser_session(&browser, &ada).await);
    let heading = browser.text(&format!("{own} h2")).await;
    assert!(heading.starts_with("Web console"), "{heading}");
    assert!(heading.contains("This browser"), "{heading}");
    let agent = browser
        .client
        .execute("return navigator.userAgent;", vec![])
        .await
        .expect("the user agent is read");
    let agent: String = agent
        .as_str()
        .unwrap_or_default()
        .chars()
        .take(60)
        .collect();
    assert!(!agent.is_empty());
    assert!(
        browser
            .text(&format!("{own} dl.facts"))
            .await
            .contains(&agent),
        "the browser's user agent is shown"
    );

    // The tree nests each access token under the refresh token that issued it.
    for session in [&register, &own] {
        let refresh = format!("{session} ul.tree > li.token.refresh");
        assert!(browser.exists(&refresh).await, "{refresh}");
        let access = format!("{refresh} > ul > li.token.access");
        assert!(browser.exists(&access).await, "{access}");
        assert!(
            browser
                .text(&format!("{refresh} > .badge"))
                .await
                .contains("active")
        );
    }
    browser.screenshot("sessions").await;
    stack.stop().await;
}

async fn revoking_a_session_stops_its_tokens(backend: Backend) {
    let stack = Stack::start(backend).await;
    let ada = stack.register("ada").await;
    accepted(&stack, &ada.access_token).await;
    let browser = stack.browser().await;
    browser.sign_in("ada", PASSWORD).await;
    browser.goto("/sessions").await;

    let register = card(&ada.session_id);
    browser
        .click(&format!(
            "{register} form[action=\"/sessions/{}/revoke\"] button",
            ada.session_id
        ))
        .await;

    assert_eq!(browser.path().await, "/sessions?done=session");
    assert!(
        browser
            .text(".notice.good")
            .await
            .starts_with("The session is revoked")
    );
    assert!(
        browser
            .text(&format!("{register} h2"))
            .await
            .contains("revoked")
    );
    assert!(
        !browser
            .exists(&format!("{register} form[action$=\"/revoke\"]"))
            .await,
        "a revoked session offers no revoke button"
    );
    refused_within(&stack, &ada.access_token, PROPAGATION).await;

    // This browser is still signed in.
    browser.goto("/").await;
    assert_eq!(browser.path().await, "/");
    stack.stop().await;
}

async fn revoking_one_token_and_every_other_session(backend: Backend) {
    let stack = Stack::start(backend).await;
    let ada = stack.register("ada").await;
    let browser = stack.browser().await;
    browser.sign_in("ada", PASSWORD).await;
    browser.goto("/sessions").await;

    // The register session has one access token: the one the test holds.
    let access = format!("{} li.token.access", card(&ada.session_id));
    let jti = browser
        .attr(&access, "data-jti")
        .await
        .expect("the access token has a jti");
    browser.click(&format!("{access} form button")).await;
    assert_eq!(browser.path().await, "/sessions?done=token");
    let revoked = format!("li.token.access[data-jti=\"{jti}\"]");
    assert!(browser.text(&revoked).await.contains("revoked"));
    assert!(!browser.exists(&format!("{revoked} form")).await);
    refused_within(&stack, &ada.access_token, PROPAGATION).await;

    // Signing out every other session ends the register session and keeps this browser.
    let other = stack.browser().await;
    other.sign_in("ada", PASSWORD).await;
    browser.goto("/sessions").await;
    browser
        .click("form[action=\"/sessions/revoke-others\"] button")
        .await;
    assert_eq!(browser.path().await, "/sessions?done=others");
    let register_heading = browser.text(&format!("{} h2", card(&ada.session_id))).await;
    assert!(register_heading.contains("revoked"), "{register_heading}");
    let active = browser
        .all_text("section.session h2")
        .await
        .into_iter()
        .filter(|heading| heading.contains("active"))
        .collect::<Vec<_>>();
    assert_eq!(active.len(), 1, "only this browser's session: {active:?}");
    assert!(active[0].contains("This browser"));

    other.goto("/").await;
    assert_eq!(
        other.path().await,
        "/login?ended=1",
        "the other browser is signed out"
    );
    stack.stop().await;
}

async fn a_session_revoked_elsewhere_signs_the_browser_out(backend: Backend) {
    let stack = Stack::start(backend).await;
    let ada = stack.register("ada").await;
    let browser = stack.browser().await;
    browser.sign_in("ada", PASSWORD).await;
    browser.goto("/sessions").await;

    let revoked =
        SessionServiceClient::new(authorised(stack.auth_channel().await, &ada.access_token))
            .revoke_all_sessions(RevokeAllSessionsRequest {
                keep_current: false,
            })
            .await
            .expect("RevokeAllSessions succeeds")
            .into_inner();
    assert_eq!(
        revoked.revoked_count, 2,
        "the register session and the browser's"
    );

    browser.goto("/sessions").await;
    assert_eq!(browser.path().await, "/login?ended=1");
    assert_eq!(
        browser.text(".notice.good").await,
        "Your session has ended. Sign in again."
    );
    stack.stop().await;
}

crate::browser_tests!(
    every_session_is_listed_with_its_tree,
    revoking_a_session_stops_its_tokens,
    revoking_one_token_and_every_other_session,
    a_session_revoked_elsewhere_signs_the_browser_out,
);
