//! Workouts: create (single, batch, idempotent), read, list, update, delete, with the
//! owner's stats changed in the same transaction.

use shared::db::Db;
use shared::paging::{Page, PageRequest};
use shared::time::now_micros;

use super::exercises::Exercise;
use super::ids::{Id, UserId};
use super::links::with_links;
use super::values::{CalendarDate, Name, Search, Text, WorkoutType};
use super::{Batch, Create};
use super::{deletion, idempotency};
use crate::error::{Error, Result};
use crate::store::stats::{self, Delta};
use crate::store::workouts::{self, Filter, WorkoutRow};
// A listing's orders and keyset positions are those its SQL has statements for.
pub(crate) use crate::store::workouts::{After, Order};
use crate::store::{exercises as exercise_store, links};

/// A workout as stored and returned.
pub type Workout = WorkoutRow;

/// A validated workout to create.
#[derive(Debug, Clone)]
pub struct NewWorkout {
    /// 1–255 characters.
    pub title: Name,
    /// When it took place.
    pub date: CalendarDate,
    /// Free text.
    pub notes: Text,
    /// Never unspecified.
    pub workout_type: WorkoutType,
}

/// A validated `GetWorkout`.
#[derive(Debug, Clone)]
pub struct GetWorkout {
    /// The workout.
    pub id: Id,
    /// Whether its exercises are wanted too.
    pub include_exercises: bool,
}

/// Most exercises `GetWorkout` includes: one answer stays bounded however many a workout
/// has (the same bound as a batch and as an exercise's links). The rest are reached through
/// `ListExercises` with `workout_id`, which pages.
pub const MAX_INCLUDED_EXERCISES: usize = 100;

/// A workout as `GetWorkout` answers it.
#[derive(Debug, Clone)]
pub struct WorkoutDetail {
    /// The workout.
    pub workout: Workout,
    /// Its oldest exercises, at most [`MAX_INCLUDED_EXERCISES`]; empty unless asked for.
    pub exercises: Vec<Exercise>,
    /// True when it has more exercises than `exercises` holds.
    pub exercises_truncated: bool,
}

/// A validated partial update: `None` fields are left as they are.
#[derive(Debug, Clone)]
pub struct WorkoutPatch {
    /// The workout to change.
    pub id: Id,
    /// New title.
    pub title: Option<Name>,
    /// New date.
    pub date: Option<CalendarDate>,
    /// New notes.
    pub notes: Option<Text>,
    /// New type.
    pub workout_type: Option<WorkoutType>,
}

/// A validated listing request; `None` filters mean "any".
#[derive(Debug, Clone)]
pub struct WorkoutQuery {
    /// Only workouts of this type.
    pub workout_type: Option<WorkoutType>,
    /// Only workouts on or after this date.
    pub date_from: Option<CalendarDate>,
    /// Only workouts on or before this date.
    pub date_to: Option<CalendarDate>,
    /// Only workouts whose title contains this.
    pub title_contains: Option<Search>,
    /// Sort order.
    pub order: Order,
    /// Page size and the position after the previous page.
    pub page: PageRequest<After>,
}

const CREATE: &str = "CreateWorkout";
const BATCH_CREATE: &str = "BatchCreateWorkouts";

fn row(new: NewWorkout, now: i64) -> WorkoutRow {
    WorkoutRow {
        id: Id::generate().into_string(),
        title: new.title.into_string(),
        workout_date: new.date.into_string(),
        notes: new.notes.into_string(),
        workout_type: new.workout_type.db_name().to_owned(),
        exercise_count: 0,
        total_duration_minutes: 0,
        created_at: now,
        updated_at: now,
    }
}

/// Creates one workout, or replays the response a previous call with `request_id` got.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create(db: &Db, user_id: &UserId, input: Create<NewWorkout>) -> Result<Workout> {
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
    let workout = row(new, now);
    workouts::insert(&mut tx, user_id, &workout).await?;
    let delta = Delta {
        workouts: 1,
        ..Delta::default()
    };
    stats::add(&mut tx, user_id, delta, now).await?;
    idempotency::record(&mut tx, user_id, request_id.as_ref(), CREATE, &workout, now).await?;
    tx.commit().await?;
    Ok(workout)
}

