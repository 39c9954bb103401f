//! Workouts: create (single, batch, idempotent), read, list, update, delete, with the
//! owner's stats, weekly summaries and records changed in the same transaction.

use shared::db::Db;
use shared::paging::{Page, PageRequest};
use shared::time::now_micros;

use shared::error::Violations;
use sqlx::AnyConnection;

use super::entries::{self, Entry, bumped, sums_of};
use super::exercises::Exercise;
use super::ids::{Id, UserId};
use super::links::with_links;
use super::training::{Sums, week_start};
use super::values::{CalendarDate, Name, Search, Text, WorkoutType, ZoneName, check_end};
use super::{Batch, Create};
use super::{deletion, idempotency, records};
use crate::error::{Error, Result};
use crate::store::sets;
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
    /// When it took place (given, or the local date of `started_at`).
    pub date: CalendarDate,
    /// Free text.
    pub notes: Text,
    /// Never unspecified.
    pub workout_type: WorkoutType,
    /// When it began, microseconds since the epoch.
    pub started_at: Option<i64>,
    /// When it ended: needs `started_at`, not before it, at most 24 hours after (see
    /// `values::check_end`).
    pub ended_at: Option<i64>,
    /// The zone it took place in.
    pub time_zone: ZoneName,
    /// Key of the import creating it (unique per user), if one is.
    pub import_key: Option<String>,
}

/// A validated `GetWorkout`.
#[derive(Debug, Clone)]
pub struct GetWorkout {
    /// The workout.
    pub id: Id,
    /// Whether its exercises are wanted too.
    pub include_exercises: bool,
    /// Whether its entries with their sets are wanted too.
    pub include_entries: bool,
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
    /// Its first entries with all their sets, in order; empty unless asked for.
    pub entries: Vec<Entry>,
    /// True when it has more entries than `entries` holds.
    pub entries_truncated: bool,
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
    /// New start (`Some(None)` clears it).
    pub started_at: Option<Option<i64>>,
    /// New end (`Some(None)` clears it).
    pub ended_at: Option<Option<i64>>,
    /// New zone.
    pub time_zone: Option<ZoneName>,
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
        started_at: new.started_at,
        ended_at: new.ended_at,
        time_zone: new.time_zone.into_string(),
        set_count: 0,
        total_reps: 0,
        volume_g: 0,
        distance_mm: 0,
        set_seconds: 0,
        import_key: new.import_key,
    }
}

/// Inserts one workout inside the caller's transaction (begun, the user locked through
/// `deletion::lock_user`), counting it in the user's totals and its week's summary.
pub(crate) async fn insert_in(
    conn: &mut AnyConnection,
    user_id: &str,
    new: NewWorkout,
    now: i64,
) -> Result<Workout> {
    let workout = row(new, now);
    workouts::insert(conn, user_id, &workout).await?;
    let delta = Delta {
        workouts: 1,
        ..Delta::default()
    };
    stats::add(conn, user_id, delta, now).await?;
    let one = Sums {
        workouts: 1,
        ..Sums::default()
    };
    entries::apply(conn, user_id, &workout.workout_date, &one, now).await?;
    Ok(workout)
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
    let workout = insert_in(&mut tx, user_id, new, now).await?;
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
        created.push(insert_in(&mut tx, user_id, new, now).await?);
    }
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

