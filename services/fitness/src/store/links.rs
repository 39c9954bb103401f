//! `workout_exercises`: the many-to-many links between a user's workouts and exercises.

use sqlx::AnyConnection;

use shared::sql::placeholders;

use super::keyset::{Keyset, pair};

/// Links `exercise_id` to each of `workout_ids` (all the user's, checked by the caller), as
/// the last entry of each workout (position after its current last), without sets.
#[tracing::instrument(level = "debug", skip_all, fields(links = workout_ids.len()))]
pub async fn insert(
    conn: &mut AnyConnection,
    user_id: &str,
    exercise_id: &str,
    workout_ids: &[String],
) -> sqlx::Result<()> {
    if workout_ids.is_empty() {
        return Ok(());
    }
    // One row per workout, one statement; each workout's next position read in it.
    let sql = format!(
        "INSERT INTO workout_exercises (workout_id, exercise_id, user_id, position) \
         SELECT w.id, $1, $2, COALESCE((SELECT MAX(l.position) + 1 FROM workout_exercises l \
         WHERE l.workout_id = w.id), 0) FROM workouts w WHERE w.user_id = $2 AND w.id IN ({})",
        placeholders(3, workout_ids.len())
    );
    let mut query = sqlx::query(&sql).bind(exercise_id).bind(user_id);
    for id in workout_ids {
        query = query.bind(id);
    }
    query.execute(conn).await?;
    Ok(())
}

/// An entry of a workout: its link, with the exercise's name and tracking mode.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct EntryRow {
    /// The exercise.
    pub exercise_id: String,
    /// Its name.
    pub exercise_name: String,
    /// Its stored `TrackingMode` name.
    pub tracking_mode: String,
    /// Position within the workout, from 0.
    pub position: i32,
    /// Superset group, 0 for none.
    pub superset: i32,
    /// Free text.
    pub notes: String,
}

/// The entries of one of the user's workouts, in order: one query.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn entries_of(
    conn: &mut AnyConnection,
    user_id: &str,
    workout_id: &str,
    limit: i64,
) -> sqlx::Result<Vec<EntryRow>> {
    sqlx::query_as(
        "SELECT l.exercise_id, e.name AS exercise_name, e.tracking_mode, l.position, \
         l.superset, l.notes FROM workout_exercises l JOIN exercises e ON e.id = l.exercise_id \
         WHERE l.workout_id = $1 AND l.user_id = $2 ORDER BY l.position, l.exercise_id \
         LIMIT $3",
    )
    .bind(workout_id)
    .bind(user_id)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// An entry to write: exercise, position, superset, notes.
pub type EntryLink<'a> = (&'a str, i32, i32, &'a str);

/// Deletes the links of one of the user's workouts to every exercise not in `keep`,
/// returning the exercises unlinked.
#[tracing::instrument(level = "debug", skip_all, fields(keep = keep.len()))]
pub async fn delete_others(
    conn: &mut AnyConnection,
    user_id: &str,
    workout_id: &str,
    keep: &[String],
) -> sqlx::Result<Vec<String>> {
    let sql = if keep.is_empty() {
        "DELETE FROM workout_exercises WHERE workout_id = $1 AND user_id = $2 \
         RETURNING exercise_id"
            .to_owned()
    } else {
        format!(
            "DELETE FROM workout_exercises WHERE workout_id = $1 AND user_id = $2 \
             AND exercise_id NOT IN ({}) RETURNING exercise_id",
            placeholders(3, keep.len())
        )
    };
    let mut query = sqlx::query_scalar(&sql).bind(workout_id).bind(user_id);
    for id in keep {
        query = query.bind(id);
    }
    query.fetch_all(conn).await
}

/// Writes the entries of one of the user's workouts: links created or their position,
/// superset and notes updated, one statement.
#[tracing::instrument(level = "debug", skip_all, fields(entries = entries.len()))]
pub async fn upsert_entries(
    conn: &mut AnyConnection,
    user_id: &str,
    workout_id: &str,
    entries: &[EntryLink<'_>],
) -> sqlx::Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    let values = (0..entries.len())
        .map(|i| {
            let n = 3 + i * 4;
            format!("($1, ${n}, $2, ${}, ${}, ${})", n + 1, n + 2, n + 3)
        })
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "INSERT INTO workout_exercises (workout_id, exercise_id, user_id, position, superset, \
         notes) VALUES {values} ON CONFLICT (workout_id, exercise_id) DO UPDATE SET \
         position = excluded.position, superset = excluded.superset, notes = excluded.notes"
    );
    let mut query = sqlx::query(&sql).bind(workout_id).bind(user_id);
    for (exercise_id, position, superset, notes) in entries {
        query = query
            .bind(*exercise_id)
            .bind(*position)
            .bind(*superset)
            .bind(*notes);
    }
    query.execute(conn).await?;
    Ok(())
}

