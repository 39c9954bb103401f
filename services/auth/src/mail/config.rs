//! Mail settings, read from `STRIDE_SMTP_*`, `STRIDE_MAIL_*`, `STRIDE_PUBLIC_URL` and
//! `STRIDE_PRODUCT_NAME` (see the README table). The SMTP URL itself is parsed, and plaintext
//! across a network refused, in `smtp_url`.

use std::path::PathBuf;
use std::time::Duration;

use lettre::message::Mailbox;
use shared::config::{ConfigError, Env, redact_url};
use shared::secret::Secret;

use super::smtp_url::{SmtpSettings, check_ca, parse_smtp_url};

/// Where messages go.
#[derive(Debug, Clone, Default)]
pub(crate) enum TransportConfig {
    /// Nowhere yet: messages stay queued (a warning at start says so).
    #[default]
    None,
    /// An SMTP server.
    Smtp(SmtpSettings),
    /// `STRIDE_MAIL_DIR`: each message as an `.eml` file in this directory (development).
    Dir(PathBuf),
}

/// Mail settings (`STRIDE_SMTP_URL`, `STRIDE_MAIL_*`, `STRIDE_PUBLIC_URL`).
///
/// The transport, sender and public URL are validated and set through methods; the timings
/// are plain fields a test may shorten.
#[derive(Debug, Clone)]
pub struct MailConfig {
    /// `STRIDE_SMTP_URL` or `STRIDE_MAIL_DIR`.
    pub(crate) transport: TransportConfig,
    /// `STRIDE_MAIL_FROM`: the sender of every message.
    pub(crate) from: Mailbox,
    /// `STRIDE_PUBLIC_URL`, without a trailing slash: links in messages start with it.
    pub(crate) public_url: String,
    /// `STRIDE_PRODUCT_NAME`: how messages name the product.
    pub product_name: String,
    /// `STRIDE_MAIL_MAX_ATTEMPTS`: sends tried before a message is given up.
    pub max_attempts: u32,
    /// `STRIDE_MAIL_RETRY_BASE`: the wait after the first failed attempt; it doubles with each
    /// further one (with jitter).
    pub retry_base: Duration,
    /// `STRIDE_MAIL_RETRY_MAX`: the longest wait between attempts.
    pub retry_max: Duration,
    /// `STRIDE_MAIL_POLL_INTERVAL`: how often the courier looks for due messages it was not
    /// woken for (those of other replicas, and retries).
    pub poll_interval: Duration,
    /// `STRIDE_MAIL_LEASE`: how long a courier holds the messages it claimed. A message whose
    /// lease ran out mid-send is given up, not retried. More than twice the SMTP timeout.
    pub lease: Duration,
    /// `STRIDE_SMTP_TIMEOUT`: the longest one message's SMTP exchange may take.
    pub smtp_timeout: Duration,
    /// `STRIDE_MAIL_RETENTION`: how long sent and given-up messages are kept (without their
    /// parameters) before they are swept.
    pub retention: Duration,
    /// Messages claimed at once by one courier.
    pub batch_size: u32,
}

/// `STRIDE_MAIL_FROM` when unset.
const DEFAULT_FROM: &str = "Stride <no-reply@localhost>";
/// `STRIDE_PUBLIC_URL` when unset.
const DEFAULT_PUBLIC_URL: &str = "http://127.0.0.1:8000";

impl Default for MailConfig {
    fn default() -> Self {
        Self::for_tests()
    }
}

