//! Links between an exercise and the caller's workouts. A link counts in its workout's
//! `exercise_count` and `total_duration_minutes`, so every change of links or duration moves
//! those counters in the same transaction. An id that is not one of the caller's workouts
//! (missing and foreign look the same) is INVALID_ARGUMENT on the request's `workout_ids`.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use sqlx::AnyConnection;

use super::exercises::Exercise;
use super::ids::{Id, UserId};
use super::records;
use super::training::{Sums, week_start};
use crate::error::{Error, Result};
use crate::store::exercises::ExerciseRow;
use crate::store::sets::{self, WorkoutSums};
use crate::store::{links, stats, weekly, workouts};

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

/// Links the stored exercise `exercise_id` to each of `workout_ids` (as each one's last
/// entry, without sets), counting it and its `minutes` in each; `field` names the ids in the
/// error when one is not the user's.
pub(crate) async fn link(
    conn: &mut AnyConnection,
    user_id: &UserId,
    exercise_id: &str,
    (workout_ids, minutes): (&[String], i64),
    field: &str,
    now: i64,
) -> Result<()> {
    let matched = workouts::adjust_counters(conn, user_id, workout_ids, (1, minutes), now).await?;
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
/// gain it and its new minutes, workouts it stays in change by the difference. Its sets in
/// the workouts it leaves go with their entries: their sums leave the workouts, the user's
/// totals and their weeks, and the exercise's records are recomputed without them.
pub(crate) async fn relink(
    conn: &mut AnyConnection,
    user_id: &UserId,
    exercise_id: &str,
    (old, new): (&[String], &[String]),
    (old_min, new_min): (i64, i64),
    field: &str,
    now: i64,
) -> Result<()> {
    let before: BTreeSet<&String> = old.iter().collect();
    let after: BTreeSet<&String> = new.iter().collect();
    let removed: Vec<String> = before.difference(&after).map(|s| (*s).clone()).collect();
    let kept: Vec<String> = before.intersection(&after).map(|s| (*s).clone()).collect();
    let added: Vec<String> = after.difference(&before).map(|s| (*s).clone()).collect();
    link(conn, user_id, exercise_id, (&added, new_min), field, now).await?;
    workouts::adjust_counters(conn, user_id, &removed, (-1, -old_min), now).await?;
    if new_min != old_min {
        workouts::adjust_counters(conn, user_id, &kept, (0, new_min - old_min), now).await?;
    }
    let removed_sets = sets::sums_of_exercise(conn, user_id, exercise_id, Some(&removed)).await?;
    links::delete(conn, user_id, exercise_id, &removed).await?;
    if !removed_sets.is_empty() {
        forget_sets(conn, user_id, &removed_sets, now).await?;
        records::recompute(conn, user_id, &[exercise_id.to_owned()], now).await?;
    }
    Ok(())
}

/// After sets summed by workout in `gone` were deleted (with their entries): recounts those
/// workouts' sums and takes the sets out of the user's totals and their weeks' summaries.
pub(crate) async fn forget_sets(
    conn: &mut AnyConnection,
    user_id: &str,
    gone: &[WorkoutSums],
    now: i64,
) -> Result<()> {
    let ids: Vec<String> = gone.iter().map(|g| g.workout_id.clone()).collect();
    workouts::recount_sets(conn, user_id, &ids).await?;
    let mut total = Sums::default();
    let mut weeks: BTreeMap<String, Sums> = BTreeMap::new();
    for g in gone {
        total += g.sums();
        let week = week_start(&g.workout_date).unwrap_or_default();
        *weeks.entry(week).or_default() += g.sums();
    }
    stats::add_sets(conn, user_id, &total.negated(), now).await?;
    for (week, sums) in weeks {
        weekly::add(conn, user_id, &week, &sums.negated()).await?;
    }
    Ok(())
}
