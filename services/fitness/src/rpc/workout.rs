//! `stride.fitness.v1.WorkoutService`: the signed-in user's workouts.

use shared::db::Db;
use shared::error::Violations;
use shared::paging;
use shared::pb::fitness::v1 as pb;
use shared::pb::fitness::v1::workout_service_server::WorkoutService;
use shared::time::to_timestamp;
use tonic::{Request, Response, Status};

use super::exercise::exercise_to_pb;
use super::{add, caller, field, int32, merge, reply};
use crate::domain::MAX_BATCH;
use crate::domain::values::{CalendarDate, Id, Name, RequestId, Text, WorkoutType};
use crate::domain::workouts::{self, NewWorkout, Workout, WorkoutPatch, WorkoutQuery};
use crate::error::Error;
use crate::store::workouts::{After, Filter, Order};

/// Handler of `WorkoutService`.
#[derive(Debug, Clone)]
pub struct WorkoutApi {
    db: Db,
}

impl WorkoutApi {
    /// A handler over the fitness database.
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

/// Maps a stored workout to the wire.
pub(crate) fn workout_to_pb(w: Workout) -> pb::Workout {
    let workout_type = WorkoutType::from_db_name(&w.workout_type)
        .map(type_to_pb)
        .unwrap_or(pb::WorkoutType::Unspecified);
    pb::Workout {
        id: w.id,
        title: w.title,
        date: w.workout_date,
        notes: w.notes,
        workout_type: workout_type as i32,
        exercise_count: int32(w.exercise_count),
        total_duration_minutes: int32(w.total_duration_minutes),
        created_at: Some(to_timestamp(w.created_at)),
        updated_at: Some(to_timestamp(w.updated_at)),
    }
}

fn type_to_pb(t: WorkoutType) -> pb::WorkoutType {
    match t {
        WorkoutType::Strength => pb::WorkoutType::Strength,
        WorkoutType::Cardio => pb::WorkoutType::Cardio,
        WorkoutType::Flexibility => pb::WorkoutType::Flexibility,
        WorkoutType::Balance => pb::WorkoutType::Balance,
        WorkoutType::Endurance => pb::WorkoutType::Endurance,
    }
}

/// A workout type from the wire; `None` for unspecified, `Err` for unknown numbers.
fn type_from_pb(raw: i32) -> Result<Option<WorkoutType>, String> {
    match pb::WorkoutType::try_from(raw) {
        Ok(pb::WorkoutType::Unspecified) => Ok(None),
        Ok(pb::WorkoutType::Strength) => Ok(Some(WorkoutType::Strength)),
        Ok(pb::WorkoutType::Cardio) => Ok(Some(WorkoutType::Cardio)),
        Ok(pb::WorkoutType::Flexibility) => Ok(Some(WorkoutType::Flexibility)),
        Ok(pb::WorkoutType::Balance) => Ok(Some(WorkoutType::Balance)),
        Ok(pb::WorkoutType::Endurance) => Ok(Some(WorkoutType::Endurance)),
        Err(_) => Err("unknown workout type".into()),
    }
}

fn required_type(raw: i32) -> Result<WorkoutType, String> {
    type_from_pb(raw)?.ok_or_else(|| {
        "required: one of STRENGTH, CARDIO, FLEXIBILITY, BALANCE, ENDURANCE".to_owned()
    })
}

/// Parses the workout of a create request at `prefix` (e.g. `requests[3].workout`).
fn new_workout(w: Option<&pb::Workout>, prefix: &str, v: &mut Violations) -> Option<NewWorkout> {
    let Some(w) = w else {
        v.add(prefix, "required");
        return None;
    };
    let title = v.check(&field(prefix, "title"), Name::parse(&w.title));
    let date = v.check(&field(prefix, "date"), CalendarDate::parse(&w.date));
    let notes = v.check(&field(prefix, "notes"), Text::parse(&w.notes));
    let workout_type = v.check(
        &field(prefix, "workout_type"),
        required_type(w.workout_type),
    );
    Some(NewWorkout {
        title: title?,
        date: date?,
        notes: notes?,
        workout_type: workout_type?,
    })
}

fn request_id(raw: &str, v: &mut Violations) -> Option<RequestId> {
    v.check("request_id", RequestId::parse(raw)).flatten()
}

/// Paths `UpdateWorkout` accepts in its mask.
const UPDATABLE: &[&str] = &["title", "date", "notes", "workout_type"];

fn patch(request: &pb::UpdateWorkoutRequest) -> Result<WorkoutPatch, Violations> {
    let mut v = Violations::new();
    let Some(w) = request.workout.as_ref() else {
        v.add("workout", "required");
        return Err(v);
    };
    let id = v.check("workout.id", Id::parse(&w.id));
    let mut populated = Vec::new();
    if !w.title.is_empty() {
        populated.push("title");
    }
    if !w.date.is_empty() {
        populated.push("date");
    }
    if !w.notes.is_empty() {
        populated.push("notes");
    }
    if w.workout_type != 0 {
        populated.push("workout_type");
    }
    let paths = match shared::mask::paths(request.update_mask.as_ref(), UPDATABLE, &populated) {
        Ok(paths) => paths,
        Err(mask) => {
            merge(&mut v, &mask);
            Vec::new()
        }
    };
    let mut p = WorkoutPatch {
        id: id.unwrap_or_else(Id::generate),
        title: None,
        date: None,
        notes: None,
        workout_type: None,
    };
    for path in paths {
        match path {
            "title" => p.title = v.check("workout.title", Name::parse(&w.title)),
            "date" => p.date = v.check("workout.date", CalendarDate::parse(&w.date)),
            "notes" => p.notes = v.check("workout.notes", Text::parse(&w.notes)),
            _ => p.workout_type = v.check("workout.workout_type", required_type(w.workout_type)),
        }
    }
    v.into_result().map(|()| p)
}

fn query(request: &pb::ListWorkoutsRequest) -> Result<WorkoutQuery, Violations> {
    let mut v = Violations::new();
    let limit = paging::page_size(request.page_size)
        .map_err(|e| add(&mut v, e))
        .ok();
    let workout_type = v
        .check("workout_type", type_from_pb(request.workout_type))
        .flatten();
    let date = |raw: &str, name: &str, v: &mut Violations| {
        if raw.is_empty() {
            None
        } else {
            v.check(name, CalendarDate::parse(raw))
        }
    };
    let date_from = date(&request.date_from, "date_from", &mut v);
    let date_to = date(&request.date_to, "date_to", &mut v);
    if let (Some(from), Some(to)) = (&date_from, &date_to)
        && to < from
    {
        v.add("date_to", "must not be before date_from");
    }
    if request.title_contains.chars().count() > crate::domain::values::MAX_NAME_CHARS {
        v.add("title_contains", "at most 255 characters");
    }
    let order = match pb::WorkoutOrder::try_from(request.order_by) {
        Ok(pb::WorkoutOrder::Unspecified | pb::WorkoutOrder::DateDesc) => Order::DateDesc,
        Ok(pb::WorkoutOrder::CreatedAtDesc) => Order::CreatedDesc,
        Err(_) => {
            v.add("order_by", "unknown order");
            Order::DateDesc
        }
    };
    let filter = Filter {
        workout_type: workout_type.map(|t| t.db_name().to_owned()),
        date_from: date_from.map(CalendarDate::into_string),
        date_to: date_to.map(CalendarDate::into_string),
        title_like: (!request.title_contains.is_empty())
            .then(|| crate::store::contains_pattern(&request.title_contains)),
    };
    let fingerprint = paging::fingerprint(&[
        "workouts",
        filter.workout_type.as_deref().unwrap_or(""),
        filter.date_from.as_deref().unwrap_or(""),
        filter.date_to.as_deref().unwrap_or(""),
        &request.title_contains,
        match order {
            Order::DateDesc => "date",
            Order::CreatedDesc => "created",
        },
    ]);
    let after = match paging::decode_token::<After>(&request.page_token, &fingerprint) {
        Ok(after) => after,
        Err(e) => {
            add(&mut v, e);
            None
        }
    };
    let consistent = matches!(
        (order, &after),
        (_, None)
            | (Order::DateDesc, Some(After::Date(..)))
            | (Order::CreatedDesc, Some(After::Created(..)))
    );
    if !consistent {
        v.add("page_token", "not a page token from this listing");
    }
    v.into_result()?;
    Ok(WorkoutQuery {
        filter,
        order,
        after,
        limit: limit.unwrap_or(paging::DEFAULT_PAGE_SIZE),
        fingerprint,
    })
}

#[tonic::async_trait]
impl WorkoutService for WorkoutApi {
    #[tracing::instrument(skip_all, fields(user_id = tracing::field::Empty))]
    async fn create_workout(
        &self,
        request: Request<pb::CreateWorkoutRequest>,
    ) -> Result<Response<pb::Workout>, Status> {
        let caller = caller(&request)?;
        let request = request.into_inner();
        let mut v = Violations::new();
        let new = new_workout(request.workout.as_ref(), "workout", &mut v);
        let request_id = request_id(&request.request_id, &mut v);
        let (Some(new), true) = (new, v.is_empty()) else {
            return Err(Error::InvalidArgument(v).into());
        };
        reply(
            workouts::create(&self.db, &caller.user_id, new, request_id).await,
            workout_to_pb,
        )
    }