/// One of the user's workouts, with its oldest exercises and its entries when asked: at most
/// five queries, and at most [`MAX_INCLUDED_EXERCISES`] exercises, however many it has.
#[tracing::instrument(level = "debug", skip_all, fields(include_exercises = input.include_exercises))]
pub async fn get(db: &Db, user_id: &UserId, input: GetWorkout) -> Result<WorkoutDetail> {
    let id = &input.id;
    let mut conn = db.read().await?;
    let workout = workouts::get(&mut conn, user_id, id.as_str())
        .await?
        .ok_or(Error::NotFound("workout"))?;
    let (entries, entries_truncated) = if input.include_entries {
        entries::read(&mut conn, user_id, id.as_str()).await?
    } else {
        (Vec::new(), false)
    };
    if !input.include_exercises {
        return Ok(WorkoutDetail {
            workout,
            exercises: Vec::new(),
            exercises_truncated: false,
            entries,
            entries_truncated,
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
        entries,
        entries_truncated,
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

/// Applies a partial update to one of the user's workouts. A new start or zone without a new
/// date gives the workout the start's local date. A date change moves the workout's sets to
/// it, and its sums (and itself) from the old week's summary to the new one's.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn update(db: &Db, user_id: &UserId, patch: WorkoutPatch) -> Result<Workout> {
    let now = now_micros();
    let mut tx = db.begin().await?;
    deletion::lock_user(&mut tx, user_id, now).await?;
    let old = workouts::get(&mut tx, user_id, patch.id.as_str())
        .await?
        .ok_or(Error::NotFound("workout"))?;
    let unchanged = patch.title.is_none()
        && patch.date.is_none()
        && patch.notes.is_none()
        && patch.workout_type.is_none()
        && patch.started_at.is_none()
        && patch.ended_at.is_none()
        && patch.time_zone.is_none();
    if unchanged {
        return Ok(old);
    }
    let mut workout = old.clone();
    let rezoned = patch.started_at.is_some() || patch.time_zone.is_some();
    if let Some(title) = patch.title {
        workout.title = title.into_string();
    }
    if let Some(notes) = patch.notes {
        workout.notes = notes.into_string();
    }
    if let Some(workout_type) = patch.workout_type {
        workout.workout_type = workout_type.db_name().to_owned();
    }
    if let Some(started_at) = patch.started_at {
        workout.started_at = started_at;
    }
    if let Some(ended_at) = patch.ended_at {
        workout.ended_at = ended_at;
    }
    let zone = match patch.time_zone {
        Some(zone) => zone,
        None => ZoneName::parse(&workout.time_zone).unwrap_or_else(|_| ZoneName::utc()),
    };
    let mut v = Violations::new();
    if let Some(date) = patch.date {
        workout.workout_date = date.into_string();
    } else if rezoned && let Some(started_at) = workout.started_at {
        match zone.local_date(started_at) {
            Ok(date) => workout.workout_date = date.into_string(),
            Err(e) => v.add("workout.started_at", e),
        }
    }
    workout.time_zone = zone.into_string();
    v.check(
        "workout.ended_at",
        check_end(workout.started_at, workout.ended_at),
    );
    if !v.is_empty() {
        return Err(Error::InvalidArgument(v));
    }
    workout.updated_at = bumped(old.updated_at, now);
    let updated = workouts::update(&mut tx, user_id, &workout)
        .await?
        .ok_or(Error::NotFound("workout"))?;
    if updated.workout_date != old.workout_date {
        move_date(&mut tx, user_id, &old, &updated.workout_date, now).await?;
    }
    tx.commit().await?;
    Ok(updated)
}

/// Moves the workout `old` to the date `date`: its sets' copies of the date, its sums and
/// itself from its old week to the new one, and the records of its exercises (whose ties are
/// broken by date).
async fn move_date(
    conn: &mut AnyConnection,
    user_id: &str,
    old: &Workout,
    date: &str,
    now: i64,
) -> Result<()> {
    sets::set_date(conn, user_id, &old.id, date).await?;
    let whole = sums_of(old)
        + Sums {
            workouts: 1,
            ..Sums::default()
        };
    let (from, to) = (week_start(&old.workout_date), week_start(date));
    if from != to {
        entries::apply_week(conn, user_id, &old.workout_date, &whole.negated()).await?;
        entries::apply_week(conn, user_id, date, &whole).await?;
    }
    let exercises = sets::exercises_of_workout(conn, user_id, &old.id).await?;
    records::recompute(conn, user_id, &exercises, now).await?;
    Ok(())
}

/// Deletes one of the user's workouts with its entries and sets; its exercises stay,
/// unlinked. Its sums leave the user's totals and its week; the records of the exercises it
/// had sets of are recomputed without them.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn delete(db: &Db, user_id: &UserId, id: &Id) -> Result<()> {
    let now = now_micros();
    let mut tx = db.begin().await?;
    deletion::lock_user(&mut tx, user_id, now).await?;
    let Some(workout) = workouts::get(&mut tx, user_id, id.as_str()).await? else {
        return Err(Error::NotFound("workout"));
    };
    let exercises = sets::exercises_of_workout(&mut tx, user_id, id.as_str()).await?;
    if !workouts::delete(&mut tx, user_id, id.as_str()).await? {
        return Err(Error::NotFound("workout"));
    }
    let delta = Delta {
        workouts: -1,
        ..Delta::default()
    };
    stats::add(&mut tx, user_id, delta, now).await?;
    let whole = sums_of(&workout)
        + Sums {
            workouts: 1,
            ..Sums::default()
        };
    entries::apply(
        &mut tx,
        user_id,
        &workout.workout_date,
        &whole.negated(),
        now,
    )
    .await?;
    records::recompute(&mut tx, user_id, &exercises, now).await?;
    tx.commit().await?;
    Ok(())
}
