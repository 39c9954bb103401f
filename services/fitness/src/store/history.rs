//! One exercise's sets across workouts, newest workout first, read through `sets_history_idx`.

use sqlx::AnyConnection;

pub use super::sets::SetRow;

/// The columns of [`SetRow`], of the table aliased `s`.
macro_rules! set_columns {
    () => {
        "s.id, s.workout_id, s.exercise_id, s.workout_date, s.position, s.set_type, s.reps, \
         s.weight_milli, \
         s.weight_unit, s.weight_g, s.distance_mm, s.duration_s, s.rpe_half, s.rir, s.rest_s, \
         s.notes"
    };
}
pub(crate) use set_columns;

/// Keyset position in an exercise's history: (workout_date, workout_id, position) of the
/// last set served.
pub type HistoryAfter = (String, String, i32);

/// One page of the sets of the user's exercise `exercise_id`: workout_date descending,
/// workout_id descending, position ascending, strictly after `after`.
#[tracing::instrument(level = "debug", skip_all, fields(limit))]
pub async fn list(
    conn: &mut AnyConnection,
    user_id: &str,
    exercise_id: &str,
    after: Option<&HistoryAfter>,
    limit: i64,
) -> sqlx::Result<Vec<SetRow>> {
    const ORDER: &str = "ORDER BY s.workout_date DESC, s.workout_id DESC, s.position LIMIT $3";
    let sql = match after {
        None => format!(
            "SELECT {} FROM sets s WHERE s.user_id = $1 AND s.exercise_id = $2 {ORDER}",
            set_columns!()
        ),
        // `workout_date <= $4` alone starts the index range at the position; the rest
        // orders within it.
        Some(_) => format!(
            "SELECT {} FROM sets s WHERE s.user_id = $1 AND s.exercise_id = $2 \
             AND s.workout_date <= $4 AND (s.workout_date < $4 OR s.workout_id < $5 \
             OR (s.workout_id = $5 AND s.position > $6)) {ORDER}",
            set_columns!()
        ),
    };
    let mut query = sqlx::query_as(&sql)
        .bind(user_id)
        .bind(exercise_id)
        .bind(limit);
    if let Some((date, workout_id, position)) = after {
        query = query
            .bind(date.as_str())
            .bind(workout_id.as_str())
            .bind(*position);
    }
    query.fetch_all(conn).await
}

/// Whether `exercise_id` is one of the user's exercises.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn exercise_exists(
    conn: &mut AnyConnection,
    user_id: &str,
    exercise_id: &str,
) -> sqlx::Result<bool> {
    let found: Option<i32> =
        sqlx::query_scalar("SELECT 1 FROM exercises WHERE user_id = $1 AND id = $2")
            .bind(user_id)
            .bind(exercise_id)
            .fetch_optional(conn)
            .await?;
    Ok(found.is_some())
}
