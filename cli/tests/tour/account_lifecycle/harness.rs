//! The stack on one backend, and a person running `stride` against it.

use std::path::PathBuf;
use std::process::Output;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use testkit::{Backend, TestDb};

use crate::envoy::runtime;
use crate::stack::{STRIDE, Stack, run_bounded};

/// The password every account here starts with.
pub(super) const PASSWORD: &str = "plum-Kettle-93-orbit";
/// Bound on one `stride` command.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

/// Numbers the output files of the commands run, so none overwrites another's.
static COMMANDS: AtomicU32 = AtomicU32::new(0);

/// A fresh `stride dev` on one backend.
pub(super) struct Lab {
    /// The running `stride dev`.
    pub(super) stack: Stack,
    /// The auth database on PostgreSQL, for `stride admin` (which otherwise finds the stack's
    /// SQLite file).
    auth_database: Option<String>,
    /// The PostgreSQL databases, dropped after the stack (fields drop in order).
    _databases: Vec<TestDb>,
}

impl Lab {
    /// The stack on `backend`; `None` (the test skips) when PostgreSQL is not configured and
    /// not required.
    pub(super) fn start(backend: Backend) -> Option<Lab> {
        match backend {
            Backend::Sqlite => Some(Lab {
                stack: Stack::start(),
                auth_database: None,
                _databases: Vec::new(),
            }),
            Backend::Postgres => {
                let runtime = runtime();
                if !runtime.block_on(async { testkit::postgres_available() }) {
                    return None;
                }
                let (auth, fitness) = runtime.block_on(async {
                    (
                        TestDb::create("auth", Backend::Postgres).await,
                        TestDb::create("fitness", Backend::Postgres).await,
                    )
                });
                let stack = Stack::start_with(&[
                    ("STRIDE_AUTH_DATABASE_URL", auth.url().as_str()),
                    ("STRIDE_FITNESS_DATABASE_URL", fitness.url().as_str()),
                ]);
                Some(Lab {
                    stack,
                    auth_database: Some(auth.url().as_str().to_owned()),
                    _databases: vec![auth, fitness],
                })
            }
        }
    }
}

/// Someone using the CLI: their own config directory (so their own credentials) and password.
#[derive(Clone, Copy)]
pub(super) struct Person<'a> {
    lab: &'a Lab,
    stack: &'a Stack,
    name: &'static str,
    password: &'a str,
}

impl<'a> Person<'a> {
    pub(super) fn new(lab: &'a Lab, name: &'static str) -> Self {
        Person {
            lab,
            stack: &lab.stack,
            name,
            password: PASSWORD,
        }
    }

    /// The same person, with `STRIDE_PASSWORD` set to `password`.
    pub(super) fn with_password(self, password: &'a str) -> Self {
        Person { password, ..self }
    }

    pub(super) fn config_dir(&self) -> PathBuf {
        self.stack.dir().join(format!("{}-config", self.name))
    }

    pub(super) fn credentials(&self) -> PathBuf {
        self.config_dir().join("credentials.json")
    }

    /// Runs `stride args` as this person, stdin not a terminal.
    pub(super) fn run(&self, args: &[&str]) -> Output {
        let n = COMMANDS.fetch_add(1, Ordering::Relaxed);
        let stem = self.stack.dir().join(format!("{}-{n}", self.name));
        let mut command = self.stack.client_command(STRIDE, &self.config_dir());
        if let Some(url) = &self.lab.auth_database {
            command.env("STRIDE_AUTH_DATABASE_URL", url);
        }
        run_bounded(
            command.env("STRIDE_PASSWORD", self.password).args(args),
            COMMAND_TIMEOUT,
            &stem,
        )
    }

    /// Runs `stride args`, which must succeed; returns its stdout.
    pub(super) fn ok(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(
            output.status.success(),
            "`stride {}` as {} failed ({}):\n--- stdout ---\n{}\n--- stderr ---\n{}\n{}",
            args.join(" "),
            self.name,
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
            self.stack.log()
        );
        String::from_utf8(output.stdout).unwrap()
    }

    /// `stride --json args`, which must succeed, parsed.
    pub(super) fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let stdout = self.ok(&all);
        serde_json::from_str(&stdout).unwrap_or_else(|e| {
            panic!(
                "`stride {}` printed no JSON ({e}):\n{stdout}",
                all.join(" ")
            )
        })
    }

    /// Runs `stride args`, which must exit with `status` and say `expected` on stderr.
    pub(super) fn fails(&self, args: &[&str], status: i32, expected: &str) -> String {
        let output = self.run(args);
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert_eq!(
            output.status.code(),
            Some(status),
            "`stride {}` as {}: expected exit status {status}\n--- stdout ---\n{}\n--- stderr \
             ---\n{stderr}",
            args.join(" "),
            self.name,
            String::from_utf8_lossy(&output.stdout),
        );
        assert!(
            stderr.contains(expected),
            "`stride {}` as {}: {expected:?} missing from stderr:\n{stderr}",
            args.join(" "),
            self.name
        );
        stderr
    }

    /// Registers the person as `<name>@example.com` and returns their user id.
    pub(super) fn register(&self) -> String {
        let email = format!("{}@example.com", self.name);
        self.ok(&["register", "--username", self.name, "--email", &email]);
        self.json(&["me"])["id"].as_str().unwrap().to_owned()
    }
}
