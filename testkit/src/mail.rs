//! A real SMTP server for tests: `smtp_sink.py` (beside this crate's `Cargo.toml`), an
//! aiosmtpd server on 127.0.0.1 that stores every message it accepts as a JSON file in a
//! temporary directory, which [`Mailbox`] reads back and parses ([`MailMessage`]).
//!
//! Without aiosmtpd (`pip install aiosmtpd`) [`Mailbox::start`] prints one line and returns
//! `None`, so the test skips, unless `STRIDE_TEST_SMTP=required` (as in CI), where it panics.
//!
//! The sink scripts failures by the recipient's local part: `reject-…` is refused for good
//! (550 to RCPT), `defer-…` for now (451), and `hang-…` is stored but never answered, as a
//! server that went silent after taking the message.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod mime;

use mime::{collect_parts, decode_words, find_header, percent_decode, split_message};

/// How long [`Mailbox::wait_for`] waits for a message.
const WAIT: Duration = Duration::from_secs(20);

/// How a sink protects its connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tls {
    /// Plain SMTP (the service allows it to loopback only).
    None,
    /// STARTTLS, required before MAIL (`smtp://…?tls=required`).
    StartTls,
    /// TLS from the first byte (`smtps://`).
    Implicit,
}

/// What a sink is started with.
#[derive(Debug, Clone)]
struct Options {
    port: u16,
    login: Option<(String, String)>,
    tls: Tls,
}

/// A running SMTP sink; the Python process is killed when this is dropped.
#[derive(Debug)]
pub struct Mailbox {
    port: u16,
    login: Option<(String, String)>,
    tls: Tls,
    /// The PEM certificate of the CA that signed the sink's certificate (TLS sinks).
    ca_pem: Option<String>,
    child: Child,
    /// Where the sink stores messages (removed on drop).
    dir: tempfile::TempDir,
}

impl Drop for Mailbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One message the sink accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailMessage {
    /// The envelope recipient (`RCPT TO`).
    pub to: String,
    /// The `From` header.
    pub from: String,
    /// The `Subject` header, decoded.
    pub subject: String,
    /// The `text/plain` part, decoded, with `\n` line ends.
    pub text: String,
    /// The `text/html` part, decoded, with `\n` line ends.
    pub html: String,
    /// The envelope sender (`MAIL FROM`).
    pub envelope_from: String,
    /// The login the client authenticated with, if any.
    pub login: Option<String>,
    /// Whether the session that delivered it was encrypted.
    pub tls: bool,
    /// The message as received.
    pub raw: String,
}

impl MailMessage {
    /// Parses a message as stored in an `.eml` file (the file transport's): the recipient is
    /// its `To` header, the envelope sender its `From`.
    pub fn parse_eml(raw: &str) -> Self {
        let (headers, _) = split_message(raw);
        let to = find_header(&headers, "to")
            .map(decode_words)
            .unwrap_or_default();
        let record = Record {
            mail_from: find_header(&headers, "from").unwrap_or_default().to_owned(),
            rcpt_tos: vec![to.clone()],
            data: raw.to_owned(),
            auth: None,
            tls: false,
        };
        parse(&to, &record)
    }

    /// The `token` query parameter of the first link in the text part (percent-decoded).
    pub fn token(&self) -> Option<String> {
        let start = self.text.find("token=")? + "token=".len();
        let value: String = self.text[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~' | '%'))
            .collect();
        (!value.is_empty()).then(|| percent_decode(&value))
    }

    /// The first link (`http://…` or `https://…`) of the text part.
    pub fn link(&self) -> Option<String> {
        let start = self
            .text
            .find("https://")
            .into_iter()
            .chain(self.text.find("http://"))
            .min()?;
        Some(
            self.text[start..]
                .split(char::is_whitespace)
                .next()
                .unwrap_or_default()
                .to_owned(),
        )
    }

    /// A header of the message (the first of that name), its encoded words decoded.
    pub fn header(&self, name: &str) -> Option<String> {
        let (headers, _) = split_message(&self.raw);
        find_header(&headers, name).map(decode_words)
    }
}

impl Mailbox {
    /// Starts a sink on a free port, or `None` (after one line saying why) without aiosmtpd.
    pub async fn start() -> Option<Self> {
        Self::spawn(Options {
            port: 0,
            login: None,
            tls: Tls::None,
        })
        .await
    }

    /// Starts a sink on `port`, e.g. one taken from [`Mailbox::unused_port`] before the
    /// service was told about it (a mail server that comes up late).
    pub async fn start_on(port: u16) -> Option<Self> {
        Self::spawn(Options {
            port,
            login: None,
            tls: Tls::None,
        })
        .await
    }

    /// Starts a sink that requires the login `user` with `password`.
    pub async fn start_with_login(user: &str, password: &str) -> Option<Self> {
        Self::spawn(Options {
            port: 0,
            login: Some((user.to_owned(), password.to_owned())),
            tls: Tls::None,
        })
        .await
    }

