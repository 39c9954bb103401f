//! Writing a parsed file: one transaction for the whole import, begun once the upload is
//! read. Workouts imported before (same import key) are skipped; each exercise name is the
//! user's exercise of that name, else a new exercise of the catalogue entry the name means,
//! else a new exercise of a new custom entry; each workout is created and its entries
//! written through the same code as `CreateWorkout` and `ReplaceWorkoutEntries`, so every
//! total, weekly summary and record follows.

use std::collections::{BTreeSet, HashMap};

use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use shared::db::Db;
use shared::time::now_micros;
use sqlx::AnyConnection;

use super::upload::{EntryDraft, NameDraft, Upload, WorkoutDraft};
use super::{Source, sets};
use crate::domain::catalogue;
use crate::domain::ids::{Id, UserId};
use crate::domain::training::{NewEntry, TrackingMode};
use crate::domain::values::{
    CalendarDate, Name, Text, WorkoutType, ZoneName, check_end, short_text,
};
use crate::domain::workouts::{self, NewWorkout};
use crate::domain::{deletion, entries, records};
use crate::error::{Error, Result};
use crate::store;
use crate::store::exercises::{self, ExerciseRow};
use crate::store::stats::{self, Delta};

/// Most skipped rows an answer lists.
pub const MAX_LISTED_SKIPS: usize = 100;

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Workouts created.
    pub workouts_created: usize,
    /// Workouts imported before, so skipped.
    pub workouts_skipped: usize,
    /// Sets created.
    pub sets_created: usize,
    /// Exercises created.
    pub exercises_created: usize,
    /// Custom catalogue entries created.
    pub catalogue_entries_created: usize,
    /// The first [`MAX_LISTED_SKIPS`] rows not imported, by line: (line, why).
    pub skipped: Vec<(u64, String)>,
    /// Rows not imported.
    pub skipped_rows: usize,
}

/// The key that marks a workout as imported: `<source>:<local start>:<title>`.
fn import_key(source: Source, workout: &WorkoutDraft) -> String {
    format!("{}:{}:{}", source.key_name(), workout.start, workout.title)
}

/// Imports `upload` for the user in one transaction.
#[tracing::instrument(level = "debug", skip_all, fields(workouts = upload.workouts.len(), rows = upload.rows))]
pub async fn import(db: &Db, user_id: &UserId, upload: Upload) -> Result<Summary> {
    let Upload {
        options,
        workouts: drafts,
        names,
        ..
    } = upload;
    let zone = TimeZone::get(options.time_zone.as_str()).map_err(Error::internal)?;
    let now = now_micros();
    let mut tx = db.begin().await?;
    deletion::lock_user(&mut tx, user_id, now).await?;
    let keys: Vec<String> = drafts
        .iter()
        .map(|w| import_key(options.source, w))
        .collect();
    let taken = store::workouts::taken_import_keys(&mut tx, user_id, &keys).await?;
    let mut summary = Summary::default();
    let fresh: Vec<(WorkoutDraft, String)> = drafts
        .into_iter()
        .zip(keys)
        .filter(|(_, key)| !taken.contains(key))
        .collect();
    summary.workouts_skipped = taken.len();

    let mut used = vec![false; names.len()];
    for (workout, _) in &fresh {
        for entry in &workout.entries {
            used[entry.name] = true;
        }
    }
    let exercises = resolve(&mut tx, user_id, &names, &used, now, &mut summary).await?;

    let mut skips = Vec::new();
    let mut touched = BTreeSet::new();
    for (draft, key) in fresh {
        let (new_entries, modes) = entries_of(&draft.entries, &exercises, &mut skips)?;
        summary.sets_created += new_entries.iter().map(|e| e.sets.len()).sum::<usize>();
        let cardio = !modes.is_empty()
            && modes
                .iter()
                .all(|m| matches!(m, TrackingMode::Duration | TrackingMode::DistanceDuration));
        let workout_type = if cardio {
            WorkoutType::Cardio
        } else {
            WorkoutType::Strength
        };
        let new = new_workout(draft, key, workout_type, &options.time_zone, &zone)?;
        let workout = workouts::insert_in(&mut tx, user_id, new, now).await?;
        entries::replace_in_deferring_records(
            &mut tx,
            user_id,
            &workout.id,
            new_entries,
            now,
            &mut touched,
        )
        .await?;
        summary.workouts_created += 1;
    }
    // Each exercise's records once, over all its imported sets.
    let touched: Vec<String> = touched.into_iter().collect();
    records::recompute(&mut tx, user_id, &touched, now).await?;
    summary.skipped_rows = skips.len();
    skips.sort_by_key(|&(line, _)| line);
    skips.truncate(MAX_LISTED_SKIPS);
    summary.skipped = skips;
    tx.commit().await?;
    Ok(summary)
}

