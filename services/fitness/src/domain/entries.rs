//! Entries and sets: replacing a workout's entries with their sets in one transaction, with
//! every derived value (the workout's sums, the user's totals, weekly summaries, personal
//! records) changed in the same transaction, and reading them back.
//!
//! A replace costs a constant number of statements whatever the number of entries and sets
//! (the inserts of sets are chunked to stay below the bind limit).

use std::collections::{BTreeSet, HashMap, HashSet};

use shared::db::Db;
use shared::error::Violations;
use shared::time::now_micros;
use sqlx::AnyConnection;

use super::ids::{Id, RequestId, UserId};
use super::training::{NewEntry, Sums, TrackingMode, week_start};
use super::workouts::Workout;
use super::{deletion, idempotency, records};
use crate::error::{Error, Result};
use crate::store::links::{self, EntryLink, EntryRow};
use crate::store::sets::{self, SetRow};
use crate::store::{exercises, stats, weekly, workouts};

/// An entry as stored and returned: the link with its exercise's name and mode, and its sets
/// in order.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Entry {
    /// The link.
    pub row: EntryRow,
    /// Its sets, by position.
    pub sets: Vec<SetRow>,
}

/// A workout with its entries, as `ReplaceWorkoutEntries` answers and `GetWorkout` includes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WorkoutEntries {
    /// The workout, with its new sums and etag.
    pub workout: Workout,
    /// Its entries in order.
    pub entries: Vec<Entry>,
}

/// A validated `ReplaceWorkoutEntries`.
#[derive(Debug, Clone)]
pub struct ReplaceEntries {
    /// The workout.
    pub workout_id: Id,
    /// Its entries after the call, in order (bounds checked, ownership and modes not yet).
    pub entries: Vec<NewEntry>,
    /// Refuse the call unless the workout's etag is this.
    pub etag: Option<String>,
    /// Replays of this key get the first response.
    pub request_id: Option<RequestId>,
}

const REPLACE: &str = "ReplaceWorkoutEntries";

/// The etag of a workout last written at `updated_at`.
pub fn etag(updated_at: i64) -> String {
    updated_at.to_string()
}

/// The `updated_at` of a write at `now` to a row last written at `updated_at`: strictly
/// later, so the etag changes even when the clock has not moved.
pub(crate) fn bumped(updated_at: i64, now: i64) -> i64 {
    now.max(updated_at.saturating_add(1))
}

/// Replaces the entries of one of the user's workouts, or replays the response a previous
/// call with `request_id` got.
#[tracing::instrument(level = "debug", skip_all, fields(entries = input.entries.len()))]
pub async fn replace(db: &Db, user_id: &UserId, input: ReplaceEntries) -> Result<WorkoutEntries> {
    let now = now_micros();
    let request_id = input.request_id.as_ref();
    let mut tx = db.begin().await?;
    deletion::lock_user(&mut tx, user_id, now).await?;
    if let Some(previous) = idempotency::replay(&mut tx, user_id, request_id, REPLACE).await? {
        return Ok(previous);
    }
    let workout = workouts::get(&mut tx, user_id, input.workout_id.as_str())
        .await?
        .ok_or(Error::NotFound("workout"))?;
    if let Some(expected) = &input.etag
        && *expected != etag(workout.updated_at)
    {
        return Err(Error::FailedPrecondition("ETAG_MISMATCH"));
    }
    let workout = write(
        &mut tx,
        user_id,
        workout,
        input.entries,
        now,
        Records::Update,
    )
    .await?;
    // A replace leaves exactly the entries it was given: at most MAX_READ_ENTRIES.
    let (entries, _) = read(&mut tx, user_id, &workout.id).await?;
    let response = WorkoutEntries { workout, entries };
    idempotency::record(&mut tx, user_id, request_id, REPLACE, &response, now).await?;
    tx.commit().await?;
    Ok(response)
}

/// Replaces the entries of the user's workout `workout_id` with `entries`, inside the
/// caller's transaction (begun, with the user locked through `deletion::lock_user`):
/// exercises no longer listed are unlinked, new ones linked, every set rewritten, and every
/// derived value but records kept equal to the rows. Each exercise must be one of the user's;
/// each set is checked against its exercise's tracking mode. The exercises whose records may
/// have changed are added to `touched`, for the caller to recompute once with
/// `records::recompute` before committing (an import of many workouts of one exercise
/// recomputes its records once, not once per workout).
pub(crate) async fn replace_in_deferring_records(
    conn: &mut AnyConnection,
    user_id: &str,
    workout_id: &str,
    entries: Vec<NewEntry>,
    now: i64,
    touched: &mut BTreeSet<String>,
) -> Result<()> {
    let workout = workouts::get(conn, user_id, workout_id)
        .await?
        .ok_or(Error::NotFound("workout"))?;
    write(
        conn,
        user_id,
        workout,
        entries,
        now,
        Records::Defer(touched),
    )
    .await?;
    Ok(())
}