    /// Starts a sink speaking TLS (`tls`) with a certificate for 127.0.0.1 signed by a CA
    /// made for it; [`configure`](Self::configure) tells the service to trust that CA.
    pub async fn start_tls(tls: Tls, login: Option<(&str, &str)>) -> Option<Self> {
        Self::spawn(Options {
            port: 0,
            login: login.map(|(u, p)| (u.to_owned(), p.to_owned())),
            tls,
        })
        .await
    }

    /// A loopback port nobody listens on now (for a sink started later with
    /// [`Mailbox::start_on`]).
    pub fn unused_port() -> u16 {
        std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("bind a free loopback port")
            .port()
    }

    async fn spawn(options: Options) -> Option<Self> {
        shared::telemetry::init_for_tests();
        let dir = tempfile::Builder::new()
            .prefix("stride-mail-")
            .tempdir()
            .expect("create the mailbox directory");
        let ca_pem = match options.tls {
            Tls::None => None,
            Tls::StartTls | Tls::Implicit => Some(write_certificates(dir.path())),
        };
        let messages = dir.path().to_owned();
        let launched = options.clone();
        let started = tokio::task::spawn_blocking(move || launch(&messages, &launched))
            .await
            .expect("the sink launcher ran");
        match started {
            Ok((child, port)) => Some(Self {
                port,
                login: options.login,
                tls: options.tls,
                ca_pem,
                child,
                dir,
            }),
            Err(Missing) => {
                let required = std::env::var("STRIDE_TEST_SMTP").is_ok_and(|v| v == "required");
                assert!(
                    !required,
                    "STRIDE_TEST_SMTP=required but aiosmtpd is not installed (pip install aiosmtpd)"
                );
                eprintln!("skipping: aiosmtpd is not installed (pip install aiosmtpd)");
                None
            }
        }
    }

