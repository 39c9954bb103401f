//! Chromium and chromedriver: finding them, starting one chromedriver per browser on a free
//! port, opening a headless session through it, and stopping both.

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Once;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::WAIT;

/// The one line a skipped test prints.
const SKIPPED: &str =
    "skipped: install Chromium for the browser tests: apt-get install chromium chromium-driver";

/// Chromium's command line: headless, as root in a container, one size for every screenshot.
const CHROMIUM_ARGS: [&str; 5] = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--window-size=1280,900",
];

/// True when the browser tests can run: Chromium and chromedriver are installed. Without them
/// prints one line (once per test binary) and returns false, or panics when
/// `STRIDE_TEST_BROWSER=required`.
pub fn available() -> bool {
    shared::telemetry::init_for_tests();
    let missing: Vec<String> = [
        chromium().err().map(|why| format!("Chromium ({why})")),
        chromedriver()
            .err()
            .map(|why| format!("chromedriver ({why})")),
    ]
    .into_iter()
    .flatten()
    .collect();
    if missing.is_empty() {
        return true;
    }
    let required = std::env::var("STRIDE_TEST_BROWSER").is_ok_and(|v| v == "required");
    assert!(
        !required,
        "STRIDE_TEST_BROWSER=required but missing: {}",
        missing.join(", ")
    );
    static SAID: Once = Once::new();
    SAID.call_once(|| eprintln!("{SKIPPED}"));
    false
}

/// Chromium: `STRIDE_CHROMIUM`, else `/usr/bin/chromium`, else `chromium` on the `PATH`.
fn chromium() -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os("STRIDE_CHROMIUM") {
        return existing(PathBuf::from(path), "STRIDE_CHROMIUM");
    }
    let default = Path::new("/usr/bin/chromium");
    if default.is_file() {
        return Ok(default.to_owned());
    }
    on_path("chromium")
}

/// chromedriver: `STRIDE_CHROMEDRIVER`, else `chromedriver` on the `PATH`.
fn chromedriver() -> Result<PathBuf, String> {
    match std::env::var_os("STRIDE_CHROMEDRIVER") {
        Some(path) => existing(PathBuf::from(path), "STRIDE_CHROMEDRIVER"),
        None => on_path("chromedriver"),
    }
}

fn existing(path: PathBuf, var: &str) -> Result<PathBuf, String> {
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!("{var}={} does not exist", path.display()))
    }
}

fn on_path(name: &str) -> Result<PathBuf, String> {
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join(name))
        .find(|path| path.is_file())
        .ok_or_else(|| format!("no {name} on the PATH"))
}

/// A chromedriver process serving one session; dropping it quits Chromium and the driver.
pub struct Driver {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Driver {
    fn drop(&mut self) {
        // chromedriver's own shutdown quits its sessions (so Chromium exits too), then itself.
        let _ = http_get(self.addr, "/shutdown", Duration::from_secs(5));
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts chromedriver and opens a headless Chromium session through it.
pub async fn open() -> (fantoccini::Client, Driver) {
    let driver = start_driver().await;
    let url = format!("http://{}", driver.addr);
    let capabilities = json!({
        "browserName": "chrome",
        "pageLoadStrategy": "normal",
        // `data-confirm` forms ask through window.confirm: accepted, so submitting goes on.
        "unhandledPromptBehavior": "accept",
        "goog:chromeOptions": {
            "binary": chromium().unwrap_or_else(|why| panic!("Chromium: {why}")),
            "args": CHROMIUM_ARGS,
        },
    });
    let Value::Object(capabilities) = capabilities else {
        unreachable!("a JSON object")
    };
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let client = fantoccini::ClientBuilder::new(connector)
        .capabilities(capabilities)
        .connect(&url)
        .await
        .unwrap_or_else(|e| panic!("starting Chromium through chromedriver failed: {e}"));
    let timeouts =
        fantoccini::wd::TimeoutConfiguration::new(Some(WAIT), Some(WAIT), Some(Duration::ZERO));
    client
        .update_timeouts(timeouts)
        .await
        .unwrap_or_else(|e| panic!("setting the browser's timeouts failed: {e}"));
    (client, driver)
}

/// Starts chromedriver on a free port and waits until it reports ready. A port taken between
/// choosing it and chromedriver binding it is retried on another.
async fn start_driver() -> Driver {
    let binary = chromedriver().unwrap_or_else(|why| panic!("chromedriver: {why}"));
    let mut last = String::new();
    for _ in 0..3 {
        let addr = free_port();
        let child = Command::new(&binary)
            .arg(format!("--port={}", addr.port()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {} failed: {e}", binary.display()));
        let mut driver = Driver { child, addr };
        match wait_ready(&mut driver).await {
            Ok(()) => return driver,
            Err(why) => last = why,
        }
    }
    panic!("chromedriver did not start: {last}")
}

/// A loopback port nobody listens on right now.
fn free_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
    listener.local_addr().expect("the port's address")
}

/// Polls chromedriver's `/status` until it says it is ready (bounded by [`WAIT`]).
async fn wait_ready(driver: &mut Driver) -> Result<(), String> {
    let deadline = Instant::now() + WAIT;
    let url = format!("http://{}/status", driver.addr);
    loop {
        if let Ok(Some(status)) = driver.child.try_wait() {
            return Err(format!("chromedriver exited at start ({status})"));
        }
        if let Ok(reply) = super::http::request("GET", &url, &[], "").await
            && reply.status == 200
            && serde_json::from_str::<Value>(&reply.body)
                .is_ok_and(|status| status["value"]["ready"] == true)
        {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "{url} did not report ready within {} s",
                WAIT.as_secs()
            ));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A blocking GET (used when dropping, where nothing can be awaited).
fn http_get(addr: SocketAddr, path: &str, timeout: Duration) -> std::io::Result<()> {
    let mut stream = TcpStream::connect_timeout(&addr, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply)?;
    Ok(())
}