/// Most entries a read returns: those a replace can write. Links made through the exercise
/// RPCs (which carry no sets) are appended after them, so a workout linked to very many
/// exercises is answered with its first entries and a flag, never with all of them.
pub const MAX_READ_ENTRIES: usize = 100;

/// The first [`MAX_READ_ENTRIES`] entries of one of the user's workouts with all their sets
/// (a workout has at most 1,000, all written by one replace), and whether it has more
/// entries: two queries.
#[tracing::instrument(level = "debug", skip_all)]
pub(crate) async fn read(
    conn: &mut AnyConnection,
    user_id: &str,
    workout_id: &str,
) -> Result<(Vec<Entry>, bool)> {
    let limit = i64::try_from(MAX_READ_ENTRIES + 1).unwrap_or(i64::MAX);
    let mut rows = links::entries_of(conn, user_id, workout_id, limit).await?;
    let truncated = rows.len() > MAX_READ_ENTRIES;
    rows.truncate(MAX_READ_ENTRIES);
    let mut by_exercise: HashMap<String, Vec<SetRow>> = HashMap::new();
    for set in sets::of_workout(conn, user_id, workout_id).await? {
        by_exercise
            .entry(set.exercise_id.clone())
            .or_default()
            .push(set);
    }
    let entries = rows
        .into_iter()
        .map(|row| {
            let sets = by_exercise.remove(&row.exercise_id).unwrap_or_default();
            Entry { row, sets }
        })
        .collect();
    Ok((entries, truncated))
}

/// How a write keeps the personal records.
enum Records<'a> {
    /// Updated in the write: compared with the new sets, recomputed only where a record's set
    /// was rewritten (`records::update`).
    Update,
    /// Left to the caller: the exercises whose records may have changed are added here.
    Defer(&'a mut BTreeSet<String>),
}