impl MailConfig {
    /// Reads the mail variables.
    pub fn from_env(env: Env<'_>) -> Result<Self, ConfigError> {
        let transport = match (env.get("STRIDE_SMTP_URL"), env.get("STRIDE_MAIL_DIR")) {
            (Some(_), Some(_)) => {
                return Err(ConfigError::new(
                    "STRIDE_MAIL_DIR",
                    env.get("STRIDE_MAIL_DIR").unwrap_or_default(),
                    "set STRIDE_SMTP_URL or STRIDE_MAIL_DIR, not both",
                ));
            }
            (Some(url), None) => {
                let mut smtp = parse_smtp_url(url).map_err(|reason| {
                    ConfigError::new("STRIDE_SMTP_URL", &redact_url(url), reason)
                })?;
                smtp.credentials = credentials(env)?;
                if let Some(path) = env.get("STRIDE_SMTP_CA_FILE") {
                    let pem = shared::config::read_file("STRIDE_SMTP_CA_FILE", path)?;
                    check_ca(&pem, &smtp)
                        .map_err(|reason| ConfigError::new("STRIDE_SMTP_CA_FILE", path, reason))?;
                    smtp.ca_pem = Some(pem);
                }
                TransportConfig::Smtp(smtp)
            }
            (None, Some(dir)) => {
                no_credentials_without_smtp(env)?;
                TransportConfig::Dir(PathBuf::from(dir))
            }
            (None, None) => {
                no_credentials_without_smtp(env)?;
                TransportConfig::None
            }
        };
        let from_raw = env.get("STRIDE_MAIL_FROM").unwrap_or(DEFAULT_FROM);
        let from = parse_from(from_raw)
            .map_err(|reason| ConfigError::new("STRIDE_MAIL_FROM", from_raw, reason))?;
        let url_raw = env.get("STRIDE_PUBLIC_URL").unwrap_or(DEFAULT_PUBLIC_URL);
        let public_url = parse_public_url(url_raw)
            .map_err(|reason| ConfigError::new("STRIDE_PUBLIC_URL", url_raw, reason))?;
        let product_name = env.string("STRIDE_PRODUCT_NAME", "Stride");
        if let Err(reason) = check_product_name(&product_name) {
            return Err(ConfigError::new(
                "STRIDE_PRODUCT_NAME",
                &product_name,
                reason,
            ));
        }
        let config = Self {
            transport,
            from,
            public_url,
            product_name,
            max_attempts: env.parse("STRIDE_MAIL_MAX_ATTEMPTS", 8)?,
            retry_base: env.positive_duration("STRIDE_MAIL_RETRY_BASE", Duration::from_secs(30))?,
            retry_max: env.positive_duration("STRIDE_MAIL_RETRY_MAX", Duration::from_secs(3600))?,
            poll_interval: env
                .positive_duration("STRIDE_MAIL_POLL_INTERVAL", Duration::from_secs(5))?,
            lease: env.positive_duration("STRIDE_MAIL_LEASE", Duration::from_secs(120))?,
            smtp_timeout: env.positive_duration("STRIDE_SMTP_TIMEOUT", Duration::from_secs(30))?,
            retention: env
                .positive_duration("STRIDE_MAIL_RETENTION", Duration::from_secs(7 * 86_400))?,
            batch_size: 20,
        };
        let invalid = |var: &str, reason: &str| {
            ConfigError::new(var, env.get(var).unwrap_or_default(), reason)
        };
        if !(1..=100).contains(&config.max_attempts) {
            return Err(invalid("STRIDE_MAIL_MAX_ATTEMPTS", "between 1 and 100"));
        }
        if config.retry_max < config.retry_base {
            return Err(invalid(
                "STRIDE_MAIL_RETRY_MAX",
                "at least STRIDE_MAIL_RETRY_BASE",
            ));
        }
        if config.lease <= config.smtp_timeout.saturating_mul(2) {
            return Err(invalid(
                "STRIDE_MAIL_LEASE",
                "must be more than twice STRIDE_SMTP_TIMEOUT, so a send ends before its lease",
            ));
        }
        Ok(config)
    }

    /// Tests: no transport until a test sets one, and timings short enough that retries and
    /// leases play out in a fraction of a second.
    pub fn for_tests() -> Self {
        Self {
            transport: TransportConfig::None,
            // DEFAULT_FROM, built without a parser that could fail (a unit test compares them).
            from: Mailbox::new(
                Some("Stride".to_owned()),
                lettre::Address::new_dangerous("no-reply", "localhost"),
            ),
            public_url: DEFAULT_PUBLIC_URL.to_owned(),
            product_name: "Stride".to_owned(),
            max_attempts: 5,
            retry_base: Duration::from_millis(50),
            retry_max: Duration::from_millis(400),
            poll_interval: Duration::from_millis(100),
            lease: Duration::from_secs(10),
            smtp_timeout: Duration::from_secs(3),
            retention: Duration::from_secs(7 * 86_400),
            batch_size: 20,
        }
    }

    /// Sends through the SMTP server at `url` (as `STRIDE_SMTP_URL`), without credentials.
    /// Plaintext to a host that is not loopback is refused.
    pub fn use_smtp(&mut self, url: &str) -> Result<(), ConfigError> {
        let smtp = parse_smtp_url(url)
            .map_err(|reason| ConfigError::new("STRIDE_SMTP_URL", &redact_url(url), reason))?;
        self.transport = TransportConfig::Smtp(smtp);
        Ok(())
    }

