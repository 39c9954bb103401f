//! Real `stride serve auth|fitness` child processes: started with production settings (real
//! secrets, JSON logs), found by the address they log, stopped with a signal or killed, and
//! always killed when dropped (also when a test panics).

use std::fs::File;
use std::io::{BufRead as _, BufReader, Write as _};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use base64::Engine as _;

/// The binary under test.
pub const STRIDE: &str = env!("CARGO_BIN_EXE_stride");

/// How long a service may take to log its address.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// Secrets shared by the processes of one test, fresh per test.
#[derive(Debug, Clone)]
pub struct Secrets {
    service_key: String,
    master_key: String,
}

impl Secrets {
    /// 32 random bytes each, base64.
    pub fn new() -> Self {
        let key = || {
            let bytes: [u8; 32] = rand::random();
            base64::engine::general_purpose::STANDARD.encode(bytes)
        };
        Self {
            service_key: key(),
            master_key: key(),
        }
    }
}

/// Which service a process runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `stride serve auth`.
    Auth,
    /// `stride serve fitness`.
    Fitness,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Auth => "auth",
            Kind::Fitness => "fitness",
        }
    }
}

/// Which listener a log line announces.
enum Listener {
    Service,
    Metrics,
}

/// One running service process.
pub struct Process {
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its Prometheus endpoint, when `STRIDE_METRICS_ADDR` was set.
    pub metrics: Option<SocketAddr>,
    log: PathBuf,
    kind: Kind,
}

impl Process {
    /// Starts `kind` in `dir` with `settings` (on top of the secrets, JSON logs, cheap Argon2
    /// and port 0 unless `settings` names an address) and waits for its `listening` line.
    pub fn start(kind: Kind, dir: &Path, secrets: &Secrets, settings: &[(&str, String)]) -> Self {
        Self::try_start(kind, dir, secrets, settings).unwrap_or_else(|log| {
            panic!("{} did not start:\n{log}", kind.name());
        })
    }

    /// [`Process::start`], or the process's log when it exits (or stays silent) instead.
    pub fn try_start(
        kind: Kind,
        dir: &Path,
        secrets: &Secrets,
        settings: &[(&str, String)],
    ) -> Result<Self, String> {
        let n = std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0);
        let log = dir.join(format!("{}-{n}.log", kind.name()));
        let mut command = Command::new(STRIDE);
        for (var, _) in std::env::vars() {
            if var.starts_with("STRIDE_") {
                command.env_remove(var);
            }
        }
        let addr_var = match kind {
            Kind::Auth => "STRIDE_AUTH_ADDR",
            Kind::Fitness => "STRIDE_FITNESS_ADDR",
        };
        let mut child = command
            .args(["serve", kind.name()])
            .current_dir(dir)
            .env(addr_var, "127.0.0.1:0")
            .env("STRIDE_SERVICE_KEY", &secrets.service_key)
            .env("STRIDE_MASTER_KEY", &secrets.master_key)
            .env("STRIDE_ARGON2_MEMORY_KIB", "1024")
            .env("STRIDE_ARGON2_ITERATIONS", "1")
            .env("STRIDE_LOG_FORMAT", "json")
            .envs(settings.iter().map(|(k, v)| (*k, v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn stride serve");
        let (tx, rx) = mpsc::channel();
        let listening = format!("{} service listening", kind.name());
        for stream in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let mut out = File::options()
                .create(true)
                .append(true)
                .open(&log)
                .unwrap();
            let tx = tx.clone();
            let listening = listening.clone();
            // Keeps draining after the address so the process never blocks on a full pipe.
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    let _ = writeln!(out, "{line}");
                    let which = if line.contains(&listening) {
                        Listener::Service
                    } else if line.contains("metrics endpoint listening") {
                        Listener::Metrics
                    } else {
                        continue;
                    };
                    let json: serde_json::Value = serde_json::from_str(&line).unwrap();
                    if let Some(addr) = json["addr"].as_str().and_then(|a| a.parse().ok()) {
                        let _ = tx.send((which, addr));
                    }
                }
            });
        }
        drop(tx);
        let started = Instant::now();
        // The metrics endpoint, when on, starts before the service.
        let mut metrics = None;
        loop {
            match rx.recv_timeout(Duration::from_millis(100)) {
                Ok((Listener::Metrics, addr)) => metrics = Some(addr),
                Ok((Listener::Service, addr)) => {
                    return Ok(Self {
                        child,
                        addr,
                        metrics,
                        log,
                        kind,
                    });
                }
                Err(_) if started.elapsed() > START_TIMEOUT => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(read_log(&log));
                }
                Err(_) => {
                    if child.try_wait().unwrap().is_some() {
                        // Let the reader threads copy the last lines.
                        std::thread::sleep(Duration::from_millis(200));
                        return Err(read_log(&log));
                    }
                }
            }
        }
    }

    /// `http://<addr>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM, as an orchestrator stopping the process would.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill -TERM failed");
    }

    /// Kills the process at once (SIGKILL): no drain, no cleanup.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// Waits up to `timeout` for the process to exit; its status, or `None` if it is still
    /// running.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            if started.elapsed() > timeout {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// How long since the revocation feed last spoke to this fitness process, from its
    /// metrics (which must be on).
    pub async fn feed_silence(&self) -> f64 {
        let addr = self
            .metrics
            .expect("STRIDE_METRICS_ADDR is set")
            .to_string();
        let text = testkit::metrics::scrape(&addr).await;
        testkit::metrics::value(
            &testkit::metrics::samples(&text),
            "stride_revocation_feed_silence_seconds",
            &[],
        )
    }

    /// The process's output so far, for failure messages.
    pub fn log(&self) -> String {
        format!("--- {} log ---\n{}", self.kind.name(), read_log(&self.log))
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn read_log(path: &Path) -> String {
    let all = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = all.lines().collect();
    lines[lines.len().saturating_sub(60)..].join("\n")
}

/// A service's database for a test: a SQLite file in the test's directory, or a fresh
/// PostgreSQL database (on `STRIDE_TEST_POSTGRES_URL`) removed by [`Database::remove`].
pub struct Database {
    /// Its URL, for `STRIDE_<SERVICE>_DATABASE_URL`.
    pub url: String,
    postgres: Option<testkit::TestDb>,
}

impl Database {
    /// A database named for `service` on `backend`.
    pub async fn create(backend: testkit::Backend, dir: &Path, service: &str) -> Self {
        match backend {
            testkit::Backend::Sqlite => Self {
                url: format!("sqlite://{}", dir.join(format!("{service}.db")).display()),
                postgres: None,
            },
            testkit::Backend::Postgres => {
                let db = testkit::TestDb::create(service, backend).await;
                Self {
                    url: db.url().as_str().to_owned(),
                    postgres: Some(db),
                }
            }
        }
    }

    /// Drops a PostgreSQL database (the processes using it must be gone).
    pub async fn remove(self) {
        if let Some(db) = self.postgres {
            db.drop_now().await.unwrap();
        }
    }
}
