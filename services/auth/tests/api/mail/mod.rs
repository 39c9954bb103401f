//! Transactional mail through the real service and a real SMTP server
//! (`testkit::mail::Mailbox`, aiosmtpd): what Register queues is delivered with the
//! configured product name, sender and links; a server that comes up late still gets it,
//! once; the file transport writes it; replicas on one database send each message once; and
//! plaintext SMTP across a network is refused at startup. The outbox's own rules (rollback,
//! give-up, leases, scrubbing) are tested against the database in `src/mail/tests.rs`.

mod delivery;
mod replicas;
mod startup;

use shared::db::Db;

/// `(state, attempts, params)` of the one outbox row to `to`.
async fn outbox_row(db: &Db, to: &str) -> Option<(String, i64, Option<String>)> {
    sqlx::query_as("SELECT state, attempts, params FROM mail_outbox WHERE recipient = $1")
        .bind(to)
        .fetch_optional(db.pool())
        .await
        .unwrap()
}

/// Why the last attempt at the message to `to` failed.
async fn last_error(db: &Db, to: &str) -> String {
    sqlx::query_scalar::<_, Option<String>>(
        "SELECT last_error FROM mail_outbox WHERE recipient = $1",
    )
    .bind(to)
    .fetch_one(db.pool())
    .await
    .unwrap()
    .unwrap_or_default()
}
