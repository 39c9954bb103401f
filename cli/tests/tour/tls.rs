//! The CLI over TLS: `stride dev` serving both services with certificates made in the test (a
//! CA and a server certificate for 127.0.0.1, as in testkit's TLS tests), and the real binary
//! calling them at `https://` URLs, trusting the CA through `--ca-file`, or not at all.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair};

use crate::stack::{STRIDE, Stack, run_bounded};

const TIMEOUT: Duration = Duration::from_secs(60);

const PASSWORD: &str = "plum-Kettle-93-orbit";

const REGISTER: [&str; 7] = [
    "register",
    "--username",
    "ada",
    "--email",
    "ada@example.com",
    "--password",
    PASSWORD,
];

/// The PEM files of one test: a CA, and a server certificate it signed (for both services).
struct Pki {
    _dir: tempfile::TempDir,
    ca: PathBuf,
    cert: PathBuf,
    key: PathBuf,
}

impl Pki {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let ca_key = KeyPair::generate().unwrap();
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "Stride CLI test CA");
        let ca = ca.self_signed(&ca_key).unwrap();
        let key = KeyPair::generate().unwrap();
        let mut server =
            CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).unwrap();
        server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let server = server.signed_by(&key, &ca, &ca_key).unwrap();
        let write = |name: &str, pem: String| {
            let path = dir.path().join(name);
            std::fs::write(&path, pem).unwrap();
            path
        };
        Self {
            ca: write("ca.pem", ca.pem()),
            cert: write("server.pem", server.pem()),
            key: write("server.key", key.serialize_pem()),
            _dir: dir,
        }
    }

    /// `stride dev` with TLS on both services, fitness trusting the CA for its calls to auth.
    fn stack(&self) -> Stack {
        let path = |p: &Path| p.to_str().unwrap().to_owned();
        let (ca, cert, key) = (path(&self.ca), path(&self.cert), path(&self.key));
        Stack::start_with(&[
            ("STRIDE_AUTH_TLS_CERT", &cert),
            ("STRIDE_AUTH_TLS_KEY", &key),
            ("STRIDE_FITNESS_TLS_CERT", &cert),
            ("STRIDE_FITNESS_TLS_KEY", &key),
            ("STRIDE_AUTH_CA_FILE", &ca),
        ])
    }
}

/// The CLI aimed at `stack`'s `https://` URLs, keeping its credentials in `config`.
fn over_https(stack: &Stack, config: &Path) -> Command {
    let mut command = stack.client_command(STRIDE, config);
    command
        .env("STRIDE_AUTH_URL", format!("https://{}", stack.auth))
        .env("STRIDE_FITNESS_URL", format!("https://{}", stack.fitness));
    command
}

fn run(stack: &Stack, command: &mut Command, args: &[&str], name: &str) -> Output {
    run_bounded(command.args(args), TIMEOUT, &stack.dir().join(name))
}

/// The stdout of a command that must have succeeded.
fn ok(stack: &Stack, output: &Output) -> String {
    assert!(
        output.status.success(),
        "{}\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
        stack.log()
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn with_the_ca_file_the_cli_signs_in_and_calls_fitness_over_https() {
    let pki = Pki::new();
    let stack = pki.stack();
    let config = stack.dir().join("tls-config");
    let ca = pki.ca.to_str().unwrap();
    let cli = |args: &[&str], name: &str| {
        let mut command = over_https(&stack, &config);
        command.args(["--ca-file", ca]);
        ok(&stack, &run(&stack, &mut command, args, name))
    };
    let registered = cli(&REGISTER, "register");
    assert!(registered.contains("registered as ada"), "{registered}");
    let signed_in = cli(&["login", "ada", "--password", PASSWORD], "login");
    assert!(signed_in.contains("signed in as ada"), "{signed_in}");
    cli(
        &[
            "workouts",
            "create",
            "--title",
            "Tempo run",
            "--date",
            "2025-06-03",
            "--type",
            "cardio",
        ],
        "create",
    );
    let listed = cli(&["workouts", "list"], "list");
    assert!(listed.contains("Tempo run"), "{listed}");
}

#[test]
fn without_the_ca_file_the_cli_refuses_the_certificate_and_prints_no_secret() {
    let pki = Pki::new();
    let stack = pki.stack();
    let config = stack.dir().join("untrusting-config");
    let url = format!("https://{}", stack.auth);
    for args in [
        vec!["login", "ada", "--password", PASSWORD],
        REGISTER.to_vec(),
    ] {
        let output = run(&stack, &mut over_https(&stack, &config), &args, args[0]);
        let (stdout, stderr) = (
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
        );
        assert_eq!(output.status.code(), Some(1), "{stdout}\n{stderr}");
        assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
        assert!(
            stderr.starts_with(&format!("stride: cannot reach the auth service at {url}")),
            "{stderr}"
        );
        assert!(
            stderr.contains("invalid peer certificate") && stderr.contains("--ca-file"),
            "the line says the certificate is the problem, and what to do: {stderr}"
        );
        assert!(stdout.is_empty(), "{stdout}");
        for secret in [PASSWORD, "eyJ", "BEGIN"] {
            assert!(
                !stdout.contains(secret) && !stderr.contains(secret),
                "{secret:?} printed: {stdout}\n{stderr}"
            );
        }
    }
    assert!(
        !config.join("credentials.json").exists(),
        "nothing was stored"
    );
}
