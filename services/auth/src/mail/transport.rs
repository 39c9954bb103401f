//! Where a composed message goes: an SMTP server (lettre's client, over TLS unless the server
//! is on loopback) or, for development, an `.eml` file per message.
//!
//! SMTP is driven step by step with lettre's `AsyncSmtpConnection` (the client its
//! `AsyncSmtpTransport` wraps) rather than through `AsyncSmtpTransport::send`, because the
//! outbox must know how far a failed exchange got: a failure before the body was handed over
//! means the server does not have the message and it may be retried; one after it, without a
//! reply, means the server may have it, and the message is not retried (see `crate::mail`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use lettre::Message;
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{
    AsyncSmtpConnection, Certificate, CertificateStore, TlsParameters,
};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::extension::{ClientId, Extension, MailParameter};
use tokio::time::{Instant, timeout_at};

use super::config::{MailConfig, TransportConfig};
use super::smtp_url::{Security, SmtpSettings};

/// Why a message was not sent, and so what the courier does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SendError {
    /// The server does not have the message and may take it later: retry with backoff.
    Retry(String),
    /// The server refused the message for good (a 5xx reply): give up.
    Refused(String),
    /// The body was handed over but no verdict came back: the server may have it. Given up,
    /// so the message is never sent twice.
    Unknown(String),
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SendError::Retry(why) | SendError::Refused(why) | SendError::Unknown(why) => {
                f.write_str(why)
            }
        }
    }
}

/// A configured destination for messages.
#[derive(Debug)]
pub(crate) enum Transport {
    /// An SMTP server.
    Smtp(Smtp),
    /// A directory of `.eml` files.
    Dir(PathBuf),
}

impl Transport {
    /// The transport `config` names, `None` when it names none, or why it cannot be built.
    pub(crate) fn new(config: &MailConfig) -> Option<Result<Self, String>> {
        match &config.transport {
            TransportConfig::None => None,
            TransportConfig::Dir(dir) => Some(Ok(Transport::Dir(dir.clone()))),
            TransportConfig::Smtp(settings) => {
                Some(Smtp::new(settings.clone(), config.smtp_timeout).map(Transport::Smtp))
            }
        }
    }

    /// Says where messages go, for the log (never a credential: the URL holds none).
    pub(crate) fn describe(&self) -> String {
        match self {
            Transport::Smtp(smtp) => smtp.settings.url.clone(),
            Transport::Dir(dir) => format!("files in {}", dir.display()),
        }
    }

    /// Sends `message` (queued as `id`).
    pub(crate) async fn send(&self, id: &str, message: &Message) -> Result<(), SendError> {
        match self {
            Transport::Smtp(smtp) => smtp.send(message).await,
            Transport::Dir(dir) => {
                let path = write_file(dir, id, &message.formatted())
                    .await
                    .map_err(|e| {
                        SendError::Retry(format!("cannot write to {}: {e}", dir.display()))
                    })?;
                tracing::info!(id, path = %path.display(), "mail written to a file");
                Ok(())
            }
        }
    }
}

/// An SMTP server and how to reach it.
pub(crate) struct Smtp {
    settings: SmtpSettings,
    /// The certificate checks (the host's name, the web PKI roots); `None` for plain SMTP.
    tls: Option<TlsParameters>,
    /// The longest one message's exchange may take.
    timeout: Duration,
}

