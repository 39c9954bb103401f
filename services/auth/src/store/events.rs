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