    /// Logs in to the SMTP server set by [`use_smtp`](Self::use_smtp) with these credentials.
    pub fn use_smtp_credentials(&mut self, username: &str, password: &str) {
        if let TransportConfig::Smtp(smtp) = &mut self.transport {
            smtp.credentials = Some((username.to_owned(), Secret::new(password)));
        }
    }

    /// Trusts the PEM certificates `pem` (instead of the web PKI roots) for the SMTP server
    /// set by [`use_smtp`](Self::use_smtp), as `STRIDE_SMTP_CA_FILE` does.
    pub fn trust_smtp_ca(&mut self, pem: &[u8]) -> Result<(), ConfigError> {
        if let TransportConfig::Smtp(smtp) = &mut self.transport {
            check_ca(pem, smtp)
                .map_err(|reason| ConfigError::new("STRIDE_SMTP_CA_FILE", "", reason))?;
            smtp.ca_pem = Some(pem.to_vec());
        }
        Ok(())
    }

    /// Writes each message as a file in `dir` instead (as `STRIDE_MAIL_DIR`).
    pub fn use_dir(&mut self, dir: impl Into<PathBuf>) {
        self.transport = TransportConfig::Dir(dir.into());
    }

    /// Sends nothing: messages stay queued.
    pub fn use_no_transport(&mut self) {
        self.transport = TransportConfig::None;
    }

    /// Sets the sender (as `STRIDE_MAIL_FROM`).
    pub fn set_from(&mut self, from: &str) -> Result<(), ConfigError> {
        self.from = parse_from(from)
            .map_err(|reason| ConfigError::new("STRIDE_MAIL_FROM", from, reason))?;
        Ok(())
    }

    /// Sets the URL links start with (as `STRIDE_PUBLIC_URL`).
    pub fn set_public_url(&mut self, url: &str) -> Result<(), ConfigError> {
        self.public_url = parse_public_url(url)
            .map_err(|reason| ConfigError::new("STRIDE_PUBLIC_URL", url, reason))?;
        Ok(())
    }

    /// The URL links start with, without a trailing slash.
    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// The sender, as written in the `From` header.
    pub fn from_address(&self) -> String {
        self.from.to_string()
    }
}

/// `STRIDE_SMTP_USERNAME` and `STRIDE_SMTP_PASSWORD`: both or neither.
fn credentials(env: Env<'_>) -> Result<Option<(String, Secret)>, ConfigError> {
    match (
        env.get("STRIDE_SMTP_USERNAME"),
        env.secret("STRIDE_SMTP_PASSWORD"),
    ) {
        (None, None) => Ok(None),
        (Some(user), Some(password)) => Ok(Some((user.to_owned(), Secret::new(password)))),
        (Some(_), None) => Err(ConfigError::new(
            "STRIDE_SMTP_PASSWORD",
            "",
            "set STRIDE_SMTP_USERNAME and STRIDE_SMTP_PASSWORD together",
        )),
        (None, Some(_)) => Err(ConfigError::new(
            "STRIDE_SMTP_USERNAME",
            "",
            "set STRIDE_SMTP_USERNAME and STRIDE_SMTP_PASSWORD together",
        )),
    }
}

/// SMTP settings without an SMTP server are a mistake worth a startup error.
fn no_credentials_without_smtp(env: Env<'_>) -> Result<(), ConfigError> {
    for var in [
        "STRIDE_SMTP_USERNAME",
        "STRIDE_SMTP_PASSWORD",
        "STRIDE_SMTP_CA_FILE",
    ] {
        if env.get(var).is_some() {
            return Err(ConfigError::new(
                var,
                "<redacted>",
                "is set but STRIDE_SMTP_URL is not",
            ));
        }
    }
    Ok(())
}

fn parse_from(raw: &str) -> Result<Mailbox, String> {
    raw.parse::<Mailbox>()
        .map_err(|e| format!("expected an address such as `Stride <no-reply@example.com>`: {e}"))
}

/// An `http(s)://host[:port][/path]` URL without query or fragment, its trailing slash removed.
fn parse_public_url(raw: &str) -> Result<String, String> {
    let rest = raw
        .strip_prefix("https://")
        .or_else(|| raw.strip_prefix("http://"))
        .ok_or("expected an http:// or https:// URL")?;
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty() || host.contains('@') {
        return Err("expected a host, e.g. https://app.example.com".into());
    }
    if raw.contains(['?', '#']) || raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("expected no query, fragment or spaces".into());
    }
    Ok(raw.trim_end_matches('/').to_owned())
}