    #[tracing::instrument(skip_all, fields(user_id = tracing::field::Empty))]
    async fn batch_create_workouts(
        &self,
        request: Request<pb::BatchCreateWorkoutsRequest>,
    ) -> Result<Response<pb::BatchCreateWorkoutsResponse>, Status> {
        let caller = caller(&request)?;
        let request = request.into_inner();
        let mut v = Violations::new();
        if request.requests.is_empty() || request.requests.len() > MAX_BATCH {
            v.add("requests", format!("between 1 and {MAX_BATCH} items"));
        }
        let batch: Vec<Option<NewWorkout>> = request
            .requests
            .iter()
            .take(MAX_BATCH)
            .enumerate()
            .map(|(i, r)| {
                new_workout(
                    r.workout.as_ref(),
                    &format!("requests[{i}].workout"),
                    &mut v,
                )
            })
            .collect();
        let request_id = request_id(&request.request_id, &mut v);
        if !v.is_empty() {
            return Err(Error::InvalidArgument(v).into());
        }
        let batch = batch.into_iter().flatten().collect();
        reply(
            workouts::batch_create(&self.db, &caller.user_id, batch, request_id).await,
            |workouts| pb::BatchCreateWorkoutsResponse {
                workouts: workouts.into_iter().map(workout_to_pb).collect(),
            },
        )
    }

