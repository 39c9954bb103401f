//! Transactional mail: messages are written to the `mail_outbox` table in the transaction of
//! the change that causes them ([`enqueue`]), and a courier sends them afterwards
//! ([`start`]). A message exists exactly when its cause committed: a rolled-back
//! registration sends nothing, and a committed one is sent even if the process stops right
//! after the commit.
//!
//! **At most once.** A message carries a single-use link, and a second copy of a password
//! reset is a second live secret in someone's mailbox, so the outbox never sends one message
//! twice, even with several replicas on one database, and prefers losing a message to
//! duplicating it (the user can ask again). Each courier claims due rows under a lease in one
//! statement (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite has one writer), then, one
//! message at a time, marks the row SENDING under its own lease before it talks to the
//! server:
//!
//! - a claim whose courier stopped before sending (lease expired while CLAIMED) goes back to
//!   the queue: nothing was sent;
//! - a send whose courier stopped mid-way (lease expired while SENDING) is given up, never
//!   retried: the server may have accepted it;
//! - a failure before the message body was handed over (no connection, TLS or login failure, a
//!   4xx reply to MAIL, RCPT or DATA) is retried with exponential backoff up to
//!   `STRIDE_MAIL_MAX_ATTEMPTS`; a 4xx reply to the body itself too, since the server then
//!   declined it; a 5xx reply gives up at once;
//! - a failure after the body was handed over with no reply (connection lost, timeout) is
//!   given up: the message may have been delivered.
//!
//! A send is bounded by `STRIDE_SMTP_TIMEOUT`, which the lease must exceed twice over, so a
//! live courier always finishes before its lease can expire.
//!
//! **Parameters** (the link tokens) are scrubbed from the row once it is sent or given up, and
//! finished rows are swept after `STRIDE_MAIL_RETENTION`.
//!
//! Map: `config` (variables), `smtp_url` (the SMTP URL, TLS modes), `templates` (texts in `templates/mail/`), `compose` (the MIME
//! message), `transport` (SMTP with lettre, or `.eml` files), `courier` (claims, sends,
//! records, sweeps); the SQL is `store::mail_outbox`.

mod compose;
mod config;
mod courier;
mod smtp_url;
mod templates;
#[cfg(test)]
mod tests;
mod transport;

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};
use shared::time::Micros;
use tokio::sync::watch;

use crate::app::AppState;
use crate::error::{Error, Result};
use crate::store::mail_outbox::{self, NewMessage};

pub use config::MailConfig;
pub(crate) use courier::Running;

/// What a message says; the courier renders it with the product name and public URL.
#[derive(Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "SCREAMING_SNAKE_CASE")]
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

impl Template {
    /// The stored name (the `template` column), e.g. `VERIFY_EMAIL`.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Template::VerifyEmail { .. } => "VERIFY_EMAIL",
            Template::EmailChangeRequested { .. } => "EMAIL_CHANGE_REQUESTED",
            Template::PasswordReset { .. } => "PASSWORD_RESET",
            Template::AccountDeleted => "ACCOUNT_DELETED",
        }
    }
}

impl std::fmt::Debug for Template {
    /// The kind only: the tokens are live secrets and must not reach a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
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

/// The `params` column: what the courier needs besides the recipient.
#[derive(Serialize)]
struct ParamsRef<'a> {
    username: &'a str,
    #[serde(flatten)]
    template: &'a Template,
}

/// The `params` column, read back.
#[derive(Deserialize)]
struct Params {
    username: String,
    #[serde(flatten)]
    template: Template,
}

/// Queues `message` in the caller's transaction: it is sent only if that transaction commits,
/// and the couriers of this process are woken when it does.
pub(crate) async fn enqueue(
    tx: &mut shared::db::Tx,
    now: Micros,
    message: &Outgoing,
) -> Result<()> {
    let params = serde_json::to_string(&ParamsRef {
        username: &message.username,
        template: &message.template,
    })
    .map_err(Error::internal)?;
    let id = crate::new_id();
    mail_outbox::insert(
        tx,
        &NewMessage {
            id: &id,
            recipient: &message.to,
            template: message.template.name(),
            params: &params,
            now,
        },
    )
    .await?;
    tx.after_commit(wake_couriers);
    Ok(())
}

/// Starts the courier for this replica and the sweep of finished messages. Without a
/// transport only the sweep runs, and a warning says that messages stay queued. The app stops
/// the courier gracefully once it has drained its RPCs ([`Running::stop`]).
pub(crate) fn start(state: &AppState) -> Running {
    courier::start(&state.db, &state.clock, &state.config.mail)
}

/// Bumped after each commit that queued mail. A `watch` rather than a `Notify`: a courier
/// busy sending when the commit lands sees the change when it next waits, so no wake-up is
/// lost. Process-wide because [`enqueue`] gets only the caller's transaction; a courier woken
/// for another database of the same process (tests run many) merely looks once.
static WAKE: LazyLock<watch::Sender<u64>> = LazyLock::new(|| watch::Sender::new(0));

/// Wakes every courier of this process.
fn wake_couriers() {
    WAKE.send_modify(|n| *n = n.wrapping_add(1));
}

/// A courier's subscription to [`WAKE`].
fn wake_ups() -> watch::Receiver<u64> {
    WAKE.subscribe()
}