fn check_product_name(name: &str) -> Result<(), &'static str> {
    if name.chars().any(char::is_control) {
        return Err("must be one line of text");
    }
    if name.chars().count() > 100 {
        return Err("at most 100 characters");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::smtp_url::Security;

    use shared::config::env_of as env;

    fn read(pairs: &[(&str, &str)]) -> Result<MailConfig, ConfigError> {
        MailConfig::from_env(Env::new(&env(pairs)))
    }

    #[test]
    fn defaults_queue_mail_without_a_transport() {
        let c = read(&[]).unwrap();
        assert!(matches!(c.transport, TransportConfig::None));
        assert_eq!(c.from.to_string(), "Stride <no-reply@localhost>");
        assert_eq!(c.public_url, "http://127.0.0.1:8000");
        assert_eq!(c.product_name, "Stride");
        assert_eq!(c.max_attempts, 8);
        assert_eq!(c.retry_base, Duration::from_secs(30));
        assert_eq!(c.retry_max, Duration::from_secs(3600));
        assert_eq!(c.poll_interval, Duration::from_secs(5));
        assert_eq!(c.lease, Duration::from_secs(120));
        assert_eq!(c.smtp_timeout, Duration::from_secs(30));
        assert_eq!(c.retention, Duration::from_secs(7 * 86_400));
        assert_eq!(MailConfig::for_tests().from.to_string(), c.from.to_string());
    }

    #[test]
    fn every_variable_is_read() {
        let c = read(&[
            (
                "STRIDE_SMTP_URL",
                "smtp://mail.example.com:2525?tls=required",
            ),
            ("STRIDE_SMTP_USERNAME", "mailer"),
            ("STRIDE_SMTP_PASSWORD", "hunter2"),
            ("STRIDE_SMTP_TIMEOUT", "10s"),
            ("STRIDE_MAIL_FROM", "Team <team@example.com>"),
            ("STRIDE_PUBLIC_URL", "https://app.example.com/"),
            ("STRIDE_PRODUCT_NAME", "Acme Fit"),
            ("STRIDE_MAIL_MAX_ATTEMPTS", "3"),
            ("STRIDE_MAIL_RETRY_BASE", "1s"),
            ("STRIDE_MAIL_RETRY_MAX", "1m"),
            ("STRIDE_MAIL_POLL_INTERVAL", "2s"),
            ("STRIDE_MAIL_LEASE", "1m"),
            ("STRIDE_MAIL_RETENTION", "1d"),
        ])
        .unwrap();
        let TransportConfig::Smtp(smtp) = &c.transport else {
            panic!("{:?}", c.transport)
        };
        assert_eq!(
            (smtp.host.as_str(), smtp.port, smtp.security),
            ("mail.example.com", 2525, Security::StartTls)
        );
        let (user, password) = smtp.credentials.as_ref().unwrap();
        assert_eq!((user.as_str(), password.expose()), ("mailer", "hunter2"));
        assert_eq!(c.smtp_timeout, Duration::from_secs(10));
        assert_eq!(c.from.to_string(), "Team <team@example.com>");
        assert_eq!(c.public_url, "https://app.example.com");
        assert_eq!(c.product_name, "Acme Fit");
        assert_eq!(c.max_attempts, 3);
        assert_eq!(
            (c.retry_base, c.retry_max),
            (Duration::from_secs(1), Duration::from_secs(60))
        );
        assert_eq!(c.poll_interval, Duration::from_secs(2));
        assert_eq!(c.lease, Duration::from_secs(60));
        assert_eq!(c.retention, Duration::from_secs(86_400));
        assert!(!format!("{c:?}").contains("hunter2"));

        let dir = read(&[("STRIDE_MAIL_DIR", "data/mail")]).unwrap();
        assert!(
            matches!(dir.transport, TransportConfig::Dir(ref p) if p == &PathBuf::from("data/mail"))
        );
    }

    #[test]
    fn plaintext_smtp_leaves_only_through_loopback() {
        for url in [
            "smtp://mail.example.com:587",
            "smtp://10.0.0.5:25",
            "smtp://[2001:db8::1]:25",
            "smtp://localhost.example.com",
            "smtp://mail.example.com?tls=opportunistic",
            "smtp://127.0.0.1?tls=opportunistic",
        ] {
            let err = read(&[("STRIDE_SMTP_URL", url)]).unwrap_err();
            assert_eq!(err.var, "STRIDE_SMTP_URL", "{url}");
        }
        let err = read(&[("STRIDE_SMTP_URL", "smtp://mail.example.com")]).unwrap_err();
        assert!(err.reason.contains("smtps://mail.example.com:465"), "{err}");
    }

    #[test]
    fn credentials_in_the_smtp_url_are_refused_without_showing_them() {
        let err =
            read(&[("STRIDE_SMTP_URL", "smtps://user:hunter2@mail.example.com")]).unwrap_err();
        assert_eq!(err.var, "STRIDE_SMTP_URL");
        assert!(!err.to_string().contains("hunter2"), "{err}");
        assert!(err.reason.contains("STRIDE_SMTP_PASSWORD"), "{err}");
    }

    #[test]
    fn invalid_values_name_their_variable() {
        for (pairs, var) in [
            (
                vec![("STRIDE_SMTP_URL", "smtps://a"), ("STRIDE_MAIL_DIR", "m")],
                "STRIDE_MAIL_DIR",
            ),
            (
                vec![
                    ("STRIDE_SMTP_URL", "smtps://a"),
                    ("STRIDE_SMTP_USERNAME", "u"),
                ],
                "STRIDE_SMTP_PASSWORD",
            ),
            (vec![("STRIDE_SMTP_PASSWORD", "p")], "STRIDE_SMTP_PASSWORD"),
            (
                vec![("STRIDE_SMTP_CA_FILE", "ca.pem")],
                "STRIDE_SMTP_CA_FILE",
            ),
            (
                vec![
                    ("STRIDE_SMTP_URL", "smtps://a"),
                    ("STRIDE_SMTP_CA_FILE", "/nonexistent/ca.pem"),
                ],
                "STRIDE_SMTP_CA_FILE",
            ),
            (
                vec![
                    ("STRIDE_SMTP_URL", "smtps://a"),
                    ("STRIDE_SMTP_CA_FILE", "/etc/hostname"),
                ],
                "STRIDE_SMTP_CA_FILE",
            ),
            (
                vec![("STRIDE_MAIL_FROM", "not an address")],
                "STRIDE_MAIL_FROM",
            ),
            (vec![("STRIDE_PUBLIC_URL", "ftp://x")], "STRIDE_PUBLIC_URL"),
            (
                vec![("STRIDE_PUBLIC_URL", "https://x/?a=b")],
                "STRIDE_PUBLIC_URL",
            ),
            (
                vec![("STRIDE_PUBLIC_URL", "https:///path")],
                "STRIDE_PUBLIC_URL",
            ),
            (
                vec![("STRIDE_PRODUCT_NAME", "two\nlines")],
                "STRIDE_PRODUCT_NAME",
            ),
            (
                vec![("STRIDE_MAIL_MAX_ATTEMPTS", "0")],
                "STRIDE_MAIL_MAX_ATTEMPTS",
            ),
            (
                vec![("STRIDE_MAIL_MAX_ATTEMPTS", "many")],
                "STRIDE_MAIL_MAX_ATTEMPTS",
            ),
            (
                vec![("STRIDE_MAIL_RETRY_BASE", "0s")],
                "STRIDE_MAIL_RETRY_BASE",
            ),
            (
                vec![("STRIDE_MAIL_RETRY_MAX", "1s")],
                "STRIDE_MAIL_RETRY_MAX",
            ),
            (
                vec![("STRIDE_MAIL_POLL_INTERVAL", "0")],
                "STRIDE_MAIL_POLL_INTERVAL",
            ),
            (vec![("STRIDE_MAIL_LEASE", "45s")], "STRIDE_MAIL_LEASE"),
            (vec![("STRIDE_SMTP_TIMEOUT", "soon")], "STRIDE_SMTP_TIMEOUT"),
            (
                vec![("STRIDE_MAIL_RETENTION", "0d")],
                "STRIDE_MAIL_RETENTION",
            ),
        ] {
            let err = read(&pairs).unwrap_err();
            assert_eq!(err.var, var, "{pairs:?}");
        }
    }

    #[test]
    fn setters_validate_like_the_variables() {
        let mut c = MailConfig::for_tests();
        assert!(c.use_smtp("smtp://mail.example.com").is_err());
        c.use_smtp("smtp://127.0.0.1:2525").unwrap();
        c.use_smtp_credentials("u", "p");
        assert!(matches!(&c.transport, TransportConfig::Smtp(s) if s.credentials.is_some()));
        assert!(c.set_from("nope").is_err());
        c.set_from("Acme <hi@acme.test>").unwrap();
        assert_eq!(c.from_address(), "Acme <hi@acme.test>");
        assert!(c.set_public_url("javascript:alert(1)").is_err());
        c.set_public_url("https://acme.test/app/").unwrap();
        assert_eq!(c.public_url(), "https://acme.test/app");
    }
}
