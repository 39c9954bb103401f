//! `revocation_events` and its counter `revocation_sequence`: the sequenced feed that
//! `WatchRevocations` serves (see `docs/ARCHITECTURE.md`, "The revocation feed").

use shared::time::Micros;
use sqlx::AnyConnection;

/// The columns of [`EventRow`], in its field order.
const COLUMNS: &str = "sequence, kind, jti, session_id, user_id, revoked_at, expires_at";

/// The committed head of the feed: the last sequence handed out by a committed transaction.
/// Every event up to it is committed (or pruned), because sequences are taken under the
/// counter's row lock.
#[tracing::instrument(level = "debug", skip_all)]
pub(crate) async fn head(conn: &mut AnyConnection) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT value FROM revocation_sequence WHERE id = 1")
        .fetch_one(conn)
        .await
}

/// The committed head, and the event stored at `sequence` if there is one: a stream opens
/// with both, to tell whether the consumer's position is in this feed's history. One round
/// trip; the event is found by its primary key.
#[tracing::instrument(level = "debug", skip_all, fields(sequence))]
pub(crate) async fn head_and_event(
    conn: &mut AnyConnection,
    sequence: i64,
) -> sqlx::Result<(i64, Option<EventRow>)> {
    let row: HeadAndEvent = sqlx::query_as(
        "SELECT s.value AS head, e.sequence, e.kind, e.jti, e.session_id, e.user_id, \
         e.revoked_at, e.expires_at \
         FROM revocation_sequence s LEFT JOIN revocation_events e ON e.sequence = $1 \
         WHERE s.id = 1",
    )
    .bind(sequence)
    .fetch_one(conn)
    .await?;
    Ok(row.split())
}

/// The row of [`head_and_event`]: the event's columns are NULL when none is stored there.
#[derive(sqlx::FromRow)]
struct HeadAndEvent {
    head: i64,
    sequence: Option<i64>,
    kind: Option<String>,
    jti: Option<String>,
    session_id: Option<String>,
    user_id: Option<String>,
    revoked_at: Option<Micros>,
    expires_at: Option<Micros>,
}

impl HeadAndEvent {
    fn split(self) -> (i64, Option<EventRow>) {
        let event = match (
            self.sequence,
            self.kind,
            self.user_id,
            self.revoked_at,
            self.expires_at,
        ) {
            (Some(sequence), Some(kind), Some(user_id), Some(revoked_at), Some(expires_at)) => {
                Some(EventRow {
                    sequence,
                    kind,
                    jti: self.jti,
                    session_id: self.session_id,
                    user_id,
                    revoked_at,
                    expires_at,
                })
            }
            _ => None,
        };
        (self.head, event)
    }
}

/// The event stored at `sequence`, live or not (a heartbeat names the digest of its head).
#[tracing::instrument(level = "debug", skip_all, fields(sequence))]
pub(crate) async fn event_at(
    conn: &mut AnyConnection,
    sequence: i64,
) -> sqlx::Result<Option<EventRow>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM revocation_events WHERE sequence = $1"
    ))
    .bind(sequence)
    .fetch_optional(conn)
    .await
}

/// The feed's identity, created on first call (`candidate`, a fresh UUID) and stable after.
#[tracing::instrument(level = "debug", skip_all)]
pub(crate) async fn identity(conn: &mut AnyConnection, candidate: &str) -> sqlx::Result<String> {
    sqlx::query("UPDATE revocation_sequence SET feed_id = $1 WHERE id = 1 AND feed_id = ''")
        .bind(candidate)
        .execute(&mut *conn)
        .await?;
    sqlx::query_scalar("SELECT feed_id FROM revocation_sequence WHERE id = 1")
        .fetch_one(conn)
        .await
}

/// Takes the next feed sequence. The row lock on `revocation_sequence` is held until the
/// transaction ends, so revoking transactions commit in sequence order.
#[tracing::instrument(level = "debug", skip_all)]
pub(crate) async fn next_sequence(conn: &mut AnyConnection) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "UPDATE revocation_sequence SET value = value + 1 WHERE id = 1 RETURNING value",
    )
    .fetch_one(conn)
    .await
}

/// A stored feed event.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct EventRow {
    /// Feed position.
    pub sequence: i64,
    /// `TOKEN` or `SESSION`.
    pub kind: String,
    /// The revoked token (kind TOKEN).
    pub jti: Option<String>,
    /// The revoked session, or the revoked token's session.
    pub session_id: Option<String>,
    /// Owner.
    pub user_id: String,
    /// When it was revoked.
    pub revoked_at: Micros,
    /// After this nothing it concerns can be valid.
    pub expires_at: Micros,
}

/// Appends a feed event.
#[tracing::instrument(level = "debug", skip_all, fields(sequence = event.sequence, kind = %event.kind))]
pub(crate) async fn insert(conn: &mut AnyConnection, event: &EventRow) -> sqlx::Result<()> {
    sqlx::query(&format!(
        "INSERT INTO revocation_events ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
    ))
    .bind(event.sequence)
    .bind(&event.kind)
    .bind(event.jti.as_deref())
    .bind(event.session_id.as_deref())
    .bind(&event.user_id)
    .bind(event.revoked_at)
    .bind(event.expires_at)
    .execute(conn)
    .await
    .map(|_| ())
}

/// Up to `limit` events with `after < sequence <= upto` that still matter (`expires_at` later
/// than `live_after`), in sequence order.
#[tracing::instrument(level = "debug", skip_all, fields(after, upto))]
pub(crate) async fn events_between(
    conn: &mut AnyConnection,
    after: i64,
    upto: i64,
    live_after: Micros,
    limit: i64,
) -> sqlx::Result<Vec<EventRow>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM revocation_events \
         WHERE sequence > $1 AND sequence <= $2 AND expires_at > $3 ORDER BY sequence LIMIT $4"
    ))
    .bind(after)
    .bind(upto)
    .bind(live_after)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Deletes events whose `expires_at` is not later than `before`, except the one at the head:
/// heartbeats carry its digest, which consumers send back to prove their position is in this
/// feed's history, and a feed with nothing to revoke for a while still has a head.
#[tracing::instrument(level = "debug", skip_all)]
pub(crate) async fn delete_expired(conn: &mut AnyConnection, before: Micros) -> sqlx::Result<u64> {
    sqlx::query(
        "DELETE FROM revocation_events WHERE expires_at <= $1 \
         AND sequence < (SELECT value FROM revocation_sequence WHERE id = 1)",
    )
    .bind(before)
    .execute(conn)
    .await
    .map(|r| r.rows_affected())
}
