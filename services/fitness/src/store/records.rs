//! `personal_records`: the best set of each exercise by each measure (ranked by
//! `domain::records`), written in one statement and read in pages with their sets.

use shared::sql::placeholders;
use sqlx::AnyConnection;

use super::history::{SetRow, set_columns};
use super::keyset::Keyset;

/// Deletes the records of the user's `exercise_ids`.
#[tracing::instrument(level = "debug", skip_all, fields(exercises = exercise_ids.len()))]
pub async fn delete_of(
    conn: &mut AnyConnection,
    user_id: &str,
    exercise_ids: &[String],
) -> sqlx::Result<()> {
    if exercise_ids.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "DELETE FROM personal_records WHERE user_id = $1 AND exercise_id IN ({})",
        placeholders(2, exercise_ids.len())
    );
    let mut query = sqlx::query(&sql).bind(user_id);
    for id in exercise_ids {
        query = query.bind(id);
    }
    query.execute(conn).await?;
    Ok(())
}

/// The sets of the user's `exercise_ids` that can hold a record (warm-ups never do), streamed
/// to `each` one row at a time: a recompute holds the best set per kind, never the history.
#[tracing::instrument(level = "debug", skip_all, fields(exercises = exercise_ids.len()))]
pub async fn each_candidate(
    conn: &mut AnyConnection,
    user_id: &str,
    exercise_ids: &[String],
    mut each: impl FnMut(SetRow),
) -> sqlx::Result<()> {
    use futures::TryStreamExt as _;

    if exercise_ids.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "SELECT {} FROM sets s WHERE s.user_id = $1 AND s.set_type <> 'WARMUP' \
         AND s.exercise_id IN ({})",
        set_columns!(),
        placeholders(2, exercise_ids.len())
    );
    let mut query = sqlx::query_as::<_, SetRow>(&sql).bind(user_id);
    for id in exercise_ids {
        query = query.bind(id);
    }
    let mut rows = query.fetch(conn);
    while let Some(row) = rows.try_next().await? {
        each(row);
    }
    Ok(())
}

/// A stored record with the set holding it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RecordRow {
    /// The exercise's UUIDv7.
    pub exercise_id: String,
    /// Stored `RecordKind` name.
    pub kind: String,
    /// In the kind's integer unit.
    pub value: i64,
    /// The set holding the record, with its workout.
    #[sqlx(flatten)]
    pub set: SetRow,
}

/// Filters of a listing; `None` means "no constraint".
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only this exercise's records.
    pub exercise_id: Option<String>,
    /// Only records of this stored kind.
    pub kind: Option<String>,
}

/// Keyset position in the records: (exercise_id, kind) of the last record served.
pub type RecordAfter = (String, String);

/// One page of the user's records with their sets, by exercise id then kind, strictly after
/// `after`: one query.
#[tracing::instrument(level = "debug", skip_all, fields(limit))]
pub async fn list(
    conn: &mut AnyConnection,
    user_id: &str,
    filter: &Filter,
    after: Option<&RecordAfter>,
    limit: i64,
) -> sqlx::Result<Vec<RecordRow>> {
    const WHERE: &str = "r.user_id = $1 AND ($2 IS NULL OR r.exercise_id = $2) \
                         AND ($3 IS NULL OR r.kind = $3)";
    const ORDER: &str = "ORDER BY r.exercise_id, r.kind LIMIT $4";
    let sql = match after {
        None => format!(
            "SELECT r.exercise_id, r.kind, r.value, {} FROM personal_records r \
             JOIN sets s ON s.id = r.set_id WHERE {WHERE} {ORDER}",
            set_columns!()
        ),
        Some(_) => format!(
            "SELECT r.exercise_id, r.kind, r.value, {} FROM personal_records r \
             JOIN sets s ON s.id = r.set_id WHERE {WHERE} \
             AND (r.exercise_id > $5 OR (r.exercise_id = $5 AND r.kind > $6)) {ORDER}",
            set_columns!()
        ),
    };
    let mut query = sqlx::query_as(&sql)
        .bind(user_id)
        .bind(filter.exercise_id.as_deref())
        .bind(filter.kind.as_deref())
        .bind(limit);
    if let Some((exercise_id, kind)) = after {
        query = query.bind(exercise_id.as_str()).bind(kind.as_str());
    }
    query.fetch_all(conn).await
}

/// A stored record as its own row holds it, without the set.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct BareRecordRow {
    /// The exercise's UUIDv7.
    pub exercise_id: String,
    /// Stored `RecordKind` name.
    pub kind: String,
    /// In the kind's integer unit.
    pub value: i64,
    /// The set holding the record.
    pub set_id: String,
    /// The set's workout.
    pub workout_id: String,
    /// The workout's date, `YYYY-MM-DD`.
    pub workout_date: String,
    /// Microseconds since the epoch.
    pub updated_at: i64,
}

/// The user's records without their sets, by exercise id then kind.
pub const PAGES: Keyset<BareRecordRow, 2> = Keyset::new(
    "personal_records",
    "exercise_id, kind, value, set_id, workout_id, workout_date, updated_at",
    ["exercise_id", "kind"],
);

/// The records of the user's `exercise_ids`, each with the set holding it: one query.
#[tracing::instrument(level = "debug", skip_all, fields(exercises = exercise_ids.len()))]
pub async fn of_exercises(
    conn: &mut AnyConnection,
    user_id: &str,
    exercise_ids: &[String],
) -> sqlx::Result<Vec<RecordRow>> {
    if exercise_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT r.exercise_id, r.kind, r.value, {} FROM personal_records r \
         JOIN sets s ON s.id = r.set_id WHERE r.user_id = $1 AND r.exercise_id IN ({})",
        set_columns!(),
        placeholders(2, exercise_ids.len())
    );
    let mut query = sqlx::query_as(&sql).bind(user_id);
    for id in exercise_ids {
        query = query.bind(id);
    }
    query.fetch_all(conn).await
}

/// A record to write: (exercise_id, stored kind, value, set).
pub type NewRecord<'a> = (&'a str, &'static str, i64, &'a SetRow);

/// Writes `records` of the user, each replacing the record of its exercise and kind: one
/// statement.
#[tracing::instrument(level = "debug", skip_all, fields(records = records.len()))]
pub async fn upsert(
    conn: &mut AnyConnection,
    user_id: &str,
    records: &[NewRecord<'_>],
    now: i64,
) -> sqlx::Result<()> {
    if records.is_empty() {
        return Ok(());
    }
    let values = (0..records.len())
        .map(|i| format!("($1, $2, {})", placeholders(3 + i * 6, 6)))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "INSERT INTO personal_records (user_id, updated_at, exercise_id, kind, value, set_id, \
         workout_id, workout_date) VALUES {values} \
         ON CONFLICT (user_id, exercise_id, kind) DO UPDATE SET value = excluded.value, \
         set_id = excluded.set_id, workout_id = excluded.workout_id, \
         workout_date = excluded.workout_date, updated_at = excluded.updated_at"
    );
    let mut query = sqlx::query(&sql).bind(user_id).bind(now);
    for (exercise_id, kind, value, set) in records {
        query = query
            .bind(*exercise_id)
            .bind(*kind)
            .bind(*value)
            .bind(set.id.as_str())
            .bind(set.workout_id.as_str())
            .bind(set.workout_date.as_str());
    }
    query.execute(conn).await?;
    Ok(())
}
