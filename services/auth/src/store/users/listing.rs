//! The admin views of `users`: the listing (search, role and active filters, oldest first) and
//! the dashboard's counts.

use shared::db::Flag;
use shared::time::Micros;
use sqlx::AnyConnection;

use super::{SELECT, UserRow};

/// The optional filters, written once (`$n IS NULL OR …`, see `shared::sql`).
const FILTERS: &str = "($1 IS NULL OR lower(u.username) LIKE lower($1) ESCAPE '\\' \
     OR lower(u.email) LIKE lower($1) ESCAPE '\\' \
     OR lower(u.first_name) LIKE lower($1) ESCAPE '\\' \
     OR lower(u.last_name) LIKE lower($1) ESCAPE '\\' \
     OR lower(p.full_name) LIKE lower($1) ESCAPE '\\') \
     AND ($2 IS NULL OR u.role = $2) AND ($3 IS NULL OR u.active = $3)";

/// Filters of the admin user listing; `None` means "no constraint".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct UserFilter {
    /// Case-insensitive substring of username, email, names or full name, as a `LIKE`
    /// pattern (`shared::sql::contains_pattern`).
    pub query_like: Option<String>,
    /// Stored role name.
    pub role: Option<&'static str>,
    /// `active` flag.
    pub active: Option<bool>,
}

/// A page of users matching `filter`, oldest first, after the keyset `(created_at, id)`.
#[tracing::instrument(level = "debug", skip_all)]
pub(crate) async fn list(
    conn: &mut AnyConnection,
    filter: &UserFilter,
    after: Option<&(Micros, String)>,
    limit: i64,
) -> sqlx::Result<Vec<UserRow>> {
    let sql = match after {
        None => format!("{SELECT} WHERE {FILTERS} ORDER BY u.created_at, u.id LIMIT $4"),
        Some(_) => format!(
            "{SELECT} WHERE {FILTERS} \
             AND (u.created_at > $5 OR (u.created_at = $5 AND u.id > $6)) \
             ORDER BY u.created_at, u.id LIMIT $4"
        ),
    };
    let mut query = sqlx::query_as(&sql)
        .bind(filter.query_like.as_deref())
        .bind(filter.role)
        .bind(filter.active.map(Flag))
        .bind(limit);
    if let Some((created_at, id)) = after {
        query = query.bind(*created_at).bind(id.as_str());
    }
    query.fetch_all(conn).await
}

/// `(every user, active users)`.
#[tracing::instrument(level = "debug", skip_all)]
pub(crate) async fn counts(conn: &mut AnyConnection) -> sqlx::Result<(i64, i64)> {
    sqlx::query_as("SELECT COUNT(*), COUNT(CASE WHEN active = $1 THEN 1 END) FROM users")
        .bind(Flag(true))
        .fetch_one(conn)
        .await
}
