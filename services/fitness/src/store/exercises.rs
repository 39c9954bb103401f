//! `exercises`: one row per exercise. Links to workouts live in `workout_exercises`.

use std::collections::HashMap;

use futures::TryStreamExt as _;
use sqlx::AnyConnection;

/// A stored exercise, without its links.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct ExerciseRow {
    /// UUIDv7.
    pub id: String,
    /// Name, validated.
    pub name: String,
    /// Free text.
    pub description: String,
    /// 0–1440, or unknown.
    pub duration_minutes: Option<i32>,
    /// Microseconds since the epoch.
    pub created_at: i64,
    /// Microseconds since the epoch.
    pub updated_at: i64,
    /// The catalogue entry it is an instance of: a built-in slug or a custom entry's id.
    #[serde(default)]
    pub catalogue_entry_id: Option<String>,
    /// Stored `TrackingMode` name: how its sets are measured.
    #[serde(default = "weight_reps")]
    pub tracking_mode: String,
}

/// The tracking mode of exercises stored before modes were.
fn weight_reps() -> String {
    "WEIGHT_REPS".to_owned()
}

macro_rules! columns {
    () => {
        "id, name, description, duration_minutes, created_at, updated_at, catalogue_entry_id, \
         tracking_mode"
    };
}

/// The selected columns of `exercises e`, in `ExerciseRow` order.
macro_rules! e_columns {
    () => {
        "e.id, e.name, e.description, e.duration_minutes, e.created_at, e.updated_at, \
         e.catalogue_entry_id, e.tracking_mode"
    };
}

/// Inserts a new exercise.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn insert(conn: &mut AnyConnection, user_id: &str, e: &ExerciseRow) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO exercises (id, user_id, name, description, duration_minutes, created_at, \
         updated_at, catalogue_entry_id, tracking_mode) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, \
         $9)",
    )
    .bind(&e.id)
    .bind(user_id)
    .bind(&e.name)
    .bind(&e.description)
    .bind(e.duration_minutes)
    .bind(e.created_at)
    .bind(e.updated_at)
    .bind(e.catalogue_entry_id.as_deref())
    .bind(&e.tracking_mode)
    .execute(conn)
    .await?;
    Ok(())
}

/// One of the user's exercises.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn get(
    conn: &mut AnyConnection,
    user_id: &str,
    id: &str,
) -> sqlx::Result<Option<ExerciseRow>> {
    sqlx::query_as(concat!(
        "SELECT ",
        columns!(),
        " FROM exercises WHERE user_id = $1 AND id = $2"
    ))
    .bind(user_id)
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Writes the editable fields and `updated_at`; `None` when the exercise is not the user's.
/// Inside a transaction this also locks the row (PostgreSQL), so the links read next cannot
/// change underneath.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn update(
    conn: &mut AnyConnection,
    user_id: &str,
    e: &ExerciseRow,
) -> sqlx::Result<Option<ExerciseRow>> {
    sqlx::query_as(concat!(
        "UPDATE exercises SET name = $3, description = $4, duration_minutes = $5, updated_at = $6, \
         catalogue_entry_id = $7, tracking_mode = $8 WHERE user_id = $1 AND id = $2 RETURNING ",
        columns!()
    ))
    .bind(user_id)
    .bind(&e.id)
    .bind(&e.name)
    .bind(&e.description)
    .bind(e.duration_minutes)
    .bind(e.updated_at)
    .bind(e.catalogue_entry_id.as_deref())
    .bind(&e.tracking_mode)
    .fetch_optional(conn)
    .await
}

/// Deletes one of the user's exercises (its links cascade), returning its duration;
/// `None` when there was none.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn delete(
    conn: &mut AnyConnection,
    user_id: &str,
    id: &str,
) -> sqlx::Result<Option<Option<i32>>> {
    sqlx::query_scalar(
        "DELETE FROM exercises WHERE user_id = $1 AND id = $2 RETURNING duration_minutes",
    )
    .bind(user_id)
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Deletes every exercise of the user (their links cascade); how many.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn delete_all(conn: &mut AnyConnection, user_id: &str) -> sqlx::Result<u64> {
    let done = sqlx::query("DELETE FROM exercises WHERE user_id = $1")
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}

/// Filters of a listing; `None` means "no constraint".
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only exercises linked to this workout.
    pub workout_id: Option<String>,
    /// Already a `LIKE` pattern (see `Search::pattern`).
    pub name_like: Option<String>,
    /// Inclusive lower duration bound.
    pub min_duration: Option<i32>,
    /// Inclusive upper duration bound.
    pub max_duration: Option<i32>,
}

