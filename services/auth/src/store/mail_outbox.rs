//! `mail_outbox`: messages waiting for the courier, and what became of them (see
//! `crate::mail` for the states and why an interrupted send is never retried).
//!
//! States: `QUEUED` (waiting, due at `next_attempt_at`), `CLAIMED` (leased by a courier that has
//! not begun sending it), `SENDING` (a courier began handing it to the server), `SENT`, and
//! `FAILED` (refused, out of attempts, or interrupted mid-send).
//!
//! Every transition is one conditional `UPDATE`: a courier changes only rows in the state it
//! expects and under its own lease, so two replicas can never both move one row forward.

use shared::db::Backend;
use shared::time::Micros;
use sqlx::AnyConnection;

/// A message to insert.
#[derive(Debug, Clone)]
pub(crate) struct NewMessage<'a> {
    /// UUIDv7.
    pub id: &'a str,
    /// The recipient's address.
    pub recipient: &'a str,
    /// The template's stored name (`VERIFY_EMAIL`, …).
    pub template: &'a str,
    /// The template's values, JSON.
    pub params: &'a str,
    /// When it was queued (and first due).
    pub now: Micros,
}

/// A message a courier holds: claimed, and then marked as being sent.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct ClaimedRow {
    /// Message id.
    pub id: String,
    /// The recipient's address.
    pub recipient: String,
    /// The template's stored name.
    pub template: String,
    /// The template's values, JSON (`None` only for a row scrubbed by hand).
    pub params: Option<String>,
}

/// Queues a message, due now.
#[tracing::instrument(level = "debug", skip_all, fields(id = %row.id, template = %row.template))]
pub(crate) async fn insert(conn: &mut AnyConnection, row: &NewMessage<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO mail_outbox (id, recipient, template, params, state, attempts, created_at, \
         next_attempt_at) VALUES ($1, $2, $3, $4, 'QUEUED', 0, $5, $5)",
    )
    .bind(row.id)
    .bind(row.recipient)
    .bind(row.template)
    .bind(row.params)
    .bind(row.now)
    .execute(conn)
    .await
    .map(|_| ())
}

/// Claims up to `limit` due, unleased messages for `owner` until `lease_until`, oldest due
/// first. On PostgreSQL the rows another replica is claiming at the same moment are skipped
/// (`FOR UPDATE SKIP LOCKED`), and the outer `state = 'QUEUED'` is re-checked on a row that
/// changed while this statement waited for it; SQLite has one writer at a time.
#[tracing::instrument(level = "debug", skip_all)]
pub(crate) async fn claim_due(
    conn: &mut AnyConnection,
    backend: Backend,
    owner: &str,
    now: Micros,
    lease_until: Micros,
    limit: i64,
) -> sqlx::Result<Vec<ClaimedRow>> {
    const POSTGRES: &str = "UPDATE mail_outbox SET state = 'CLAIMED', lease_owner = $1, \
         lease_until = $2 WHERE state = 'QUEUED' AND id IN (SELECT id FROM mail_outbox \
         WHERE state = 'QUEUED' AND next_attempt_at <= $3 ORDER BY next_attempt_at, id \
         LIMIT $4 FOR UPDATE SKIP LOCKED) \
         RETURNING id, recipient, template, params";
    const SQLITE: &str = "UPDATE mail_outbox SET state = 'CLAIMED', lease_owner = $1, \
         lease_until = $2 WHERE state = 'QUEUED' AND id IN (SELECT id FROM mail_outbox \
         WHERE state = 'QUEUED' AND next_attempt_at <= $3 ORDER BY next_attempt_at, id \
         LIMIT $4) \
         RETURNING id, recipient, template, params";
    let sql = match backend {
        Backend::Postgres => POSTGRES,
        Backend::Sqlite => SQLITE,
    };
    let mut rows: Vec<ClaimedRow> = sqlx::query_as(sql)
        .bind(owner)
        .bind(lease_until)
        .bind(now)
        .bind(limit)
        .fetch_all(conn)
        .await?;
    // RETURNING gives no order: send oldest first.
    rows.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(rows)
}

/// Marks a claimed message as being sent, counts the attempt and renews the lease; the number
/// of attempts begun so far, or `None` when the row is no longer this owner's claim (its lease
/// expired and another courier took it back): then it must not be sent.
#[tracing::instrument(level = "debug", skip_all, fields(id = %id))]
pub(crate) async fn begin_sending(
    conn: &mut AnyConnection,
    id: &str,
    owner: &str,
    lease_until: Micros,
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar(
        "UPDATE mail_outbox SET state = 'SENDING', attempts = attempts + 1, lease_until = $3 \
         WHERE id = $1 AND lease_owner = $2 AND state = 'CLAIMED' RETURNING attempts",
    )
    .bind(id)
    .bind(owner)
    .bind(lease_until)
    .fetch_optional(conn)
    .await
}

/// Records that the message was accepted and scrubs its parameters. Also applies to a row the
/// lease expiry already gave up (a send that outlived its lease, on a skewed clock): what
/// happened wins over what was feared. False when the row is not this owner's.
#[tracing::instrument(level = "debug", skip_all, fields(id = %id))]
pub(crate) async fn mark_sent(
    conn: &mut AnyConnection,
    id: &str,
    owner: &str,
    now: Micros,
) -> sqlx::Result<bool> {
    sqlx::query(
        "UPDATE mail_outbox SET state = 'SENT', params = NULL, finished_at = $3, \
         lease_until = NULL, last_error = NULL \
         WHERE id = $1 AND lease_owner = $2 AND state IN ('SENDING', 'FAILED')",
    )
    .bind(id)
    .bind(owner)
    .bind(now)
    .execute(conn)
    .await
    .map(|done| done.rows_affected() == 1)
}

