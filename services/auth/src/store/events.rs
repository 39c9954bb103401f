//! `security_events`.

use shared::time::Micros;
use sqlx::AnyConnection;

use crate::events::SecurityEvent;

/// A stored security event.
#[derive(Debug, sqlx::FromRow)]
pub struct EventRow {
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
#[tracing::instrument(skip_all, fields(event = event.kind.as_str()))]
pub async fn insert(
    conn: &mut AnyConnection,
    event: &SecurityEvent,
    now: Micros,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO security_events \
         (id, user_id, event_type, session_id, ip, user_agent, detail, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(crate::new_id())
    .bind(event.user_id.as_deref())
    .bind(event.kind.as_str())
    .bind(event.session_id.as_deref())
    .bind(&event.ip)
    .bind(&event.user_agent)
    .bind(&event.detail)
    .bind(now)
    .execute(conn)
    .await
    .map(|_| ())
}

/// Filters of the security event listing.
#[derive(Debug, Default)]
pub struct EventFilter<'a> {
    /// Only this user's events.
    pub user_id: Option<&'a str>,
    /// Only this stored type name.
    pub event_type: Option<&'a str>,
    /// Created at or after.
    pub start: Option<Micros>,
    /// Created before.
    pub end: Option<Micros>,
}

/// A page of events matching `filter`, newest first, after the keyset `(created_at, id)`.
#[tracing::instrument(skip_all)]
pub async fn list(
    conn: &mut AnyConnection,
    filter: &EventFilter<'_>,
    after: Option<(Micros, &str)>,
    limit: i64,
) -> sqlx::Result<Vec<EventRow>> {
    // Fixed fragments only; every value is a bound parameter.
    let mut sql = String::from(
        "SELECT id, user_id, event_type, session_id, ip, user_agent, detail, created_at \
         FROM security_events WHERE (created_at < $1 OR (created_at = $1 AND id < $2))",
    );
    let mut n = 2;
    let mut clause = |sql: &mut String, fragment: &str| {
        n += 1;
        sql.push_str(&fragment.replace("$?", &format!("${n}")));
    };
    if filter.user_id.is_some() {
        clause(&mut sql, " AND user_id = $?");
    }
    if filter.event_type.is_some() {
        clause(&mut sql, " AND event_type = $?");
    }
    if filter.start.is_some() {
        clause(&mut sql, " AND created_at >= $?");
    }
    if filter.end.is_some() {
        clause(&mut sql, " AND created_at < $?");
    }
    clause(&mut sql, " ORDER BY created_at DESC, id DESC LIMIT $?");

    let (created_at, id) = after.unwrap_or((i64::MAX, ""));
    let mut query = sqlx::query_as(&sql).bind(created_at).bind(id);
    if let Some(user_id) = filter.user_id {
        query = query.bind(user_id);
    }
    if let Some(event_type) = filter.event_type {
        query = query.bind(event_type);
    }
    if let Some(start) = filter.start {
        query = query.bind(start);
    }
    if let Some(end) = filter.end {
        query = query.bind(end);
    }
    query.bind(limit).fetch_all(conn).await
}
