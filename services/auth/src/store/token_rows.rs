//! The revocation columns `access_tokens` and `refresh_tokens` share (`jti`, `session_id`,
//! `user_id`, `expires_at`, `revoked_at`), queried alike: each table's module calls these
//! with its own name, so one statement serves both.

use shared::sql::select_ids_in;
use shared::time::Micros;
use sqlx::AnyConnection;

/// One of the two token tables.
#[derive(Debug, Clone, Copy)]
pub(super) enum Table {
    /// `access_tokens`.
    Access,
    /// `refresh_tokens`.
    Refresh,
}

impl Table {
    fn name(self) -> &'static str {
        match self {
            Table::Access => "access_tokens",
            Table::Refresh => "refresh_tokens",
        }
    }
}

/// `(session_id, user_id)` of token `jti`.
pub(super) async fn owner(
    conn: &mut AnyConnection,
    table: Table,
    jti: &str,
) -> sqlx::Result<Option<(String, String)>> {
    sqlx::query_as(&format!(
        "SELECT session_id, user_id FROM {} WHERE jti = $1",
        table.name()
    ))
    .bind(jti)
    .fetch_optional(conn)
    .await
}

/// Marks token `jti` revoked if it is not already; `(session_id, user_id, expires_at)` when
/// this call revoked it.
pub(super) async fn revoke(
    conn: &mut AnyConnection,
    table: Table,
    jti: &str,
    now: Micros,
) -> sqlx::Result<Option<(String, String, Micros)>> {
    sqlx::query_as(&format!(
        "UPDATE {} SET revoked_at = $2 WHERE jti = $1 AND revoked_at IS NULL \
         RETURNING session_id, user_id, expires_at",
        table.name()
    ))
    .bind(jti)
    .bind(now)
    .fetch_optional(conn)
    .await
}

/// Marks every not-yet-revoked token of a session revoked; returns how many.
pub(super) async fn revoke_session(
    conn: &mut AnyConnection,
    table: Table,
    session_id: &str,
    now: Micros,
) -> sqlx::Result<u64> {
    sqlx::query(&format!(
        "UPDATE {} SET revoked_at = $2 WHERE session_id = $1 AND revoked_at IS NULL",
        table.name()
    ))
    .bind(session_id)
    .bind(now)
    .execute(conn)
    .await
    .map(|r| r.rows_affected())
}

/// The revoked tokens among `jtis`.
pub(super) async fn revoked_among(
    conn: &mut AnyConnection,
    table: Table,
    jtis: &[String],
) -> sqlx::Result<Vec<String>> {
    match table {
        Table::Access => {
            let sql = "SELECT jti FROM access_tokens WHERE revoked_at IS NOT NULL AND jti IN";
            select_ids_in(conn, sql, jtis).await
        }
        Table::Refresh => {
            let sql = "SELECT jti FROM refresh_tokens WHERE revoked_at IS NOT NULL AND jti IN";
            select_ids_in(conn, sql, jtis).await
        }
    }
}