    /// The port the sink listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `smtp://127.0.0.1:<port>`, `smtp://127.0.0.1:<port>?tls=required` or
    /// `smtps://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        match self.tls {
            Tls::None => format!("smtp://127.0.0.1:{}", self.port),
            Tls::StartTls => format!("smtp://127.0.0.1:{}?tls=required", self.port),
            Tls::Implicit => format!("smtps://127.0.0.1:{}", self.port),
        }
    }

    /// The PEM certificate of the CA that signed a TLS sink's certificate.
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// Points `config` at this sink (its login and CA too, if it has them), with retries,
    /// polls and leases short enough for a test.
    pub fn configure(&self, config: &mut stride_auth::Config) {
        config
            .mail
            .use_smtp(&self.url())
            .expect("the sink's URL is accepted");
        if let Some((user, password)) = &self.login {
            config.mail.use_smtp_credentials(user, password);
        }
        if let Some(ca) = &self.ca_pem {
            config
                .mail
                .trust_smtp_ca(ca.as_bytes())
                .expect("the sink's CA is accepted");
        }
        fast(&mut config.mail);
    }

    /// Every message received so far, in arrival order.
    pub fn messages(&self) -> Vec<MailMessage> {
        read_messages(self.dir.path())
    }

    /// The first message to `to`, waiting up to 20 s for it.
    pub async fn wait_for(&self, to: &str) -> MailMessage {
        let start = Instant::now();
        loop {
            if let Some(found) = self.messages().into_iter().find(|m| m.to == to) {
                return found;
            }
            assert!(
                start.elapsed() < WAIT,
                "no message to {to} within {WAIT:?}; received: {:?}",
                self.messages().iter().map(|m| &m.to).collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The `n`th message (from 0) to `to`, waiting up to 20 s for it.
    pub async fn wait_for_nth(&self, to: &str, n: usize) -> MailMessage {
        let start = Instant::now();
        loop {
            if let Some(found) = self.messages().into_iter().filter(|m| m.to == to).nth(n) {
                return found;
            }
            assert!(
                start.elapsed() < WAIT,
                "no message #{n} to {to} within {WAIT:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits up to 20 s until at least `count` messages arrived; returns them all.
    pub async fn wait_for_count(&self, count: usize) -> Vec<MailMessage> {
        let start = Instant::now();
        loop {
            let messages = self.messages();
            if messages.len() >= count {
                return messages;
            }
            assert!(
                start.elapsed() < WAIT,
                "{} of {count} messages within {WAIT:?}",
                messages.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Shortens the courier's timings for a test: retries after 50 to 200 ms, a poll every 50 ms,
/// a 2 s SMTP timeout and a 5 s lease.
pub fn fast(mail: &mut stride_auth::MailConfig) {
    mail.retry_base = Duration::from_millis(50);
    mail.retry_max = Duration::from_millis(200);
    mail.poll_interval = Duration::from_millis(50);
    mail.smtp_timeout = Duration::from_secs(2);
    mail.lease = Duration::from_secs(5);
}

/// aiosmtpd (or Python) is not installed.
#[derive(Debug)]
struct Missing;

/// Makes a CA and a server certificate for 127.0.0.1 signed by it, writes the certificate
/// and its key to `dir` (`cert.pem`, `key.pem`) and returns the CA's PEM.
fn write_certificates(dir: &Path) -> String {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
    let ca_key = KeyPair::generate().expect("a CA key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "Stride test mail CA");
    let ca = ca_params.self_signed(&ca_key).expect("a CA certificate");
    let key = KeyPair::generate().expect("a server key");
    let params = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
        .expect("server parameters");
    let cert = params
        .signed_by(&key, &ca, &ca_key)
        .expect("a server certificate");
    std::fs::write(dir.join("cert.pem"), cert.pem()).expect("write the certificate");
    std::fs::write(dir.join("key.pem"), key.serialize_pem()).expect("write the key");
    ca.pem()
}

/// Runs the sink and reads its `PORT <n>` line. Blocking.
fn launch(dir: &Path, options: &Options) -> Result<(Child, u16), Missing> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("smtp_sink.py");
    let mut command = Command::new("python3");
    command
        .arg(&script)
        .arg("--dir")
        .arg(dir)
        .arg("--port")
        .arg(options.port.to_string())
        // The sink exits when this pipe closes: when the test process goes, however it goes.
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some((user, password)) = &options.login {
        command.arg("--auth").arg(format!("{user}:{password}"));
    }
    let mode = match options.tls {
        Tls::None => None,
        Tls::StartTls => Some("starttls"),
        Tls::Implicit => Some("implicit"),
    };
    if let Some(mode) = mode {
        command
            .arg("--tls")
            .arg(mode)
            .arg("--tls-cert")
            .arg(dir.join("cert.pem"))
            .arg("--tls-key")
            .arg(dir.join("key.pem"));
    }
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(Missing),
        Err(e) => panic!("cannot run python3 {}: {e}", script.display()),
    };
    let stdout = child.stdout.take().expect("piped stdout");
    let mut line = String::new();
    let _ = BufReader::new(stdout).read_line(&mut line);
    if let Some(port) = line.trim().strip_prefix("PORT ") {
        let port = port.parse().expect("the sink prints its port");
        return Ok((child, port));
    }
    let status = child.wait().expect("wait for the sink");
    let mut stderr = String::new();
    if let Some(mut err) = child.stderr.take() {
        let _ = std::io::Read::read_to_string(&mut err, &mut stderr);
    }
    if status.code() == Some(3) {
        return Err(Missing);
    }
    panic!("the SMTP sink did not start ({status}): {stderr}");
}

/// The stored record of one message.
#[derive(serde::Deserialize)]
struct Record {
    mail_from: String,
    rcpt_tos: Vec<String>,
    data: String,
    auth: Option<String>,
    #[serde(default)]
    tls: bool,
}

fn read_messages(dir: &Path) -> Vec<MailMessage> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read the mailbox directory")
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    files
        .iter()
        .flat_map(|path| {
            let text = std::fs::read_to_string(path).expect("read a stored message");
            let record: Record = serde_json::from_str(&text).expect("a stored message is JSON");
            // One message per recipient, as each recipient's mailbox would show it.
            record
                .rcpt_tos
                .iter()
                .map(|to| parse(to, &record))
                .collect::<Vec<_>>()
        })
        .collect()
}

fn parse(to: &str, record: &Record) -> MailMessage {
    let (headers, body) = split_message(&record.data);
    let mut text = String::new();
    let mut html = String::new();
    collect_parts(&headers, body, &mut text, &mut html);
    MailMessage {
        to: to.to_owned(),
        from: find_header(&headers, "from")
            .map(decode_words)
            .unwrap_or_default(),
        subject: find_header(&headers, "subject")
            .map(decode_words)
            .unwrap_or_default(),
        text,
        html,
        envelope_from: record.mail_from.clone(),
        login: record.auth.clone(),
        tls: record.tls,
        raw: record.data.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_multipart_alternative_message_yields_both_parts() {
        let raw = "From: A <a@x.test>\r\nSubject: =?utf-8?q?Caf=C3=A9?=\r\nContent-Type: \
                   multipart/alternative;\r\n boundary=\"BB\"\r\n\r\n--BB\r\nContent-Type: \
                   text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\
                   \r\nopen https://x.test/verify-email?token=a%2Db_c =\r\nnow=C3=A9\r\n--BB\r\n\
                   Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: \
                   base64\r\n\r\nPHA+aGk8L3A+\r\n--BB--\r\n";
        let record = Record {
            mail_from: "a@x.test".into(),
            rcpt_tos: vec!["b@y.test".into()],
            data: raw.into(),
            auth: None,
            tls: false,
        };
        let m = parse("b@y.test", &record);
        assert_eq!(m.subject, "Café");
        assert_eq!(m.from, "A <a@x.test>");
        assert_eq!(
            m.text,
            "open https://x.test/verify-email?token=a%2Db_c nowé"
        );
        assert_eq!(m.html, "<p>hi</p>");
        assert_eq!(m.token().as_deref(), Some("a-b_c"));
        assert_eq!(
            m.link().as_deref(),
            Some("https://x.test/verify-email?token=a%2Db_c")
        );
        assert_eq!(
            m.header("content-type").unwrap(),
            "multipart/alternative; boundary=\"BB\""
        );
    }
}
