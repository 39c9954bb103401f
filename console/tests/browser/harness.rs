//! The browser tests' harness.
//!
//! - [`Stack::start`] starts auth, fitness and the console in-process on fresh databases.
//! - [`Stack::browser`] opens a headless Chromium session driven through chromedriver.
//! - [`browser_tests!`] runs each `async fn(Backend)` once per backend, skipping with one line
//!   when Chromium is not installed (failing instead under `STRIDE_TEST_BROWSER=required`).
//!
//! Every wait is bounded by [`WAIT`] and fails with a message saying what it waited for.
//! Confirmation dialogs (`data-confirm` forms) are accepted automatically.

mod chrome;
mod http;

use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

use fantoccini::Locator;
use fantoccini::elements::Element;
use serde_json::Value;
use shared::pb::auth::v1::RegisterRequest;
use shared::pb::auth::v1::auth_service_client::AuthServiceClient;
use testkit::{Backend, TestAuth, TestFitness};
use tokio::sync::{OnceCell, Semaphore, SemaphorePermit, oneshot};
use tokio::task::JoinHandle;
use tonic::transport::Channel;

pub use chrome::available as browser_available;
pub use http::{Reply, request};

/// The longest any wait of the harness lasts (page loads, navigations, chromedriver start).
pub const WAIT: Duration = Duration::from_secs(20);

/// Tests driving browsers at once in this test binary (the machine has 2 cores). A test takes
/// one slot at its first [`Stack::browser`] and keeps it until its stack and browsers are gone,
/// so a test opening two browsers cannot deadlock against another doing the same.
static BROWSER_SLOTS: LazyLock<Semaphore> = LazyLock::new(|| Semaphore::new(2));

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
    // Declared in stopping order: the console, then fitness, then auth (dropping stops each).
    console: ConsoleTask,
    fitness: TestFitness,
    auth: TestAuth,
    slot: OnceCell<Arc<SemaphorePermit<'static>>>,
}

