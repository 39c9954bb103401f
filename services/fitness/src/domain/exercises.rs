//! Exercises and their links to workouts: every change keeps the linked workouts' counters
//! and the owner's stats in step, in the same transaction.

use shared::db::Db;
use shared::paging::{Page, PageRequest};
use shared::time::now_micros;
use sqlx::AnyConnection;

use super::ids::{Id, UserId};
use super::links::{self as linking, with_links};
use super::values::{Minutes, Name, Search, Text};
use super::{Batch, Create};
use super::{deletion, idempotency, minutes};
use crate::error::{Error, Result};
use crate::store::exercises::{self, ExerciseRow, Filter};
use crate::store::links;
use crate::store::stats::{self, Delta};
use crate::store::workouts;

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

/// Inserts one exercise with its links and counters; `field` names its `workout_ids` in the
/// error when one of them is not the user's workout (missing and foreign look the same).
async fn insert(
    conn: &mut AnyConnection,
    user_id: &UserId,
    new: NewExercise,
    now: i64,
    field: &str,
) -> Result<Exercise> {
    let row = ExerciseRow {
        id: Id::generate().into_string(),
        name: new.name.into_string(),
        description: new.description.into_string(),
        duration_minutes: new.duration.map(Minutes::get),
        created_at: now,
        updated_at: now,
    };
    let workout_ids = linking::sorted(&new.workout_ids);
    exercises::insert(conn, user_id, &row).await?;
    let minutes = minutes(row.duration_minutes);
    linking::link(conn, user_id, &row.id, &workout_ids, minutes, field).await?;
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
    let exercise = insert(&mut tx, user_id, new, now, "exercise.workout_ids").await?;
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
        let field = format!("requests[{i}].exercise.workout_ids");
        let exercise = insert(&mut tx, user_id, new, now, &field).await?;
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
/// difference between the old and new duration and links.
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
        && patch.workout_ids.is_none();
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
    new.updated_at = now;
    let new_links = match &patch.workout_ids {
        Some(list) => linking::sorted(list),
        None => old_links.clone(),
    };
    let (old_min, new_min) = (minutes(old.duration_minutes), minutes(new.duration_minutes));
    let moves = (old_links.as_slice(), new_links.as_slice());
    let field = "exercise.workout_ids";
    linking::relink(&mut tx, user_id, id, moves, (old_min, new_min), field).await?;
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

/// Deletes one of the user's exercises and its links, taking it out of every counter.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn delete(db: &Db, user_id: &UserId, id: &Id) -> Result<()> {
    let now = now_micros();
    let mut tx = db.begin().await?;
    deletion::lock_user(&mut tx, user_id, now).await?;
    let linked = links::workouts_of(&mut tx, user_id, id.as_str()).await?;
    let Some(duration) = exercises::delete(&mut tx, user_id, id.as_str()).await? else {
        return Err(Error::NotFound("exercise"));
    };
    workouts::adjust_counters(&mut tx, user_id, &linked, -1, -minutes(duration)).await?;
    let delta = Delta {
        exercises: -1,
        minutes: -minutes(duration),
        ..Delta::default()
    };
    stats::add(&mut tx, user_id, delta, now).await?;
    tx.commit().await?;
    Ok(())
}
