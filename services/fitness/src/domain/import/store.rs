//! What the import reads of the user's rows: which of a file's workouts were imported
//! before, and which of its exercise names the user already has.

use std::collections::{HashMap, HashSet};

use futures::TryStreamExt as _;
use sqlx::AnyConnection;

/// Most keys bound in one statement (SQLite allows 999 binds).
const KEYS_PER_QUERY: usize = 900;

/// The keys among `keys` of the user's workouts: one query per 900 keys.
#[tracing::instrument(level = "debug", skip_all, fields(keys = keys.len()))]
pub async fn taken_keys(
    conn: &mut AnyConnection,
    user_id: &str,
    keys: &[String],
) -> sqlx::Result<HashSet<String>> {
    let mut taken = HashSet::new();
    for batch in keys.chunks(KEYS_PER_QUERY) {
        let sql = format!(
            "SELECT import_key FROM workouts WHERE user_id = $1 AND import_key IN ({})",
            shared::sql::placeholders(2, batch.len())
        );
        let mut query = sqlx::query_scalar::<_, String>(&sql).bind(user_id);
        for key in batch {
            query = query.bind(key);
        }
        taken.extend(query.fetch_all(&mut *conn).await?);
    }
    Ok(taken)
}

/// The user's oldest exercise of each name in `wanted` (lower-case name → the caller's
/// index): `(id, tracking_mode)` by index. The user's exercises are streamed, not held, and
/// names compared in lower case here, the same on both backends.
#[tracing::instrument(level = "debug", skip_all, fields(wanted = wanted.len()))]
pub async fn exercises_named(
    conn: &mut AnyConnection,
    user_id: &str,
    wanted: &HashMap<String, usize>,
) -> sqlx::Result<HashMap<usize, (String, String)>> {
    let mut found = HashMap::new();
    let mut rows = sqlx::query_as::<_, (String, String, String)>(
        "SELECT id, name, tracking_mode FROM exercises WHERE user_id = $1 \
         ORDER BY created_at, id",
    )
    .bind(user_id)
    .fetch(conn);
    while let Some((id, name, mode)) = rows.try_next().await? {
        if let Some(&index) = wanted.get(&name.to_lowercase()) {
            found.entry(index).or_insert((id, mode));
        }
    }
    Ok(found)
}
