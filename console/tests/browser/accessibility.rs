//! Every main page is usable without a mouse and on a phone: one `h1`, the landmarks, a label
//! for every control, and no sideways scrolling at a phone's width.

use testkit::Backend;

use crate::harness::{Browser, PASSWORD, Stack};

/// The pages of a signed-in admin (who sees every section).
const PAGES: [&str; 9] = [
    "/",
    "/sessions",
    "/training",
    "/training/workouts/new",
    "/admin",
    "/admin/users",
    "/admin/events",
    "/admin/keys",
    "/leaderboard",
];

/// What a page's structure lacks, as sentences (empty when nothing).
const AUDIT: &str = r#"
const problems = [];
if (document.querySelectorAll("h1").length !== 1) problems.push("not exactly one h1");
for (const landmark of ["header", "nav", "main"]) {
  if (!document.querySelector(landmark)) problems.push("no " + landmark);
}
if (!document.documentElement.lang) problems.push("no lang");
for (const control of document.querySelectorAll("input, select, textarea")) {
  if (control.type === "hidden") continue;
  const labelled = (control.labels && control.labels.length > 0)
    || control.getAttribute("aria-label") || control.getAttribute("aria-labelledby");
  if (!labelled) problems.push("unlabelled " + control.tagName + " " + (control.name || control.id));
}
for (const button of document.querySelectorAll("button, a[href]")) {
  if (!button.textContent.trim() && !button.getAttribute("aria-label")) {
    problems.push("nameless " + button.tagName + " " + button.outerHTML.slice(0, 80));
  }
}
const scroller = document.scrollingElement;
if (scroller.scrollWidth > window.innerWidth + 1) {
  problems.push("scrolls sideways: " + scroller.scrollWidth + " > " + window.innerWidth);
}
return problems;
"#;

async fn audit(browser: &Browser, path: &str) -> Vec<String> {
    browser.goto(path).await;
    let found = browser
        .client
        .execute(AUDIT, vec![])
        .await
        .unwrap_or_else(|e| panic!("audit of {path}: {e}"));
    serde_json::from_value::<Vec<String>>(found).unwrap()
}

async fn every_page_has_landmarks_labels_and_fits_a_phone(backend: Backend) {
    let stack = Stack::start(backend).await;
    let admin = stack.register("root").await;
    stack.set_role(&admin.id, "admin").await;
    let browser = stack.browser().await;
    browser.sign_in("root", PASSWORD).await;

    let mut problems = Vec::new();
    for path in PAGES {
        for issue in audit(&browser, path).await {
            problems.push(format!("{path} (desktop): {issue}"));
        }
    }
    browser
        .client
        .set_window_size(390, 844)
        .await
        .expect("a phone-sized window");
    for path in PAGES {
        for issue in audit(&browser, path).await {
            problems.push(format!("{path} (phone): {issue}"));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");

    // The keyboard reaches the content first: the skip link is the first focusable element.
    browser.goto("/").await;
    let first = browser
        .client
        .execute(
            "document.body.focus(); const f = document.querySelector('a[href], button, input, select, textarea'); return f.getAttribute('href');",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(first, serde_json::json!("#main"));
}

crate::browser_tests!(every_page_has_landmarks_labels_and_fits_a_phone);