/// Removes the links from `exercise_id` to each of `workout_ids`.
#[tracing::instrument(level = "debug", skip_all, fields(links = workout_ids.len()))]
pub async fn delete(
    conn: &mut AnyConnection,
    user_id: &str,
    exercise_id: &str,
    workout_ids: &[String],
) -> sqlx::Result<()> {
    if workout_ids.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "DELETE FROM workout_exercises WHERE user_id = $1 AND exercise_id = $2 \
         AND workout_id IN ({})",
        placeholders(3, workout_ids.len())
    );
    let mut query = sqlx::query(&sql).bind(user_id).bind(exercise_id);
    for id in workout_ids {
        query = query.bind(id);
    }
    query.execute(conn).await?;
    Ok(())
}

/// The workouts linked to one exercise, in id order.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn workouts_of(
    conn: &mut AnyConnection,
    user_id: &str,
    exercise_id: &str,
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT workout_id FROM workout_exercises WHERE user_id = $1 AND exercise_id = $2 \
         ORDER BY workout_id",
    )
    .bind(user_id)
    .bind(exercise_id)
    .fetch_all(conn)
    .await
}

/// `(exercise_id, workout_id)` links of every exercise in `exercise_ids`, in id order: one
/// query for a whole page of exercises.
#[tracing::instrument(level = "debug", skip_all, fields(exercises = exercise_ids.len()))]
pub async fn of_exercises(
    conn: &mut AnyConnection,
    user_id: &str,
    exercise_ids: &[String],
) -> sqlx::Result<Vec<(String, String)>> {
    if exercise_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT exercise_id, workout_id FROM workout_exercises WHERE user_id = $1 \
         AND exercise_id IN ({}) ORDER BY exercise_id, workout_id",
        placeholders(2, exercise_ids.len())
    );
    let mut query = sqlx::query_as(&sql).bind(user_id);
    for id in exercise_ids {
        query = query.bind(id);
    }
    query.fetch_all(conn).await
}

/// Deletes every link of the user; how many.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn delete_all(conn: &mut AnyConnection, user_id: &str) -> sqlx::Result<u64> {
    let done = sqlx::query("DELETE FROM workout_exercises WHERE user_id = $1")
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}

/// The user's links in key order, as `(workout_id, exercise_id)`: the walk of the index
/// `workout_exercises_user_idx`.
const KEYS: Keyset<(String, String), 2> = Keyset::new(
    "workout_exercises",
    "workout_id, exercise_id",
    ["workout_id", "exercise_id"],
);

/// One page of the user's links as `(workout_id, exercise_id)`, in that key order, strictly
/// after `after`: the walk of the index `workout_exercises_user_idx`.
#[tracing::instrument(level = "debug", skip_all, fields(limit))]
pub async fn list(
    conn: &mut AnyConnection,
    user_id: &str,
    after: Option<&(String, String)>,
    limit: i64,
) -> sqlx::Result<Vec<(String, String)>> {
    KEYS.page(conn, user_id, after.map(pair), limit).await
}

/// A stored link with its entry's order, superset and notes.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct LinkRow {
    /// The workout.
    pub workout_id: String,
    /// The exercise.
    pub exercise_id: String,
    /// Position within the workout, from 0.
    pub position: i32,
    /// Superset group, 0 for none.
    pub superset: i32,
    /// Free text.
    pub notes: String,
}

/// The user's links with their order, superset and notes, by `(workout_id, exercise_id)`:
/// the walk of the index `workout_exercises_user_idx`.
pub const PAGES: Keyset<LinkRow, 2> = Keyset::new(
    "workout_exercises",
    "workout_id, exercise_id, position, superset, notes",
    ["workout_id", "exercise_id"],
);