/// Creates every workout or none, or replays a previous batch with `request_id`.
#[tracing::instrument(level = "debug", skip_all, fields(items = input.items.len()))]
pub async fn batch_create(
    db: &Db,
    user_id: &UserId,
    input: Batch<NewWorkout>,
) -> Result<Vec<Workout>> {
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
    for new in batch {
        let workout = row(new, now);
        workouts::insert(&mut tx, user_id, &workout).await?;
        created.push(workout);
    }
    let delta = Delta {
        workouts: i64::try_from(created.len()).unwrap_or(i64::MAX),
        ..Delta::default()
    };
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

/// One of the user's workouts, with its oldest exercises when asked: three queries, and at
/// most [`MAX_INCLUDED_EXERCISES`] exercises, however many it has.
#[tracing::instrument(level = "debug", skip_all, fields(include_exercises = input.include_exercises))]
pub async fn get(db: &Db, user_id: &UserId, input: GetWorkout) -> Result<WorkoutDetail> {
    let id = &input.id;
    let mut conn = db.read().await?;
    let workout = workouts::get(&mut conn, user_id, id.as_str())
        .await?
        .ok_or(Error::NotFound("workout"))?;
    if !input.include_exercises {
        return Ok(WorkoutDetail {
            workout,
            exercises: Vec::new(),
            exercises_truncated: false,
        });
    }
    // One row more than the cap tells whether there are more.
    let limit = i64::try_from(MAX_INCLUDED_EXERCISES + 1).unwrap_or(i64::MAX);
    let mut rows = exercise_store::of_workout(&mut conn, user_id, id.as_str(), limit).await?;
    let exercises_truncated = rows.len() > MAX_INCLUDED_EXERCISES;
    rows.truncate(MAX_INCLUDED_EXERCISES);
    let ids: Vec<String> = rows.iter().map(|row| row.id.clone()).collect();
    let links = links::of_exercises(&mut conn, user_id, &ids).await?;
    Ok(WorkoutDetail {
        workout,
        exercises: with_links(rows, links),
        exercises_truncated,
    })
}

/// One page of the user's workouts, with the token of the next.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list(db: &Db, user_id: &UserId, query: WorkoutQuery) -> Result<Page<Workout>> {
    let filter = Filter {
        workout_type: query.workout_type.map(|t| t.db_name().to_owned()),
        date_from: query.date_from.map(CalendarDate::into_string),
        date_to: query.date_to.map(CalendarDate::into_string),
        title_like: query.title_contains.as_ref().map(Search::pattern),
    };
    let mut conn = db.read().await?;
    let after = query.page.after.as_ref();
    let rows = workouts::list(
        &mut conn,
        user_id,
        &filter,
        query.order,
        after,
        query.page.limit(),
    )
    .await?;
    Ok(query.page.page(rows, |last| match query.order {
        Order::DateDesc => After::Date(last.workout_date.clone(), last.id.clone()),
        Order::CreatedDesc => After::Created(last.created_at, last.id.clone()),
    }))
}

/// Applies a partial update to one of the user's workouts.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn update(db: &Db, user_id: &UserId, patch: WorkoutPatch) -> Result<Workout> {
    let now = now_micros();
    let mut tx = db.begin().await?;
    deletion::lock_user(&mut tx, user_id, now).await?;
    let mut workout = workouts::get(&mut tx, user_id, patch.id.as_str())
        .await?
        .ok_or(Error::NotFound("workout"))?;
    let unchanged = patch.title.is_none()
        && patch.date.is_none()
        && patch.notes.is_none()
        && patch.workout_type.is_none();
    if unchanged {
        return Ok(workout);
    }
    if let Some(title) = patch.title {
        workout.title = title.into_string();
    }
    if let Some(date) = patch.date {
        workout.workout_date = date.into_string();
    }
    if let Some(notes) = patch.notes {
        workout.notes = notes.into_string();
    }
    if let Some(workout_type) = patch.workout_type {
        workout.workout_type = workout_type.db_name().to_owned();
    }
    workout.updated_at = now;
    let updated = workouts::update(&mut tx, user_id, &workout)
        .await?
        .ok_or(Error::NotFound("workout"))?;
    tx.commit().await?;
    Ok(updated)
}

/// Deletes one of the user's workouts; its exercises stay, unlinked.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn delete(db: &Db, user_id: &UserId, id: &Id) -> Result<()> {
    let now = now_micros();
    let mut tx = db.begin().await?;
    deletion::lock_user(&mut tx, user_id, now).await?;
    if !workouts::delete(&mut tx, user_id, id.as_str()).await? {
        return Err(Error::NotFound("workout"));
    }
    let delta = Delta {
        workouts: -1,
        ..Delta::default()
    };
    stats::add(&mut tx, user_id, delta, now).await?;
    tx.commit().await?;
    Ok(())
}
