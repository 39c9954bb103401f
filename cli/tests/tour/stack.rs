//! A real stack: the `stride` binary running `stride dev` on port 0 in a temporary directory,
//! killed when the [`Stack`] is dropped (also when a test panics).

use std::fs::File;
use std::io::{BufRead as _, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The binary under test.
pub const STRIDE: &str = env!("CARGO_BIN_EXE_stride");

/// How long the stack may take to print its addresses.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// Bound on one tour script.
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(180);

/// Cheap Argon2 so registering and logging in do not dominate the test.
const CHEAP_HASHING: [(&str, &str); 2] = [
    ("STRIDE_ARGON2_MEMORY_KIB", "1024"),
    ("STRIDE_ARGON2_ITERATIONS", "1"),
];

/// A running `stride dev` and its working directory.
pub struct Stack {
    child: Child,
    dir: tempfile::TempDir,
    /// `host:port` of the auth service.
    pub auth: String,
    /// `host:port` of the fitness service.
    pub fitness: String,
    /// `host:port` of the web console.
    pub console: String,
    /// `host:port` of the gateway, when `stride dev --gateway` started one.
    pub gateway: Option<String>,
    /// `host:port` of the Prometheus endpoint (on a free port unless a test turns it off).
    pub metrics: Option<String>,
}

/// A command with no `STRIDE_*` variable inherited from the test's environment (so a
/// developer's settings or CI's cannot leak into the stack), plus cheap hashing.
pub fn clean_command(program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut command = Command::new(program);
    for (var, _) in std::env::vars() {
        if var.starts_with("STRIDE_") {
            command.env_remove(var);
        }
    }
    command.envs(CHEAP_HASHING);
    command
}

impl Stack {
    /// Starts `stride dev` with both services on port 0 and waits for its `listening` line.
    pub fn start() -> Stack {
        Self::start_with(&[])
    }

    /// [`Stack::start`] with extra settings for the services.
    pub fn start_with(settings: &[(&str, &str)]) -> Stack {
        Self::launch(&[], settings)
    }

    /// `stride dev --gateway` (Envoy on a free port) with extra settings.
    pub fn start_gateway(settings: &[(&str, &str)]) -> Stack {
        let mut all = vec![("STRIDE_GATEWAY_ADDR", "127.0.0.1:0")];
        all.extend_from_slice(settings);
        let stack = Self::launch(&["--gateway"], &all);
        assert!(
            stack.gateway.is_some(),
            "stride dev --gateway started no gateway:\n{}",
            stack.log()
        );
        stack
    }

    /// `stride dev` with `args` and extra settings.
    pub fn launch(args: &[&str], settings: &[(&str, &str)]) -> Stack {
        let dir = tempfile::tempdir().unwrap();
        let child = clean_command(STRIDE)
            .arg("dev")
            .args(args)
            .env("STRIDE_METRICS_ADDR", "127.0.0.1:0")
            .env("STRIDE_CONSOLE_ADDR", "127.0.0.1:0")
            .envs(settings.iter().copied())
            .current_dir(dir.path())
            .env("STRIDE_AUTH_ADDR", "127.0.0.1:0")
            .env("STRIDE_FITNESS_ADDR", "127.0.0.1:0")
            .env("STRIDE_LOG_FORMAT", "json")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(File::create(dir.path().join("stack.err")).unwrap())
            .spawn()
            .expect("start stride dev");
        let mut stack = Stack {
            child,
            dir,
            auth: String::new(),
            fitness: String::new(),
            console: String::new(),
            gateway: None,
            metrics: None,
        };
        let stdout = stack.child.stdout.take().unwrap();
        let mut log = File::create(stack.dir.path().join("stack.out")).unwrap();
        let (tx, rx) = mpsc::channel();
        // Keeps draining stdout after the addresses so the stack never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = writeln!(log, "{line}");
                if let Some(addresses) = line.strip_prefix("listening ") {
                    let _ = tx.send(addresses.to_owned());
                }
            }
        });
        let line = rx
            .recv_timeout(START_TIMEOUT)
            .unwrap_or_else(|_| panic!("stride dev printed no addresses:\n{}", stack.log()));
        let field = |name: &str| {
            line.split_whitespace()
                .find_map(|kv| kv.strip_prefix(&format!("{name}=")).map(str::to_owned))
                .unwrap_or_else(|| panic!("no {name}= in {line:?}"))
        };
        stack.auth = field("auth");
        stack.fitness = field("fitness");
        stack.console = field("console");
        stack.gateway = line
            .split_whitespace()
            .find_map(|kv| kv.strip_prefix("gateway=").map(str::to_owned));
        stack.metrics = line
            .split_whitespace()
            .find_map(|kv| kv.strip_prefix("metrics=").map(str::to_owned));
        stack
    }

    /// The process id of `stride dev` (both services run in it).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The stack's working directory (its `./data` is there).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The last lines of the stack's output, for failure messages.
    pub fn log(&self) -> String {
        let mut text = String::new();
        for name in ["stack.out", "stack.err"] {
            let all = std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default();
            let lines: Vec<&str> = all.lines().collect();
            let tail = lines[lines.len().saturating_sub(40)..].join("\n");
            text.push_str(&format!("--- {name} (tail) ---\n{tail}\n"));
        }
        text
    }

    /// A command that talks to this stack the way a person following the README would: in
    /// the stack's directory, `stride` first on `PATH`, the CLI pointed at the stack through
    /// `STRIDE_AUTH_URL`/`STRIDE_FITNESS_URL`, its credentials in `config_dir`, and
    /// `stride admin create` aimed at the stack's auth database.
    pub fn client_command(
        &self,
        program: impl AsRef<std::ffi::OsStr>,
        config_dir: &Path,
    ) -> Command {
        let bin_dir = Path::new(STRIDE).parent().unwrap();
        let path = std::env::var_os("PATH").unwrap_or_default();
        let mut paths = vec![bin_dir.to_path_buf()];
        paths.extend(std::env::split_paths(&path));
        let mut command = clean_command(program);
        command
            .current_dir(self.dir())
            .env("PATH", std::env::join_paths(paths).unwrap())
            .env("STRIDE_AUTH_URL", format!("http://{}", self.auth))
            .env("STRIDE_FITNESS_URL", format!("http://{}", self.fitness))
            .env("STRIDE_CONFIG_DIR", config_dir)
            .env(
                "STRIDE_AUTH_DATABASE_URL",
                format!("sqlite://{}", self.dir().join("data/auth.db").display()),
            )
            .stdin(Stdio::null());
        command
    }

    /// Runs `script` with bash under `set -euo pipefail` (each command traced), and panics
    /// with its output and the stack's log unless it succeeds.
    pub fn run_script(&self, name: &str, script: &str) -> Output {
        let path = self.dir().join(format!("{name}.sh"));
        std::fs::write(&path, format!("set -euo pipefail\nset -x\n{script}")).unwrap();
        let config_dir = self.dir().join(format!("{name}-config"));
        let output = run_bounded(
            self.client_command("bash", &config_dir).arg(&path),
            SCRIPT_TIMEOUT,
            &self.dir().join(name),
        );
        assert!(
            output.status.success(),
            "the {name} script failed ({}):\n--- stdout ---\n{}\n--- stderr ---\n{}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
            self.log()
        );
        output
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `command` to completion within `timeout` (killing it past that), its output captured
/// through files named after `stem` so a chatty child never blocks on a pipe.
pub fn run_bounded(command: &mut Command, timeout: Duration, stem: &Path) -> Output {
    let out_path = PathBuf::from(format!("{}.stdout", stem.display()));
    let err_path = PathBuf::from(format!("{}.stderr", stem.display()));
    let mut child = command
        .stdout(File::create(&out_path).unwrap())
        .stderr(File::create(&err_path).unwrap())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {command:?}: {e}"));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "{command:?} did not finish within {timeout:?}; stderr so far:\n{}",
                std::fs::read_to_string(&err_path).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Output {
        status,
        stdout: std::fs::read(&out_path).unwrap(),
        stderr: std::fs::read(&err_path).unwrap(),
    }
}

/// Whether `program --version`-style probing works; otherwise why not.
fn probe(program: &str, arg: &str) -> Result<String, String> {
    match Command::new(program).arg(arg).stdin(Stdio::null()).output() {
        Ok(out) if out.status.success() => Ok(format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
        .trim()
        .to_owned()),
        Ok(out) => Err(format!("`{program} {arg}` failed: {}", out.status)),
        Err(e) => Err(format!("cannot run {program}: {e}")),
    }
}

/// True when every `(program, version argument, how to install it)` of `tools` runs. Otherwise
/// prints "skipping: …" and returns false, or panics when the environment variable `switch` is
/// `required` (as CI sets it).
pub fn tools_or_skip(switch: &str, tools: &[(&str, &str, &str)]) -> bool {
    let missing: Vec<String> = tools
        .iter()
        .filter_map(|(program, arg, install)| {
            probe(program, arg)
                .err()
                .map(|e| format!("{e} ({install})"))
        })
        .collect();
    if missing.is_empty() {
        return true;
    }
    let reason = missing.join("; ");
    let required = std::env::var(switch).is_ok_and(|v| v == "required");
    assert!(!required, "{switch}=required but {reason}");
    eprintln!("skipping: {reason}");
    false
}
