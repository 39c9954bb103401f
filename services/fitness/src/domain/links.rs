//! Links between an exercise and the caller's workouts. A link counts in its workout's
//! `exercise_count` and `total_duration_minutes`, so every change of links or duration moves
//! those counters in the same transaction. An id that is not one of the caller's workouts
//! (missing and foreign look the same) is INVALID_ARGUMENT on the request's `workout_ids`.

use std::collections::{BTreeSet, HashMap};

use sqlx::AnyConnection;

use super::exercises::Exercise;
use super::ids::{Id, UserId};
use crate::error::{Error, Result};
use crate::store::exercises::ExerciseRow;
use crate::store::{links, workouts};

/// Joins rows with their `(exercise_id, workout_id)` links, keeping the rows' order.
pub(crate) fn with_links(rows: Vec<ExerciseRow>, links: Vec<(String, String)>) -> Vec<Exercise> {
    let mut by_exercise: HashMap<String, Vec<String>> = HashMap::new();
    for (exercise_id, workout_id) in links {
        by_exercise.entry(exercise_id).or_default().push(workout_id);
    }
    rows.into_iter()
        .map(|row| {
            let mut workout_ids = by_exercise.remove(&row.id).unwrap_or_default();
            workout_ids.sort();
            Exercise { row, workout_ids }
        })
        .collect()
}

/// Workout ids in id order, the order links are returned in.
pub(crate) fn sorted(ids: &[Id]) -> Vec<String> {
    let mut out: Vec<String> = ids.iter().map(|id| id.as_str().to_owned()).collect();
    out.sort();
    out
}

/// Links the stored exercise `exercise_id` to each of `workout_ids`, counting it and its
/// `minutes` in each; `field` names the ids in the error when one is not the user's.
pub(crate) async fn link(
    conn: &mut AnyConnection,
    user_id: &UserId,
    exercise_id: &str,
    workout_ids: &[String],
    minutes: i64,
    field: &str,
) -> Result<()> {
    let matched = workouts::adjust_counters(conn, user_id, workout_ids, 1, minutes).await?;
    if matched != workout_ids.len() as u64 {
        return Err(Error::invalid(
            field,
            "every id must be one of your workouts",
        ));
    }
    links::insert(conn, user_id, exercise_id, workout_ids).await?;
    Ok(())
}

/// Moves the exercise `exercise_id` from the workouts `old` to `new`, and its duration from
/// `old_min` to `new_min`: workouts it leaves lose it and its old minutes, workouts it joins
/// gain it and its new minutes, workouts it stays in change by the difference.
pub(crate) async fn relink(
    conn: &mut AnyConnection,
    user_id: &UserId,
    exercise_id: &str,
    (old, new): (&[String], &[String]),
    (old_min, new_min): (i64, i64),
    field: &str,
) -> Result<()> {
    let before: BTreeSet<&String> = old.iter().collect();
    let after: BTreeSet<&String> = new.iter().collect();
    let removed: Vec<String> = before.difference(&after).map(|s| (*s).clone()).collect();
    let kept: Vec<String> = before.intersection(&after).map(|s| (*s).clone()).collect();
    let added: Vec<String> = after.difference(&before).map(|s| (*s).clone()).collect();
    link(conn, user_id, exercise_id, &added, new_min, field).await?;
    workouts::adjust_counters(conn, user_id, &removed, -1, -old_min).await?;
    if new_min != old_min {
        workouts::adjust_counters(conn, user_id, &kept, 0, new_min - old_min).await?;
    }
    links::delete(conn, user_id, exercise_id, &removed).await?;
    Ok(())
}
