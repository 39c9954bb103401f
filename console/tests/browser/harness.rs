//! The browser tests' harness (contract; being built).
//!
//! - [`Stack::start`] starts auth, fitness and the console in-process on fresh databases.
//! - [`Stack::browser`] opens a headless Chromium session driven through chromedriver.
//! - [`browser_tests!`] runs each `async fn(Backend)` once per backend, skipping with one line
//!   when Chromium is not installed (failing instead under `STRIDE_TEST_BROWSER=required`).
#![allow(dead_code)]

use testkit::Backend;
use tonic::transport::Channel;

/// A user registered through the API.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: String,
    pub username: String,
    pub email: String,
    pub password: String,
    /// The tokens of the session `register` opened (not the browser's).
    pub access_token: String,
    pub refresh_token: String,
    pub session_id: String,
}

/// Auth, fitness and the console, in-process.
pub struct Stack {
    pub backend: Backend,
    /// `http://127.0.0.1:PORT` of the console.
    pub console_url: String,
}

impl Stack {
    /// Starts the three services on fresh databases of `backend`.
    pub async fn start(backend: Backend) -> Stack {
        let _ = backend;
        unimplemented!("harness being built")
    }

    /// Registers `username` (password [`PASSWORD`], email `<username>@example.com`).
    pub async fn register(&self, username: &str) -> TestUser {
        let _ = username;
        unimplemented!("harness being built")
    }

    /// Gives a user a role ("user", "staff", "admin") directly in the auth database.
    pub async fn set_role(&self, user_id: &str, role: &str) {
        let _ = (user_id, role);
        unimplemented!("harness being built")
    }

    /// A channel to auth.
    pub async fn auth_channel(&self) -> Channel {
        unimplemented!("harness being built")
    }

    /// A channel to fitness.
    pub async fn fitness_channel(&self) -> Channel {
        unimplemented!("harness being built")
    }

    /// A new headless browser session (its own cookies).
    pub async fn browser(&self) -> Browser {
        unimplemented!("harness being built")
    }
}

/// The password of every [`Stack::register`]ed user.
pub const PASSWORD: &str = "correct horse battery staple 42";

/// One browser session, closed when dropped.
pub struct Browser {
    /// The WebDriver client, for anything the helpers below do not cover.
    pub client: fantoccini::Client,
    /// The console's base URL.
    pub base: String,
}

impl Browser {
    /// Opens `path` (e.g. "/sessions") on the console and waits for the page to load.
    pub async fn goto(&self, path: &str) {
        let _ = path;
        unimplemented!("harness being built")
    }

    /// Signs in through the sign-in form and waits for the profile page.
    pub async fn sign_in(&self, login: &str, password: &str) {
        let _ = (login, password);
        unimplemented!("harness being built")
    }

    /// Types `value` into the element matching `css` (clearing it first).
    pub async fn fill(&self, css: &str, value: &str) {
        let _ = (css, value);
        unimplemented!("harness being built")
    }

    /// Clicks the element matching `css` and waits for the next page when it navigates.
    pub async fn click(&self, css: &str) {
        let _ = css;
        unimplemented!("harness being built")
    }

    /// The visible text of the first element matching `css`.
    pub async fn text(&self, css: &str) -> String {
        let _ = css;
        unimplemented!("harness being built")
    }

    /// True when an element matches `css`.
    pub async fn exists(&self, css: &str) -> bool {
        let _ = css;
        unimplemented!("harness being built")
    }

    /// The path (and query) of the current page.
    pub async fn path(&self) -> String {
        unimplemented!("harness being built")
    }

    /// The page's source as the browser holds it.
    pub async fn source(&self) -> String {
        unimplemented!("harness being built")
    }

    /// A screenshot of the page: written to `docs/console/<name>.png` when
    /// `STRIDE_CONSOLE_SCREENSHOTS=write`, else to a temporary file (checked to be a PNG).
    pub async fn screenshot(&self, name: &str) {
        let _ = name;
        unimplemented!("harness being built")
    }
}

/// Runs each named `async fn(Backend)` as `sqlite::<name>` and `postgres::<name>`, skipping
/// when Chromium is not installed.
#[macro_export]
macro_rules! browser_tests {
    ($($name:ident),* $(,)?) => {};
}