/// Puts a message the server did not take back in the queue, due at `next_attempt_at`.
#[tracing::instrument(level = "debug", skip_all, fields(id = %id))]
pub(crate) async fn retry_later(
    conn: &mut AnyConnection,
    id: &str,
    owner: &str,
    next_attempt_at: Micros,
    error: &str,
) -> sqlx::Result<bool> {
    sqlx::query(
        "UPDATE mail_outbox SET state = 'QUEUED', next_attempt_at = $3, lease_owner = NULL, \
         lease_until = NULL, last_error = $4 \
         WHERE id = $1 AND lease_owner = $2 AND state = 'SENDING'",
    )
    .bind(id)
    .bind(owner)
    .bind(next_attempt_at)
    .bind(error)
    .execute(conn)
    .await
    .map(|done| done.rows_affected() == 1)
}

/// Gives a message up and scrubs its parameters.
#[tracing::instrument(level = "debug", skip_all, fields(id = %id))]
pub(crate) async fn give_up(
    conn: &mut AnyConnection,
    id: &str,
    owner: &str,
    now: Micros,
    error: &str,
) -> sqlx::Result<bool> {
    sqlx::query(
        "UPDATE mail_outbox SET state = 'FAILED', params = NULL, finished_at = $3, \
         lease_until = NULL, last_error = $4 \
         WHERE id = $1 AND lease_owner = $2 AND state IN ('CLAIMED', 'SENDING')",
    )
    .bind(id)
    .bind(owner)
    .bind(now)
    .bind(error)
    .execute(conn)
    .await
    .map(|done| done.rows_affected() == 1)
}

/// Returns the messages `owner` claimed but has not started to the queue (its courier is
/// stopping), so another replica can take them at once instead of after the lease; how many.
#[tracing::instrument(level = "debug", skip_all)]
pub(crate) async fn release_claims(conn: &mut AnyConnection, owner: &str) -> sqlx::Result<u64> {
    sqlx::query(
        "UPDATE mail_outbox SET state = 'QUEUED', lease_owner = NULL, lease_until = NULL \
         WHERE state = 'CLAIMED' AND lease_owner = $1",
    )
    .bind(owner)
    .execute(conn)
    .await
    .map(|done| done.rows_affected())
}

/// Returns up to `limit` claimed messages whose lease expired before any send began (their
/// courier stopped) to the queue; how many.
#[tracing::instrument(level = "debug", skip_all)]
pub(crate) async fn requeue_expired_claims(
    conn: &mut AnyConnection,
    now: Micros,
    limit: i64,
) -> sqlx::Result<u64> {
    sqlx::query(
        "UPDATE mail_outbox SET state = 'QUEUED', lease_owner = NULL, lease_until = NULL \
         WHERE state = 'CLAIMED' AND id IN (SELECT id FROM mail_outbox \
         WHERE state = 'CLAIMED' AND lease_until < $1 ORDER BY lease_until, id LIMIT $2)",
    )
    .bind(now)
    .bind(limit)
    .execute(conn)
    .await
    .map(|done| done.rows_affected())
}

/// Gives up to `limit` messages whose lease expired mid-send (their courier stopped while
/// talking to the server, so they may have been delivered), scrubbing their parameters; how
/// many. The lease owner is kept: a send that finishes late can still record success.
#[tracing::instrument(level = "debug", skip_all)]
pub(crate) async fn fail_expired_sends(
    conn: &mut AnyConnection,
    now: Micros,
    error: &str,
    limit: i64,
) -> sqlx::Result<u64> {
    sqlx::query(
        "UPDATE mail_outbox SET state = 'FAILED', params = NULL, finished_at = $1, \
         lease_until = NULL, last_error = $2 \
         WHERE state = 'SENDING' AND id IN (SELECT id FROM mail_outbox \
         WHERE state = 'SENDING' AND lease_until < $1 ORDER BY lease_until, id LIMIT $3)",
    )
    .bind(now)
    .bind(error)
    .bind(limit)
    .execute(conn)
    .await
    .map(|done| done.rows_affected())
}

/// When the next queued message falls due, if any is queued.
#[tracing::instrument(level = "debug", skip_all)]
pub(crate) async fn next_due(conn: &mut AnyConnection) -> sqlx::Result<Option<Micros>> {
    sqlx::query_scalar("SELECT MIN(next_attempt_at) FROM mail_outbox WHERE state = 'QUEUED'")
        .fetch_one(conn)
        .await
}

/// Deletes up to `limit` sent or given-up messages finished before `before`; how many went.
#[tracing::instrument(level = "debug", skip_all)]
pub(crate) async fn delete_finished_before(
    conn: &mut AnyConnection,
    before: Micros,
    limit: i64,
) -> sqlx::Result<u64> {
    sqlx::query(
        "DELETE FROM mail_outbox WHERE id IN (SELECT id FROM mail_outbox \
         WHERE state IN ('SENT', 'FAILED') AND finished_at < $1 \
         ORDER BY finished_at, id LIMIT $2)",
    )
    .bind(before)
    .bind(limit)
    .execute(conn)
    .await
    .map(|done| done.rows_affected())
}