/// The exercise (id and tracking mode) of every name in use, by index into `names`: the
/// user's existing one, else one created for the catalogue entry the name means (a new
/// custom entry when none does).
async fn resolve(
    conn: &mut AnyConnection,
    user_id: &UserId,
    names: &[NameDraft],
    used: &[bool],
    now: i64,
    summary: &mut Summary,
) -> Result<Vec<Option<(Id, TrackingMode)>>> {
    let wanted: HashMap<String, usize> = names
        .iter()
        .enumerate()
        .filter(|&(i, _)| used[i])
        .map(|(i, n)| (n.name.to_lowercase(), i))
        .collect();
    let existing = exercises::oldest_named(conn, user_id, &wanted).await?;
    let mut resolved = vec![None; names.len()];
    for (i, draft) in names.iter().enumerate().filter(|&(i, _)| used[i]) {
        if let Some((id, mode)) = existing.get(&i) {
            let id = Id::parse(id).map_err(Error::internal)?;
            let mode = TrackingMode::from_db_name(mode).unwrap_or(TrackingMode::WeightReps);
            resolved[i] = Some((id, mode));
            continue;
        }
        let entry = match catalogue::match_name(conn, user_id, &draft.name).await? {
            Some(entry) => entry,
            None => {
                summary.catalogue_entries_created += 1;
                let mode = draft.usage.mode();
                catalogue::create_imported(conn, user_id, &draft.name, mode, now).await?
            }
        };
        let id = Id::generate();
        let row = ExerciseRow {
            id: id.as_str().to_owned(),
            name: draft.name.clone(),
            description: String::new(),
            duration_minutes: None,
            created_at: now,
            updated_at: now,
            catalogue_entry_id: Some(entry.id),
            tracking_mode: entry.tracking_mode.db_name().to_owned(),
        };
        exercises::insert(conn, user_id, &row).await?;
        summary.exercises_created += 1;
        resolved[i] = Some((id, entry.tracking_mode));
    }
    if summary.exercises_created > 0 {
        let delta = Delta {
            exercises: i64::try_from(summary.exercises_created).unwrap_or(i64::MAX),
            ..Delta::default()
        };
        stats::add(conn, user_id, delta, now).await?;
    }
    Ok(resolved)
}

/// A workout's entries, each row fitted to its exercise's mode (those that do not fit go to
/// `skips`), and the modes of its exercises. Superset groups are numbered 1, 2, … in order
/// of appearance.
fn entries_of(
    drafts: &[EntryDraft],
    exercises: &[Option<(Id, TrackingMode)>],
    skips: &mut Vec<(u64, String)>,
) -> Result<(Vec<NewEntry>, Vec<TrackingMode>)> {
    let mut groups: Vec<u32> = Vec::new();
    let mut entries = Vec::with_capacity(drafts.len());
    let mut modes = Vec::with_capacity(drafts.len());
    for draft in drafts {
        let Some((exercise_id, mode)) = exercises.get(draft.name).cloned().flatten() else {
            return Err(Error::internal(
                "an imported exercise name was not resolved",
            ));
        };
        let superset = match draft.superset {
            None => 0,
            Some(group) => match groups.iter().position(|&g| g == group) {
                Some(p) => p + 1,
                None => {
                    groups.push(group);
                    groups.len()
                }
            },
        };
        let mut new_sets = Vec::with_capacity(draft.sets);
        for row in &draft.rows {
            let fitted = match &row.set {
                Ok(set) => sets::fit(mode, set),
                Err(reason) => Err(reason.to_string()),
            };
            match fitted {
                Ok(set) => new_sets.push(set),
                Err(reason) => skips.push((row.line, reason)),
            }
        }
        entries.push(NewEntry {
            exercise_id,
            // At most 100 entries, so at most 100 groups.
            superset: i32::try_from(superset).unwrap_or(i32::MAX),
            notes: short_text(&draft.notes).map_err(Error::internal)?,
            sets: new_sets,
        });
        modes.push(mode);
    }
    Ok((entries, modes))
}

/// The workout to create for `draft`: its times in `zone`, its date the local date of its
/// start; an end before the start or more than a day after it is dropped.
fn new_workout(
    draft: WorkoutDraft,
    key: String,
    workout_type: WorkoutType,
    zone_name: &ZoneName,
    zone: &TimeZone,
) -> Result<NewWorkout> {
    let instant = |local: DateTime| {
        local
            .to_zoned(zone.clone())
            .map_err(|_| out_of_range(&draft.title))
    };
    let start = instant(draft.start)?;
    let started_at = start.timestamp().as_microsecond();
    let ended_at = match draft.end {
        Some(end) => Some(instant(end)?.timestamp().as_microsecond()),
        None => None,
    }
    .filter(|&end| check_end(Some(started_at), Some(end)).is_ok());
    let date =
        CalendarDate::parse(&start.date().to_string()).map_err(|_| out_of_range(&draft.title))?;
    Ok(NewWorkout {
        title: Name::parse(&draft.title).map_err(Error::internal)?,
        date,
        notes: Text::parse(&draft.notes).map_err(Error::internal)?,
        workout_type,
        started_at: Some(started_at),
        ended_at,
        time_zone: zone_name.clone(),
        import_key: Some(key),
    })
}

/// INVALID_ARGUMENT for a workout whose time cannot be stored.
fn out_of_range(title: &str) -> Error {
    Error::invalid(
        "chunk",
        format!("workout \"{title}\" starts outside the years 0001 to 9999"),
    )
}
