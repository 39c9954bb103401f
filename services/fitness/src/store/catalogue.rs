//! `catalogue_entries`: each user's custom catalogue entries (the built-in ones ship in the
//! binary). Muscles are stored as comma-separated names; `name_key` is the lowercased name,
//! unique per user and the key listings are ordered by.

use shared::db::Backend;
use sqlx::AnyConnection;

use super::keyset::Keyset;

/// A stored custom entry.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CustomRow {
    /// UUIDv7.
    pub id: String,
    /// Name as given.
    pub name: String,
    /// Lowercased name: unique per user, the listing order.
    pub name_key: String,
    /// Stored `Category` name.
    pub category: String,
    /// Comma-separated stored `Muscle` names.
    pub primary_muscles: String,
    /// Comma-separated stored `Muscle` names; may be empty.
    pub secondary_muscles: String,
    /// Stored `Equipment` name.
    pub equipment: String,
    /// Stored `TrackingMode` name.
    pub tracking_mode: String,
    /// Microseconds since the epoch.
    pub created_at: i64,
}

macro_rules! columns {
    () => {
        "id, name, name_key, category, primary_muscles, secondary_muscles, equipment, \
         tracking_mode, created_at"
    };
}

/// Inserts a custom entry of the user; a unique violation when the user already has one of
/// that `name_key`.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn insert(conn: &mut AnyConnection, user_id: &str, row: &CustomRow) -> sqlx::Result<()> {
    sqlx::query(concat!(
        "INSERT INTO catalogue_entries (user_id, ",
        columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    ))
    .bind(user_id)
    .bind(&row.id)
    .bind(&row.name)
    .bind(&row.name_key)
    .bind(&row.category)
    .bind(&row.primary_muscles)
    .bind(&row.secondary_muscles)
    .bind(&row.equipment)
    .bind(&row.tracking_mode)
    .bind(row.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// One of the user's custom entries, by id.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn get(
    conn: &mut AnyConnection,
    user_id: &str,
    id: &str,
) -> sqlx::Result<Option<CustomRow>> {
    sqlx::query_as(concat!(
        "SELECT ",
        columns!(),
        " FROM catalogue_entries WHERE user_id = $1 AND id = $2"
    ))
    .bind(user_id)
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// The user's custom entry whose lowercased name is `name_key`.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn by_name_key(
    conn: &mut AnyConnection,
    user_id: &str,
    name_key: &str,
) -> sqlx::Result<Option<CustomRow>> {
    sqlx::query_as(concat!(
        "SELECT ",
        columns!(),
        " FROM catalogue_entries WHERE user_id = $1 AND name_key = $2"
    ))
    .bind(user_id)
    .bind(name_key)
    .fetch_optional(conn)
    .await
}

/// Deletes one of the user's custom entries; false when there was none.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn delete(conn: &mut AnyConnection, user_id: &str, id: &str) -> sqlx::Result<bool> {
    let done = sqlx::query("DELETE FROM catalogue_entries WHERE user_id = $1 AND id = $2")
        .bind(user_id)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// True when one of the user's exercises references the entry `id` (index
/// `exercises_catalogue_idx`).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn in_use(conn: &mut AnyConnection, user_id: &str, id: &str) -> sqlx::Result<bool> {
    let found: Option<i32> = sqlx::query_scalar(
        "SELECT 1 FROM exercises WHERE user_id = $1 AND catalogue_entry_id = $2 LIMIT 1",
    )
    .bind(user_id)
    .bind(id)
    .fetch_optional(conn)
    .await?;
    Ok(found.is_some())
}

/// Filters of a listing, already in stored form; `None` means "no constraint".
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// A `LIKE` pattern over `,primary,secondary,` matching one muscle's stored name.
    pub muscle_like: Option<String>,
    /// Stored `Equipment` name.
    pub equipment: Option<String>,
    /// Stored `Category` name.
    pub category: Option<String>,
    /// A `LIKE` pattern over `name_key` (so already lowercased).
    pub name_like: Option<String>,
}

/// One page of the user's custom entries by (`name_key`, `id`), strictly after `after`.
///
/// Listings merge these with the built-in entries, ordered in memory by the same key, so the
/// database must compare text by its bytes as Rust does: SQLite's default collation does;
/// on PostgreSQL the database's collation may be a locale's, so the order says `COLLATE "C"`.
#[tracing::instrument(level = "debug", skip_all, fields(limit))]
pub async fn list(
    conn: &mut AnyConnection,
    backend: Backend,
    user_id: &str,
    filter: &Filter,
    after: Option<&(String, String)>,
    limit: i64,
) -> sqlx::Result<Vec<CustomRow>> {
    const WHERE: &str = "user_id = $1 \
         AND ($2 IS NULL OR (',' || primary_muscles || ',' || secondary_muscles || ',') \
              LIKE $2 ESCAPE '\\') \
         AND ($3 IS NULL OR equipment = $3) \
         AND ($4 IS NULL OR category = $4) \
         AND ($5 IS NULL OR name_key LIKE $5 ESCAPE '\\')";
    let collate = match backend {
        Backend::Sqlite => "",
        Backend::Postgres => " COLLATE \"C\"",
    };
    let (key, id) = (format!("name_key{collate}"), format!("id{collate}"));
    let sql = match after {
        None => format!(
            "SELECT {} FROM catalogue_entries WHERE {WHERE} ORDER BY {key}, {id} LIMIT $6",
            columns!()
        ),
        Some(_) => format!(
            "SELECT {} FROM catalogue_entries WHERE {WHERE} \
             AND ({key} > $7 OR ({key} = $7 AND {id} > $8)) \
             ORDER BY {key}, {id} LIMIT $6",
            columns!()
        ),
    };
    let mut query = sqlx::query_as(&sql)
        .bind(user_id)
        .bind(filter.muscle_like.as_deref())
        .bind(filter.equipment.as_deref())
        .bind(filter.category.as_deref())
        .bind(filter.name_like.as_deref())
        .bind(limit);
    if let Some((name_key, id)) = after {
        query = query.bind(name_key.as_str()).bind(id.as_str());
    }
    query.fetch_all(conn).await
}

/// The user's custom entries by `name_key` alone (unique per user), in the database's order:
/// the walk of every entry, with no filter and no merge with the built-in ones.
pub const PAGES: Keyset<CustomRow, 1> = Keyset::new("catalogue_entries", columns!(), ["name_key"]);