impl std::fmt::Debug for Smtp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Smtp")
            .field("settings", &self.settings)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl Smtp {
    fn new(settings: SmtpSettings, timeout: Duration) -> Result<Self, String> {
        let tls = match settings.security {
            Security::Plain => None,
            Security::Implicit | Security::StartTls => {
                let mut builder = TlsParameters::builder(settings.host.clone());
                if let Some(pem) = &settings.ca_pem {
                    let ca = Certificate::from_pem(pem)
                        .map_err(|e| format!("unreadable STRIDE_SMTP_CA_FILE: {e}"))?;
                    builder = builder
                        .certificate_store(CertificateStore::None)
                        .add_root_certificate(ca);
                }
                Some(
                    builder
                        .build()
                        .map_err(|e| format!("cannot set up TLS for {}: {e}", settings.host))?,
                )
            }
        };
        Ok(Self {
            settings,
            tls,
            timeout,
        })
    }

    /// One exchange for one message, within the timeout.
    async fn send(&self, message: &Message) -> Result<(), SendError> {
        let deadline = Instant::now() + self.timeout;
        let body = message.formatted();
        let mut conn = match timeout_at(deadline, self.open(message.envelope())).await {
            Ok(result) => result?,
            Err(_) => {
                return Err(SendError::Retry(
                    "timed out before the message was handed over".into(),
                ));
            }
        };
        // From here on, silence may mean the server has the message.
        match timeout_at(deadline, conn.message(&body)).await {
            Ok(Ok(_accepted)) => {
                // Accepted: how the goodbye goes changes nothing.
                let _ = timeout_at(deadline, conn.quit()).await;
                Ok(())
            }
            Ok(Err(e)) if e.is_transient() => Err(SendError::Retry(format!(
                "the server declined the message for now: {e}"
            ))),
            Ok(Err(e)) if e.is_permanent() => Err(SendError::Refused(format!(
                "the server refused the message: {e}"
            ))),
            Ok(Err(e)) => Err(SendError::Unknown(format!(
                "the exchange broke after the message was handed over: {e}"
            ))),
            Err(_) => Err(SendError::Unknown(
                "timed out after the message was handed over".into(),
            )),
        }
    }

    /// Connects, secures, logs in and opens the transaction (MAIL, RCPT, DATA): everything
    /// before the body, so every failure here leaves the server without the message.
    async fn open(&self, envelope: &Envelope) -> Result<AsyncSmtpConnection, SendError> {
        let hello = ClientId::default();
        let s = &self.settings;
        let implicit = match s.security {
            Security::Implicit => self.tls.clone(),
            Security::StartTls | Security::Plain => None,
        };
        let retry = |what: &str, e: lettre::transport::smtp::Error| {
            SendError::Retry(format!("{what} {}:{}: {e}", s.host, s.port))
        };
        let mut conn = AsyncSmtpConnection::connect_tokio1(
            (s.host.as_str(), s.port),
            Some(self.timeout),
            &hello,
            implicit,
            None,
        )
        .await
        .map_err(|e| retry("cannot connect to", e))?;
        if let (Security::StartTls, Some(tls)) = (s.security, &self.tls) {
            conn.starttls(tls.clone(), &hello)
                .await
                .map_err(|e| retry("STARTTLS failed with", e))?;
        }
        if let Some((user, password)) = &s.credentials {
            let credentials = Credentials::new(user.clone(), password.expose().to_owned());
            conn.auth(&[Mechanism::Plain, Mechanism::Login], &credentials)
                .await
                .map_err(|e| retry("cannot log in to", e))?;
        }
        let mut options = Vec::new();
        let non_ascii = envelope
            .to()
            .iter()
            .chain(envelope.from())
            .any(|address| !AsRef::<str>::as_ref(address).is_ascii());
        if non_ascii {
            if !conn.server_info().supports_feature(Extension::SmtpUtfEight) {
                conn.abort().await;
                return Err(SendError::Refused(
                    "the address is not ASCII and the server does not support SMTPUTF8".into(),
                ));
            }
            options.push(MailParameter::SmtpUtfEight);
        }
        // A 5xx reply to these refuses this message for good; anything else is for now.
        let step = |what: &str, e: lettre::transport::smtp::Error| {
            if e.is_permanent() {
                SendError::Refused(format!("the server refused {what}: {e}"))
            } else {
                SendError::Retry(format!("{what} failed: {e}"))
            }
        };
        conn.command(Mail::new(envelope.from().cloned(), options))
            .await
            .map_err(|e| step("the sender", e))?;
        for to in envelope.to() {
            conn.command(Rcpt::new(to.clone(), Vec::new()))
                .await
                .map_err(|e| step("the recipient", e))?;
        }
        conn.command(Data).await.map_err(|e| step("DATA", e))?;
        Ok(conn)
    }
}

/// Writes `bytes` as `<dir>/<id>.eml`, readable by the owner only (it holds live links),
/// through a temporary name so a reader never sees half a message. Returns the path.
async fn write_file(dir: &Path, id: &str, bytes: &[u8]) -> std::io::Result<PathBuf> {
    let (dir, id, bytes) = (dir.to_owned(), id.to_owned(), bytes.to_vec());
    tokio::task::spawn_blocking(move || {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(&dir)?;
        let path = dir.join(format!("{id}.eml"));
        let partial = dir.join(format!(".{id}.eml.partial"));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        std::io::Write::write_all(&mut options.open(&partial)?, &bytes)?;
        std::fs::rename(&partial, &path)?;
        Ok(path)
    })
    .await
    .map_err(std::io::Error::other)?
}
