//! Transactional mail: messages are written to the `mail_outbox` table in the transaction of
//! the change that causes them ([`enqueue`]), and a courier sends them afterwards.
//!
//! (Skeleton: the outbox, courier, transports and templates are being built.)

use shared::config::{ConfigError, Env};
use shared::time::Micros;

use crate::app::AppState;
use crate::error::Result;

/// Mail settings (`STRIDE_SMTP_URL`, `STRIDE_MAIL_*`, `STRIDE_PUBLIC_URL`).
#[derive(Debug, Clone, Default)]
pub struct MailConfig {}

impl MailConfig {
    /// Reads the mail variables.
    pub fn from_env(_env: Env<'_>) -> Result<Self, ConfigError> {
        Ok(Self {})
    }

    /// Tests: no transport until a test sets one.
    pub fn for_tests() -> Self {
        Self {}
    }
}

/// What a message says; the courier renders it with the product name and public URL.
#[derive(Debug, Clone)]
pub(crate) enum Template {
    /// Confirm an address: at registration, on resend, or for a requested change
    /// (`change: true`). The link carries `token`.
    VerifyEmail {
        /// The single-use token of the link.
        token: String,
        /// Whether the address is a requested change of the user's email.
        change: bool,
    },
    /// Tells the current address that a change to `new_email` was requested.
    EmailChangeRequested {
        /// The address asked for.
        new_email: String,
    },
    /// A password reset link carrying `token`, valid for `valid_minutes`.
    PasswordReset {
        /// The single-use token of the link.
        token: String,
        /// How long the link works.
        valid_minutes: u64,
    },
    /// Confirms that the account was deleted.
    AccountDeleted,
}

/// One message to queue.
#[derive(Debug, Clone)]
pub(crate) struct Outgoing {
    /// Recipient address.
    pub to: String,
    /// The recipient's username (greeting).
    pub username: String,
    /// The message.
    pub template: Template,
}

/// Queues `message` in the caller's transaction: it is sent only if that transaction commits.
pub(crate) async fn enqueue(
    _tx: &mut shared::db::Tx,
    _now: Micros,
    _message: &Outgoing,
) -> Result<()> {
    Ok(())
}

/// Starts the courier for this replica (aborted with the other background tasks).
pub(crate) fn start(_state: &AppState) -> Vec<tokio::task::JoinHandle<()>> {
    Vec::new()
}