/// The console serving in a task; dropping it triggers its shutdown.
struct ConsoleTask {
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl Drop for ConsoleTask {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

impl Stack {
    /// Starts the three services on fresh databases of `backend`.
    pub async fn start(backend: Backend) -> Stack {
        Self::start_with(backend, |_| {}).await
    }

    /// [`start`](Self::start) after `adjust` has edited auth's test configuration (for example
    /// a low lockout threshold).
    pub async fn start_with(
        backend: Backend,
        adjust: impl FnOnce(&mut stride_auth::Config),
    ) -> Stack {
        let auth = TestAuth::spawn_with(backend, adjust).await;
        let fitness = TestFitness::spawn(backend, auth.url()).await;
        let fitness_url = format!("http://{}", fitness.addr);
        let config = stride_console::Config::for_services(&auth.url(), &fitness_url);
        let console = stride_console::Console::build(config)
            .await
            .expect("the console starts");
        let console_url = format!("http://{}", console.local_addr());
        let (tx, rx) = oneshot::channel();
        let task = tokio::spawn(console.run(async move {
            let _ = rx.await;
        }));
        Stack {
            backend,
            console_url,
            console: ConsoleTask {
                shutdown: Some(tx),
                task: Some(task),
            },
            fitness,
            auth,
            slot: OnceCell::new(),
        }
    }

    /// Stops the console, then fitness, then auth, each gracefully (dropping the stack stops
    /// them too, without waiting).
    pub async fn stop(self) {
        let Stack {
            mut console,
            fitness,
            auth,
            ..
        } = self;
        if let Some(tx) = console.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = console.task.take() {
            let done = tokio::time::timeout(WAIT, task)
                .await
                .expect("the console stops within 20 s");
            done.expect("the console task ends")
                .expect("the console stops cleanly");
        }
        fitness.stop().await;
        auth.stop().await;
    }

    /// Registers `username` (password [`PASSWORD`], email `<username>@example.com`).
    pub async fn register(&self, username: &str) -> TestUser {
        let request = RegisterRequest {
            password: PASSWORD.to_owned(),
            ..testkit::users::registration(username)
        };
        let response = AuthServiceClient::new(self.auth_channel().await)
            .register(request)
            .await
            .unwrap_or_else(|status| panic!("registering {username} failed: {status:?}"))
            .into_inner();
        let user = response.user.expect("Register returns the user");
        let tokens = response.tokens.expect("Register returns tokens");
        TestUser {
            id: user.id,
            username: user.username,
            email: user.email,
            password: PASSWORD.to_owned(),
            access_token: tokens.access_token,
            refresh_token: tokens.refresh_token,
            session_id: tokens.session_id,
        }
    }

    /// Gives a user a role ("user", "staff", "admin") directly in the auth database.
    pub async fn set_role(&self, user_id: &str, role: &str) {
        let stored = match role {
            "user" => "USER",
            "staff" => "STAFF",
            "admin" => "ADMIN",
            other => panic!("unknown role {other:?}: use \"user\", \"staff\" or \"admin\""),
        };
        let done = sqlx::query("UPDATE users SET role = $1 WHERE id = $2")
            .bind(stored)
            .bind(user_id)
            .execute(self.auth.db.pool())
            .await
            .expect("the role is updated");
        assert_eq!(done.rows_affected(), 1, "no user {user_id} to make {role}");
    }

    /// A channel to auth.
    pub async fn auth_channel(&self) -> Channel {
        self.auth.channel().await
    }

    /// A channel to fitness.
    pub async fn fitness_channel(&self) -> Channel {
        self.fitness.channel().await
    }

    /// A new headless browser session (its own cookies).
    pub async fn browser(&self) -> Browser {
        let slot = self
            .slot
            .get_or_init(|| async {
                let permit = BROWSER_SLOTS
                    .acquire()
                    .await
                    .expect("the browser slots are never closed");
                Arc::new(permit)
            })
            .await
            .clone();
        let (client, driver) = chrome::open().await;
        Browser {
            client,
            base: self.console_url.clone(),
            _driver: driver,
            _slot: slot,
        }
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
    // Dropped after the client: quits Chromium and stops chromedriver.
    _driver: chrome::Driver,
    _slot: Arc<SemaphorePermit<'static>>,
}

impl Browser {
    /// Opens `path` (e.g. "/sessions") on the console and waits for the page to load.
    pub async fn goto(&self, path: &str) {
        let url = format!("{}{path}", self.base);
        self.client
            .goto(&url)
            .await
            .unwrap_or_else(|e| panic!("opening {url} failed: {e}"));
        self.wait_until_loaded(path).await;
    }

    /// Signs in through the sign-in form and waits for the profile page.
    pub async fn sign_in(&self, login: &str, password: &str) {
        self.goto("/login").await;
        self.fill("#f-login", login).await;
        self.fill("#f-password", password).await;
        self.click("form[action=\"/login\"] button[type=\"submit\"]")
            .await;
        let path = self.path().await;
        if path != "/" {
            let notice = self.all_text(".notice").await.join(" ");
            panic!("signing in as {login} ended on {path} instead of /: {notice:?}");
        }
    }

    /// Types `value` into the element matching `css` (clearing it first).
    ///
    /// A `select` gets the option of that value (or label); date, time, number-like and color
    /// inputs get the value set directly (typing into them depends on the locale); a file
    /// input gets the path.
    pub async fn fill(&self, css: &str, value: &str) {
        let element = self.find(css).await;
        let kind = self
            .client
            .execute(
                "const e = arguments[0]; return e.tagName === 'INPUT' ? e.type : e.tagName;",
                vec![element_arg(&element)],
            )
            .await
            .unwrap_or_else(|e| panic!("reading the kind of {css} failed: {e}"));
        let kind = kind.as_str().unwrap_or_default().to_ascii_lowercase();
        let done = match kind.as_str() {
            "select" => match element.select_by_value(value).await {
                Ok(()) => Ok(()),
                Err(_) => element.select_by_label(value).await,
            },
            "date" | "time" | "datetime-local" | "month" | "week" | "color" | "range" => self
                .client
                .execute(
                    "const e = arguments[0]; e.value = arguments[1]; \
                     e.dispatchEvent(new Event('input', {bubbles: true})); \
                     e.dispatchEvent(new Event('change', {bubbles: true}));",
                    vec![element_arg(&element), Value::from(value)],
                )
                .await
                .map(drop),
            "file" => element.send_keys(value).await,
            _ => match element.clear().await {
                Ok(()) => element.send_keys(value).await,
                Err(e) => Err(e),
            },
        };
        done.unwrap_or_else(|e| panic!("filling {css} with {value:?} failed: {e}"));
    }

    /// Clicks the element matching `css` and waits for the next page when it navigates (a
    /// form's submit button, a link to another page).
    pub async fn click(&self, css: &str) {
        let element = self.find(css).await;
        let navigates = self
            .client
            .execute(NAVIGATES, vec![element_arg(&element)])
            .await
            .unwrap_or_else(|e| panic!("inspecting {css} failed: {e}"))
            .as_bool()
            .unwrap_or(false);
        if !navigates {
            element
                .click()
                .await
                .unwrap_or_else(|e| panic!("clicking {css} failed: {e}"));
            return;
        }
        let old = self.find("html").await;
        let from = self.path().await;
        element
            .click()
            .await
            .unwrap_or_else(|e| panic!("clicking {css} on {from} failed: {e}"));
        self.wait_for_stale(&old, css, &from).await;
        self.wait_until_loaded(&format!("the page after clicking {css} on {from}"))
            .await;
    }

    /// The visible text of the first element matching `css`.
    pub async fn text(&self, css: &str) -> String {
        let element = self.find(css).await;
        element
            .text()
            .await
            .unwrap_or_else(|e| panic!("reading the text of {css} failed: {e}"))
    }

    /// True when an element matches `css`.
    pub async fn exists(&self, css: &str) -> bool {
        !self.find_all(css).await.is_empty()
    }

    /// The path (and query) of the current page.
    pub async fn path(&self) -> String {
        let url = self
            .client
            .current_url()
            .await
            .unwrap_or_else(|e| panic!("reading the current URL failed: {e}"));
        match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        }
    }

    /// The page's source as the browser holds it.
    pub async fn source(&self) -> String {
        self.client
            .source()
            .await
            .unwrap_or_else(|e| panic!("reading the page source failed: {e}"))
    }

    /// A screenshot of the page: written to `docs/console/<name>.png` when
    /// `STRIDE_CONSOLE_SCREENSHOTS=write`, else to a temporary file (checked to be a PNG).
    pub async fn screenshot(&self, name: &str) {
        let png = self
            .client
            .screenshot()
            .await
            .unwrap_or_else(|e| panic!("taking screenshot {name} failed: {e}"));
        assert!(
            png.starts_with(b"\x89PNG\r\n\x1a\n"),
            "screenshot {name} is not a PNG"
        );
        let dir = if std::env::var("STRIDE_CONSOLE_SCREENSHOTS").is_ok_and(|v| v == "write") {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/console"))
        } else {
            std::env::temp_dir().join("stride-console-screenshots")
        };
        std::fs::create_dir_all(&dir)
            .unwrap_or_else(|e| panic!("creating {} failed: {e}", dir.display()));
        // Written beside, then renamed: both backends' runs may write the same name at once.
        let mut file = tempfile::NamedTempFile::new_in(&dir).expect("a temporary file");
        std::io::Write::write_all(&mut file, &png).expect("the screenshot is written");
        let readable = std::os::unix::fs::PermissionsExt::from_mode(0o644);
        file.as_file()
            .set_permissions(readable)
            .expect("the screenshot is made readable");
        let path = dir.join(format!("{name}.png"));
        file.persist(&path)
            .unwrap_or_else(|e| panic!("saving {} failed: {e}", path.display()));
    }

    // Optional helpers beyond the contract.

    /// The visible texts of every element matching `css`, in document order.
    pub async fn all_text(&self, css: &str) -> Vec<String> {
        let mut texts = Vec::new();
        for element in self.find_all(css).await {
            texts.push(
                element
                    .text()
                    .await
                    .unwrap_or_else(|e| panic!("reading the text of {css} failed: {e}")),
            );
        }
        texts
    }

    /// The current value of the form field matching `css`.
    pub async fn value(&self, css: &str) -> String {
        self.prop(css, "value").await.unwrap_or_default()
    }

    /// A DOM property of the first element matching `css` (`checked`, `value`, `href`…).
    pub async fn prop(&self, css: &str, name: &str) -> Option<String> {
        self.find(css)
            .await
            .prop(name)
            .await
            .unwrap_or_else(|e| panic!("reading {name} of {css} failed: {e}"))
    }

    /// An attribute of the first element matching `css`, as written in the HTML.
    pub async fn attr(&self, css: &str, name: &str) -> Option<String> {
        self.find(css)
            .await
            .attr(name)
            .await
            .unwrap_or_else(|e| panic!("reading attribute {name} of {css} failed: {e}"))
    }

    /// The browser's cookies for the console as a `Cookie` header value, for requests made
    /// outside the browser with [`request`].
    pub async fn cookie_header(&self) -> String {
        let cookies = self
            .client
            .get_all_cookies()
            .await
            .unwrap_or_else(|e| panic!("reading the cookies failed: {e}"));
        cookies
            .iter()
            .map(|c| format!("{}={}", c.name(), c.value()))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// The first element matching `css`; panics naming the page when there is none.
    pub async fn find(&self, css: &str) -> Element {
        match self.client.find(Locator::Css(css)).await {
            Ok(element) => element,
            Err(e) if e.is_no_such_element() => {
                let path = self.path().await;
                panic!("no element matches {css} on {path}")
            }
            Err(e) => panic!("finding {css} failed: {e}"),
        }
    }

    async fn find_all(&self, css: &str) -> Vec<Element> {
        self.client
            .find_all(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("finding {css} failed: {e}"))
    }

    /// Waits until `old` (the previous page's root) is gone, i.e. a new document replaced it.
    async fn wait_for_stale(&self, old: &Element, css: &str, from: &str) {
        let what = format!("a new page after clicking {css} on {from}");
        wait_until(&what, || async {
            match old.tag_name().await {
                Ok(_) => false,
                Err(e) if e.is_stale_element_reference() || e.is_no_such_element() => true,
                // A confirmation being accepted, a navigation under way: look again.
                Err(_) => false,
            }
        })
        .await;
    }

    /// Waits until the document has finished loading.
    async fn wait_until_loaded(&self, what: &str) {
        let what = format!("{what} to finish loading");
        wait_until(&what, || async {
            self.client
                .execute("return document.readyState;", vec![])
                .await
                .is_ok_and(|state| state == "complete")
        })
        .await;
    }
}

/// True when clicking the element leads to another document: a form's submit button or a
/// link to another page.
const NAVIGATES: &str = "const e = arguments[0]; \
    if (e.form && (e.type === 'submit' || e.type === 'image')) { return true; } \
    const a = e.closest('a[href]'); \
    return !!a && !a.getAttribute('href').startsWith('#') && a.target !== '_blank';";

/// An element as a script argument.
fn element_arg(element: &Element) -> Value {
    serde_json::to_value(element).expect("an element serializes")
}

/// Polls `ready` every 50 ms until it holds; panics after [`WAIT`] saying it waited for `what`.
pub async fn wait_until<F, Fut>(what: &str, mut ready: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + WAIT;
    loop {
        if ready().await {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "waited {} s for {what}",
            WAIT.as_secs()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Runs each named `async fn(Backend)` as `sqlite::<name>` and `postgres::<name>`, skipping
/// when Chromium is not installed.
#[macro_export]
macro_rules! browser_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if $crate::harness::browser_available() {
                        super::$name(::testkit::Backend::Sqlite).await
                    }
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if $crate::harness::browser_available() && ::testkit::postgres_available() {
                        super::$name(::testkit::Backend::Postgres).await
                    }
                }
            )*
        }
    };
}
