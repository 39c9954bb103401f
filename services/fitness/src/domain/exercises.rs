//! Exercises and their links to workouts: every change keeps the linked workouts' counters
//! and the owner's stats in step, in the same transaction.

use shared::db::Db;
use shared::paging::{Page, PageRequest};
use shared::time::now_micros;
use sqlx::AnyConnection;

use super::catalogue;
use super::ids::{Id, UserId};
use super::links::{self as linking, with_links};
use super::training::TrackingMode;
use super::values::{MAX_NAME_CHARS, Minutes, Name, Search, Text};
use super::{Batch, Create};
use super::{deletion, idempotency, minutes};
use crate::error::{Error, Result};
use crate::store::exercises::{self, ExerciseRow, Filter};
use crate::store::stats::{self, Delta};
use crate::store::workouts;
use crate::store::{links, sets};

/// An exercise as returned: the row and the workouts it is linked to (id order).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Exercise {
    /// The stored exercise.
    pub row: ExerciseRow,
    /// Ids of the linked workouts.
    pub workout_ids: Vec<String>,
}

/// A validated exercise to create.
#[derive(Debug, Clone)]
pub struct NewExercise {
    /// 1–255 characters.
    pub name: Name,
    /// Free text.
    pub description: Text,
    /// 0–1440, or unknown.
    pub duration: Option<Minutes>,
    /// Distinct workout ids; each must be one of the caller's workouts.
    pub workout_ids: Vec<Id>,
    /// The catalogue entry it is an instance of (resolved on write).
    pub catalogue_entry_id: Option<CatalogueRef>,
    /// How its sets are measured when it references no catalogue entry.
    pub tracking_mode: TrackingMode,
}

/// A validated partial update: `None` fields are left as they are.
#[derive(Debug, Clone)]
pub struct ExercisePatch {
    /// The exercise to change.
    pub id: Id,
    /// New name.
    pub name: Option<Name>,
    /// New description.
    pub description: Option<Text>,
    /// New duration (`Some(None)` clears it).
    pub duration: Option<Option<Minutes>>,
    /// New set of linked workouts, replacing every link.
    pub workout_ids: Option<Vec<Id>>,
    /// New catalogue reference (`Some(None)` removes it).
    pub catalogue_entry_id: Option<Option<CatalogueRef>>,
    /// New tracking mode (ignored while the exercise references a catalogue entry, whose
    /// mode it has).
    pub tracking_mode: Option<TrackingMode>,
}

/// A catalogue entry id as given: 1–255 characters (a built-in slug or a custom entry's id),
/// to be resolved against the catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogueRef(String);

