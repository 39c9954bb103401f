//! `security_events`: the security log, appended in the transaction of the change it records.

use shared::time::Micros;
use sqlx::AnyConnection;

/// The columns of [`EventRow`], in its field order.
const COLUMNS: &str = "id, user_id, event_type, session_id, ip, user_agent, detail, created_at";

/// The optional filters of a listing, written once (`$n IS NULL OR …`, see `shared::sql`).
const FILTERS: &str = "($1 IS NULL OR user_id = $1) AND ($2 IS NULL OR event_type = $2) \
                       AND ($3 IS NULL OR created_at >= $3) AND ($4 IS NULL OR created_at < $4)";

/// A stored security event.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct EventRow {
    /// Event id.
    pub id: String,
    /// User concerned.
    pub user_id: Option<String>,
    /// Stored type name.
    pub event_type: String,
    /// Session concerned.
    pub session_id: Option<String>,
    /// Client IP.
    pub ip: String,
    /// Client user agent.
    pub user_agent: String,
    /// Detail text.
    pub detail: String,
    /// When it was recorded.
    pub created_at: Micros,
}

/// Appends one event.
#[tracing::instrument(level = "debug", skip_all, fields(event = %row.event_type))]
pub(crate) async fn insert(conn: &mut AnyConnection, row: &EventRow) -> sqlx::Result<()> {
    sqlx::query(&format!(
        "INSERT INTO security_events ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    ))
    .bind(&row.id)
    .bind(row.user_id.as_deref())
    .bind(&row.event_type)
    .bind(row.session_id.as_deref())
    .bind(&row.ip)
    .bind(&row.user_agent)
    .bind(&row.detail)
    .bind(row.created_at)
    .execute(conn)
    .await
    .map(|_| ())
}

/// Filters of the security event listing; `None` means "no constraint".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct EventFilter {
    /// Only this user's events.
    pub user_id: Option<String>,
    /// Only this stored type name.
    pub event_type: Option<&'static str>,
    /// Created at or after.
    pub start: Option<Micros>,
    /// Created before.
    pub end: Option<Micros>,
}

/// A page of events matching `filter`, newest first, after the keyset `(created_at, id)`.
#[tracing::instrument(level = "debug", skip_all)]
pub(crate) async fn list(
    conn: &mut AnyConnection,
    filter: &EventFilter,
    after: Option<&(Micros, String)>,
    limit: i64,
) -> sqlx::Result<Vec<EventRow>> {
    let sql = match after {
        None => format!(
            "SELECT {COLUMNS} FROM security_events WHERE {FILTERS} \
             ORDER BY created_at DESC, id DESC LIMIT $5"
        ),
        Some(_) => format!(
            "SELECT {COLUMNS} FROM security_events WHERE {FILTERS} \
             AND (created_at < $6 OR (created_at = $6 AND id < $7)) \
             ORDER BY created_at DESC, id DESC LIMIT $5"
        ),
    };
    let mut query = sqlx::query_as(&sql)
        .bind(filter.user_id.as_deref())
        .bind(filter.event_type)
        .bind(filter.start)
        .bind(filter.end)
        .bind(limit);
    if let Some((created_at, id)) = after {
        query = query.bind(*created_at).bind(id.as_str());
    }
    query.fetch_all(conn).await
}

/// Microseconds in a day: `created_at / DAY` is the UTC day, counted from the Unix epoch.
pub(crate) const DAY: Micros = 86_400_000_000;

/// How many events of one type were recorded on one UTC day.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct DayCount {
    /// The UTC day, in days since the Unix epoch.
    pub day: i64,
    /// Stored type name.
    pub event_type: String,
    /// Number of events.
    pub events: i64,
}

/// The events of `types` recorded in `[start, end)`, counted per UTC day and type (days and
/// types without events are absent). One grouped pass over the range of the type index.
#[tracing::instrument(level = "debug", skip_all)]
pub(crate) async fn daily_counts(
    conn: &mut AnyConnection,
    types: [&str; 3],
    start: Micros,
    end: Micros,
) -> sqlx::Result<Vec<DayCount>> {
    sqlx::query_as(&format!(
        "SELECT created_at / {DAY} AS day, event_type, COUNT(*) AS events \
         FROM security_events \
         WHERE event_type IN ($1, $2, $3) AND created_at >= $4 AND created_at < $5 \
         GROUP BY day, event_type"
    ))
    .bind(types[0])
    .bind(types[1])
    .bind(types[2])
    .bind(start)
    .bind(end)
    .fetch_all(conn)
    .await
}

/// Deletes up to `limit` events recorded before `before`, oldest first; returns how many went.
/// Bounded so one sweep never holds the writer for long.
#[tracing::instrument(level = "debug", skip_all)]
pub(crate) async fn delete_before(
    conn: &mut AnyConnection,
    before: Micros,
    limit: i64,
) -> sqlx::Result<u64> {
    sqlx::query(
        "DELETE FROM security_events WHERE id IN \
         (SELECT id FROM security_events WHERE created_at < $1 ORDER BY created_at, id LIMIT $2)",
    )
    .bind(before)
    .bind(limit)
    .execute(conn)
    .await
    .map(|done| done.rows_affected())
}

/// Strips the events of a deleted user down to what the security log needs: what happened
/// and when, to a user id that no longer names anyone. Addresses, user agents and details
/// (which may name the account) go. Returns how many events were kept.
#[tracing::instrument(level = "debug", skip_all, fields(user_id))]
pub(crate) async fn anonymise(conn: &mut AnyConnection, user_id: &str) -> sqlx::Result<u64> {
    sqlx::query(
        "UPDATE security_events SET ip = '', user_agent = '', detail = '' WHERE user_id = $1",
    )
    .bind(user_id)
    .execute(conn)
    .await
    .map(|r| r.rows_affected())
}