/// One page of the user's exercises, most recently created first, strictly after `after`
/// (`created_at`, `id`) of the last row served.
#[tracing::instrument(level = "debug", skip_all, fields(limit))]
pub async fn list(
    conn: &mut AnyConnection,
    user_id: &str,
    filter: &Filter,
    after: Option<&(i64, String)>,
    limit: i64,
) -> sqlx::Result<Vec<ExerciseRow>> {
    const WHERE: &str = "e.user_id = $1 \
         AND ($2 IS NULL OR EXISTS (SELECT 1 FROM workout_exercises we \
              WHERE we.exercise_id = e.id AND we.workout_id = $2 AND we.user_id = $1)) \
         AND ($3 IS NULL OR lower(e.name) LIKE lower($3) ESCAPE '\\') \
         AND ($4 IS NULL OR e.duration_minutes >= $4) \
         AND ($5 IS NULL OR e.duration_minutes <= $5)";
    let sql = match after {
        None => format!(
            "SELECT {} FROM exercises e WHERE {WHERE} \
             ORDER BY e.created_at DESC, e.id DESC LIMIT $6",
            e_columns!()
        ),
        Some(_) => format!(
            "SELECT {} FROM exercises e WHERE {WHERE} \
             AND (e.created_at < $7 OR (e.created_at = $7 AND e.id < $8)) \
             ORDER BY e.created_at DESC, e.id DESC LIMIT $6",
            e_columns!()
        ),
    };
    let mut query = sqlx::query_as(&sql)
        .bind(user_id)
        .bind(filter.workout_id.as_deref())
        .bind(filter.name_like.as_deref())
        .bind(filter.min_duration)
        .bind(filter.max_duration)
        .bind(limit);
    if let Some((at, id)) = after {
        query = query.bind(*at).bind(id.as_str());
    }
    query.fetch_all(conn).await
}

/// The oldest `limit` exercises linked to one of the user's workouts, oldest first.
#[tracing::instrument(level = "debug", skip_all, fields(limit))]
pub async fn of_workout(
    conn: &mut AnyConnection,
    user_id: &str,
    workout_id: &str,
    limit: i64,
) -> sqlx::Result<Vec<ExerciseRow>> {
    sqlx::query_as(concat!(
        "SELECT ",
        e_columns!(),
        " FROM workout_exercises we JOIN exercises e ON e.id = we.exercise_id \
         WHERE we.workout_id = $1 AND we.user_id = $2 AND e.user_id = $2 \
         ORDER BY e.created_at, e.id LIMIT $3"
    ))
    .bind(workout_id)
    .bind(user_id)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// `(id, name, tracking_mode)` of each of `ids` that is one of the user's exercises: one
/// query (ids of other users are simply absent).
#[tracing::instrument(level = "debug", skip_all, fields(ids = ids.len()))]
pub async fn modes_of(
    conn: &mut AnyConnection,
    user_id: &str,
    ids: &[String],
) -> sqlx::Result<Vec<(String, String, String)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT id, name, tracking_mode FROM exercises WHERE user_id = $1 AND id IN ({})",
        shared::sql::placeholders(2, ids.len())
    );
    let mut query = sqlx::query_as(&sql).bind(user_id);
    for id in ids {
        query = query.bind(id);
    }
    query.fetch_all(conn).await
}

/// The user's oldest exercise of each name in `wanted` (lower-case name → the caller's
/// index): `(id, tracking_mode)` by index. The user's exercises are streamed, not held, and
/// names compared in lower case here, the same on both backends.
#[tracing::instrument(level = "debug", skip_all, fields(wanted = wanted.len()))]
pub async fn oldest_named(
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