impl CatalogueRef {
    /// `None` for an empty id (no reference).
    pub fn parse(raw: &str) -> std::result::Result<Option<Self>, String> {
        if raw.is_empty() {
            return Ok(None);
        }
        if raw.chars().count() > MAX_NAME_CHARS || raw.chars().any(char::is_control) {
            return Err("not a catalogue entry id".into());
        }
        Ok(Some(Self(raw.to_owned())))
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The stored catalogue reference and tracking mode of an exercise referencing `reference`
/// (else tracked as `mode`); INVALID_ARGUMENT on `field` when the catalogue has no such entry.
async fn resolve(
    conn: &mut AnyConnection,
    user_id: &str,
    reference: Option<&CatalogueRef>,
    mode: TrackingMode,
    field: &str,
) -> Result<(Option<String>, TrackingMode)> {
    let Some(reference) = reference else {
        return Ok((None, mode));
    };
    match catalogue::resolve(conn, user_id, reference.as_str()).await? {
        Some(entry) => Ok((Some(entry.id), entry.tracking_mode)),
        None => Err(Error::invalid(field, "no catalogue entry has this id")),
    }
}

/// A validated listing request, most recently created first; `None` filters mean "any".
#[derive(Debug, Clone)]
pub struct ExerciseQuery {
    /// Only exercises linked to this workout.
    pub workout_id: Option<Id>,
    /// Only exercises whose name contains this.
    pub name_contains: Option<Search>,
    /// Only exercises at least this long.
    pub min_duration: Option<Minutes>,
    /// Only exercises at most this long.
    pub max_duration: Option<Minutes>,
    /// Page size and the position after the previous page: (`created_at`, `id`) of its last
    /// row.
    pub page: PageRequest<(i64, String)>,
}

const CREATE: &str = "CreateExercise";
const BATCH_CREATE: &str = "BatchCreateExercises";

/// Inserts one exercise with its links and counters; `prefix` (`exercise`,
/// `requests[3].exercise`) names its fields in errors: a `workout_ids` entry that is not the
/// user's workout (missing and foreign look the same), an unknown `catalogue_entry_id`.
async fn insert(
    conn: &mut AnyConnection,
    user_id: &UserId,
    new: NewExercise,
    now: i64,
    prefix: &str,
) -> Result<Exercise> {
    let field = format!("{prefix}.catalogue_entry_id");
    let reference = new.catalogue_entry_id.as_ref();
    let (catalogue_entry_id, mode) =
        resolve(conn, user_id, reference, new.tracking_mode, &field).await?;
    let row = ExerciseRow {
        id: Id::generate().into_string(),
        name: new.name.into_string(),
        description: new.description.into_string(),
        duration_minutes: new.duration.map(Minutes::get),
        created_at: now,
        updated_at: now,
        catalogue_entry_id,
        tracking_mode: mode.db_name().to_owned(),
    };
    let workout_ids = linking::sorted(&new.workout_ids);
    exercises::insert(conn, user_id, &row).await?;
    let minutes = minutes(row.duration_minutes);
    let field = format!("{prefix}.workout_ids");
    linking::link(conn, user_id, &row.id, (&workout_ids, minutes), &field, now).await?;
    Ok(Exercise { row, workout_ids })
}

/// Creates one exercise, or replays the response a previous call with `request_id` got.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create(db: &Db, user_id: &UserId, input: Create<NewExercise>) -> Result<Exercise> {
    let Create {
        item: new,
        request_id,
    } = input;
    let now = now_micros();
    let mut tx = db.begin().await?;
    deletion::lock_user(&mut tx, user_id, now).await?;
    if let Some(previous) =
        idempotency::replay(&mut tx, user_id, request_id.as_ref(), CREATE).await?
    {
        return Ok(previous);
    }
    let exercise = insert(&mut tx, user_id, new, now, "exercise").await?;
    let delta = Delta {
        exercises: 1,
        minutes: minutes(exercise.row.duration_minutes),
        ..Delta::default()
    };
    stats::add(&mut tx, user_id, delta, now).await?;
    idempotency::record(
        &mut tx,
        user_id,
        request_id.as_ref(),
        CREATE,
        &exercise,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(exercise)
}

/// Creates every exercise or none, or replays a previous batch with `request_id`.
#[tracing::instrument(level = "debug", skip_all, fields(items = input.items.len()))]
pub async fn batch_create(
    db: &Db,
    user_id: &UserId,
    input: Batch<NewExercise>,
) -> Result<Vec<Exercise>> {
    let Batch {
        items: batch,
        request_id,
    } = input;
    let now = now_micros();
    let mut tx = db.begin().await?;
    deletion::lock_user(&mut tx, user_id, now).await?;
    if let Some(previous) =
        idempotency::replay(&mut tx, user_id, request_id.as_ref(), BATCH_CREATE).await?
    {
        return Ok(previous);
    }
    let mut created = Vec::with_capacity(batch.len());
    let mut delta = Delta::default();
    for (i, new) in batch.into_iter().enumerate() {
        let prefix = format!("requests[{i}].exercise");
        let exercise = insert(&mut tx, user_id, new, now, &prefix).await?;
        delta.exercises += 1;
        delta.minutes += minutes(exercise.row.duration_minutes);
        created.push(exercise);
    }
    stats::add(&mut tx, user_id, delta, now).await?;
    idempotency::record(
        &mut tx,
        user_id,
        request_id.as_ref(),
        BATCH_CREATE,
        &created,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(created)
}

/// One of the user's exercises.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn get(db: &Db, user_id: &UserId, id: &Id) -> Result<Exercise> {
    let mut conn = db.read().await?;
    let row = exercises::get(&mut conn, user_id, id.as_str())
        .await?
        .ok_or(Error::NotFound("exercise"))?;
    let workout_ids = links::workouts_of(&mut conn, user_id, id.as_str()).await?;
    Ok(Exercise { row, workout_ids })
}

/// One page of the user's exercises, with the token of the next: two queries, whatever the
/// page size.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list(db: &Db, user_id: &UserId, query: ExerciseQuery) -> Result<Page<Exercise>> {
    let filter = Filter {
        workout_id: query.workout_id.map(Id::into_string),
        name_like: query.name_contains.as_ref().map(Search::pattern),
        min_duration: query.min_duration.map(Minutes::get),
        max_duration: query.max_duration.map(Minutes::get),
    };
    let mut conn = db.read().await?;
    let after = query.page.after.as_ref();
    let rows = exercises::list(&mut conn, user_id, &filter, after, query.page.limit()).await?;
    let page = query
        .page
        .page(rows, |last| (last.created_at, last.id.clone()));
    let ids: Vec<String> = page.items.iter().map(|r| r.id.clone()).collect();
    let links = links::of_exercises(&mut conn, user_id, &ids).await?;
    Ok(Page {
        items: with_links(page.items, links),
        next_page_token: page.next_page_token,
    })
}

/// Applies a partial update, re-linking workouts and moving counters and stats by the
/// difference between the old and new duration and links (sets of the workouts it leaves go
/// with their entries). A change of tracking mode while the exercise has sets is
/// FAILED_PRECONDITION (`EXERCISE_HAS_SETS`): its sets would no longer fit it.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn update(db: &Db, user_id: &UserId, patch: ExercisePatch) -> Result<Exercise> {
    let now = now_micros();
    let mut tx = db.begin().await?;
    deletion::lock_user(&mut tx, user_id, now).await?;
    let id = patch.id.as_str();
    let old = exercises::get(&mut tx, user_id, id)
        .await?
        .ok_or(Error::NotFound("exercise"))?;
    let old_links = links::workouts_of(&mut tx, user_id, id).await?;
    let unchanged = patch.name.is_none()
        && patch.description.is_none()
        && patch.duration.is_none()
        && patch.workout_ids.is_none()
        && patch.catalogue_entry_id.is_none()
        && patch.tracking_mode.is_none();
    if unchanged {
        return Ok(Exercise {
            row: old,
            workout_ids: old_links,
        });
    }
    let mut new = old.clone();
    if let Some(name) = patch.name {
        new.name = name.into_string();
    }
    if let Some(description) = patch.description {
        new.description = description.into_string();
    }
    if let Some(duration) = patch.duration {
        new.duration_minutes = duration.map(Minutes::get);
    }
    if patch.catalogue_entry_id.is_some() || patch.tracking_mode.is_some() {
        let old_mode = TrackingMode::from_db_name(&old.tracking_mode);
        let reference = match &patch.catalogue_entry_id {
            Some(reference) => reference.clone(),
            None => old.catalogue_entry_id.clone().map(CatalogueRef),
        };
        let mode = patch
            .tracking_mode
            .or(old_mode)
            .unwrap_or(TrackingMode::WeightReps);
        let field = "exercise.catalogue_entry_id";
        let (reference, mode) = resolve(&mut tx, user_id, reference.as_ref(), mode, field).await?;
        if Some(mode) != old_mode && sets::exercise_has_sets(&mut tx, user_id, id).await? {
            return Err(Error::FailedPrecondition("EXERCISE_HAS_SETS"));
        }
        new.catalogue_entry_id = reference;
        new.tracking_mode = mode.db_name().to_owned();
    }
    new.updated_at = now;
    let new_links = match &patch.workout_ids {
        Some(list) => linking::sorted(list),
        None => old_links.clone(),
    };
    let (old_min, new_min) = (minutes(old.duration_minutes), minutes(new.duration_minutes));
    let moves = (old_links.as_slice(), new_links.as_slice());
    let field = "exercise.workout_ids";
    linking::relink(&mut tx, user_id, id, moves, (old_min, new_min), field, now).await?;
    let row = exercises::update(&mut tx, user_id, &new)
        .await?
        .ok_or(Error::NotFound("exercise"))?;
    if new_min != old_min {
        let delta = Delta {
            minutes: new_min - old_min,
            ..Delta::default()
        };
        stats::add(&mut tx, user_id, delta, now).await?;
    }
    tx.commit().await?;
    Ok(Exercise {
        row,
        workout_ids: new_links,
    })
}

/// Deletes one of the user's exercises with its entries, their sets and its records, taking
/// it and its sets out of every counter and sum.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn delete(db: &Db, user_id: &UserId, id: &Id) -> Result<()> {
    let now = now_micros();
    let mut tx = db.begin().await?;
    deletion::lock_user(&mut tx, user_id, now).await?;
    let linked = links::workouts_of(&mut tx, user_id, id.as_str()).await?;
    let gone = sets::sums_of_exercise(&mut tx, user_id, id.as_str(), None).await?;
    let Some(duration) = exercises::delete(&mut tx, user_id, id.as_str()).await? else {
        return Err(Error::NotFound("exercise"));
    };
    let change = (-1, -minutes(duration));
    workouts::adjust_counters(&mut tx, user_id, &linked, change, now).await?;
    linking::forget_sets(&mut tx, user_id, &gone, now).await?;
    let delta = Delta {
        exercises: -1,
        minutes: -minutes(duration),
        ..Delta::default()
    };
    stats::add(&mut tx, user_id, delta, now).await?;
    tx.commit().await?;
    Ok(())
}