    #[tracing::instrument(skip_all, fields(user_id = tracing::field::Empty))]
    async fn get_workout(
        &self,
        request: Request<pb::GetWorkoutRequest>,
    ) -> Result<Response<pb::GetWorkoutResponse>, Status> {
        let caller = caller(&request)?;
        let request = request.into_inner();
        let mut v = Violations::new();
        let id = v.check("id", Id::parse(&request.id));
        let Some(id) = id else {
            return Err(Error::InvalidArgument(v).into());
        };
        reply(
            workouts::get(&self.db, &caller.user_id, &id, request.include_exercises).await,
            |(workout, exercises)| pb::GetWorkoutResponse {
                workout: Some(workout_to_pb(workout)),
                exercises: exercises.into_iter().map(exercise_to_pb).collect(),
            },
        )
    }

    #[tracing::instrument(skip_all, fields(user_id = tracing::field::Empty))]
    async fn list_workouts(
        &self,
        request: Request<pb::ListWorkoutsRequest>,
    ) -> Result<Response<pb::ListWorkoutsResponse>, Status> {
        let caller = caller(&request)?;
        let query = query(request.get_ref()).map_err(Error::InvalidArgument)?;
        reply(
            workouts::list(&self.db, &caller.user_id, query).await,
            |(workouts, next_page_token)| pb::ListWorkoutsResponse {
                workouts: workouts.into_iter().map(workout_to_pb).collect(),
                next_page_token,
            },
        )
    }

    #[tracing::instrument(skip_all, fields(user_id = tracing::field::Empty))]
    async fn update_workout(
        &self,
        request: Request<pb::UpdateWorkoutRequest>,
    ) -> Result<Response<pb::Workout>, Status> {
        let caller = caller(&request)?;
        let patch = patch(request.get_ref()).map_err(Error::InvalidArgument)?;
        reply(
            workouts::update(&self.db, &caller.user_id, patch).await,
            workout_to_pb,
        )
    }

    #[tracing::instrument(skip_all, fields(user_id = tracing::field::Empty))]
    async fn delete_workout(
        &self,
        request: Request<pb::DeleteWorkoutRequest>,
    ) -> Result<Response<()>, Status> {
        let caller = caller(&request)?;
        let mut v = Violations::new();
        let Some(id) = v.check("id", Id::parse(&request.get_ref().id)) else {
            return Err(Error::InvalidArgument(v).into());
        };
        reply(
            workouts::delete(&self.db, &caller.user_id, &id).await,
            |()| (),
        )
    }
}
