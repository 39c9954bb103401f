//! `workout_exercises`: the many-to-many links between a user's workouts and exercises.

use sqlx::AnyConnection;

use shared::sql::placeholders;

/// Links `exercise_id` to each of `workout_ids` (all the user's, checked by the caller).
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
    // ($1, $3, $2), ($4, $3, $2), …: one row per workout, one statement.
    let rows = (0..workout_ids.len())
        .map(|i| format!("(${}, $1, $2)", i + 3))
        .collect::<Vec<_>>()
        .join(", ");
    let sql =
        format!("INSERT INTO workout_exercises (workout_id, exercise_id, user_id) VALUES {rows}");
    let mut query = sqlx::query(&sql).bind(exercise_id).bind(user_id);
    for id in workout_ids {
        query = query.bind(id);
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

/// One page of the user's links as `(workout_id, exercise_id)`, in that key order, strictly
/// after `after`: the walk of the index `workout_exercises_user_idx`.
#[tracing::instrument(level = "debug", skip_all, fields(limit))]
pub async fn list(
    conn: &mut AnyConnection,
    user_id: &str,
    after: Option<&(String, String)>,
    limit: i64,
) -> sqlx::Result<Vec<(String, String)>> {
    match after {
        None => {
            sqlx::query_as(
                "SELECT workout_id, exercise_id FROM workout_exercises WHERE user_id = $1 \
                 ORDER BY workout_id, exercise_id LIMIT $2",
            )
            .bind(user_id)
            .bind(limit)
            .fetch_all(conn)
            .await
        }
        Some((workout_id, exercise_id)) => {
            sqlx::query_as(
                "SELECT workout_id, exercise_id FROM workout_exercises WHERE user_id = $1 \
                 AND (workout_id > $3 OR (workout_id = $3 AND exercise_id > $4)) \
                 ORDER BY workout_id, exercise_id LIMIT $2",
            )
            .bind(user_id)
            .bind(limit)
            .bind(workout_id.as_str())
            .bind(exercise_id.as_str())
            .fetch_all(conn)
            .await
        }
    }
}