/// The validated write: checks ownership, modes and set ids (every violation at once), then
/// rewrites the entries and sets and moves every derived value by the difference.
async fn write(
    conn: &mut AnyConnection,
    user_id: &str,
    workout: Workout,
    entries: Vec<NewEntry>,
    now: i64,
    keep_records: Records<'_>,
) -> Result<Workout> {
    let ids: Vec<String> = entries
        .iter()
        .map(|e| e.exercise_id.as_str().to_owned())
        .collect();
    let modes: HashMap<String, TrackingMode> = exercises::modes_of(conn, user_id, &ids)
        .await?
        .into_iter()
        .map(|(id, _, mode)| {
            let mode = TrackingMode::from_db_name(&mode).unwrap_or(TrackingMode::WeightReps);
            (id, mode)
        })
        .collect();
    let current = sets::ids_of_workout(conn, user_id, &workout.id).await?;
    let current_ids: HashSet<&str> = current.iter().map(|(id, _)| id.as_str()).collect();
    let mut v = Violations::new();
    let mut seen_exercises = HashSet::new();
    let mut seen_sets = HashSet::new();
    for (i, entry) in entries.iter().enumerate() {
        let at = format!("entries[{i}]");
        let id = entry.exercise_id.as_str();
        let mode = modes.get(id).copied();
        if !seen_exercises.insert(id) {
            v.add(
                format!("{at}.exercise_id"),
                "the workout already has an entry for this exercise",
            );
        } else if mode.is_none() {
            v.add(format!("{at}.exercise_id"), "must be one of your exercises");
        }
        for (j, set) in entry.sets.iter().enumerate() {
            let at = format!("{at}.sets[{j}]");
            if let Some(mode) = mode {
                mode.check(set, &at, &mut v);
            }
            if let Some(id) = &set.id {
                if !current_ids.contains(id.as_str()) {
                    v.add(format!("{at}.id"), "must be one of this workout's sets");
                } else if !seen_sets.insert(id.as_str()) {
                    v.add(format!("{at}.id"), "this set id is already used above");
                }
            }
        }
    }
    if !v.is_empty() {
        return Err(Error::InvalidArgument(v));
    }
    // Exercises whose records may change: those with sets before or after.
    let mut touched: BTreeSet<String> = current.iter().map(|(_, e)| e.clone()).collect();
    let removed: HashSet<&str> = current.iter().map(|(id, _)| id.as_str()).collect();
    let mut new_sums = Sums::default();
    let mut rows = Vec::new();
    for entry in &entries {
        let exercise_id = entry.exercise_id.as_str();
        let mode = modes
            .get(exercise_id)
            .copied()
            .unwrap_or(TrackingMode::WeightReps);
        if !entry.sets.is_empty() {
            touched.insert(exercise_id.to_owned());
        }
        for (position, set) in entry.sets.iter().enumerate() {
            new_sums += Sums::of_set(mode, set);
            rows.push(SetRow {
                id: set.id.clone().unwrap_or_else(Id::generate).into_string(),
                workout_id: workout.id.clone(),
                exercise_id: exercise_id.to_owned(),
                workout_date: workout.workout_date.clone(),
                position: i32::try_from(position).unwrap_or(i32::MAX),
                set_type: set.set_type.db_name().to_owned(),
                reps: set.reps,
                weight_milli: set.weight.map(|w| w.milli()),
                weight_unit: set.weight.map_or("KG", |w| w.unit().db_name()).to_owned(),
                weight_g: set.weight.map(|w| w.grams()),
                distance_mm: set.distance_mm,
                duration_s: set.duration_s,
                rpe_half: set.rpe_half,
                rir: set.rir,
                rest_s: set.rest_s,
                notes: set.notes.clone().into_string(),
            });
        }
    }
    let links: Vec<EntryLink<'_>> = entries
        .iter()
        .enumerate()
        .map(|(position, e)| {
            (
                e.exercise_id.as_str(),
                i32::try_from(position).unwrap_or(i32::MAX),
                e.superset,
                e.notes.as_str(),
            )
        })
        .collect();
    let touched: Vec<String> = touched.into_iter().collect();
    // The records as they stand, read before their sets may be rewritten.
    let before = match keep_records {
        Records::Update => records::records_of(conn, user_id, &touched).await?,
        Records::Defer(_) => Vec::new(),
    };
    sets::delete_of_workout(conn, user_id, &workout.id).await?;
    links::delete_others(conn, user_id, &workout.id, &ids).await?;
    links::upsert_entries(conn, user_id, &workout.id, &links).await?;
    sets::insert(conn, user_id, &rows).await?;
    let old_sums = sums_of(&workout);
    let updated_at = bumped(workout.updated_at, now);
    let updated = workouts::set_entry_totals(conn, user_id, &workout.id, &new_sums, updated_at)
        .await?
        .ok_or(Error::NotFound("workout"))?;
    let delta = new_sums + old_sums.negated();
    apply(conn, user_id, &workout.workout_date, &delta, now).await?;
    match keep_records {
        Records::Update => {
            records::update(
                conn, user_id, &touched, &before, &removed, &rows, &modes, now,
            )
            .await?;
        }
        Records::Defer(deferred) => deferred.extend(touched),
    }
    Ok(updated)
}

/// The set sums a workout row holds (no workout count).
pub(crate) fn sums_of(workout: &Workout) -> Sums {
    Sums {
        workouts: 0,
        sets: workout.set_count,
        reps: workout.total_reps,
        volume_g: workout.volume_g,
        distance_mm: workout.distance_mm,
        set_seconds: workout.set_seconds,
    }
}

/// Adds `delta` to the user's totals and to the summary of the week of `date`.
pub(crate) async fn apply(
    conn: &mut AnyConnection,
    user_id: &str,
    date: &str,
    delta: &Sums,
    now: i64,
) -> Result<()> {
    if delta.is_zero() {
        return Ok(());
    }
    stats::add_sets(conn, user_id, delta, now).await?;
    apply_week(conn, user_id, date, delta).await
}

/// Adds `delta` to the summary of the week of `date` alone.
pub(crate) async fn apply_week(
    conn: &mut AnyConnection,
    user_id: &str,
    date: &str,
    delta: &Sums,
) -> Result<()> {
    if delta.is_zero() {
        return Ok(());
    }
    let week = week_start(date)
        .ok_or_else(|| Error::internal(format_args!("stored date {date:?} is malformed")))?;
    weekly::add(conn, user_id, &week, delta).await?;
    Ok(())
}
