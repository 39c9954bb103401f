//! `stride.fitness.v1.ExerciseService`: the signed-in user's exercises.

use std::collections::HashSet;

use shared::db::Db;
use shared::error::Violations;
use shared::paging;
use shared::pb::fitness::v1 as pb;
use shared::pb::fitness::v1::exercise_service_server::ExerciseService;
use shared::time::to_timestamp;
use tonic::{Request, Response, Status};

use super::{add, caller, field, merge, reply};
use crate::domain::MAX_BATCH;
use crate::domain::exercises::{self, Exercise, ExercisePatch, ExerciseQuery, NewExercise};
use crate::domain::values::{Id, MAX_NAME_CHARS, Minutes, Name, RequestId, Text};
use crate::error::Error;
use crate::store::exercises::Filter;

/// Most workouts one exercise may be linked to (a bound on one request's work).
pub const MAX_LINKS: usize = 100;

/// Handler of `ExerciseService`.
#[derive(Debug, Clone)]
pub struct ExerciseApi {
    db: Db,
}

impl ExerciseApi {
    /// A handler over the fitness database.
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

/// Maps an exercise to the wire.
pub(crate) fn exercise_to_pb(e: Exercise) -> pb::Exercise {
    pb::Exercise {
        id: e.row.id,
        name: e.row.name,
        description: e.row.description,
        duration_minutes: e.row.duration_minutes,
        workout_ids: e.workout_ids,
        created_at: Some(to_timestamp(e.row.created_at)),
        updated_at: Some(to_timestamp(e.row.updated_at)),
    }
}

/// Distinct workout ids at `path` (e.g. `exercise.workout_ids`), each named by index.
fn workout_ids(raw: &[String], path: &str, v: &mut Violations) -> Vec<Id> {
    if raw.len() > MAX_LINKS {
        v.add(path, format!("at most {MAX_LINKS} workouts"));
        return Vec::new();
    }
    let mut seen = HashSet::new();
    let mut ids = Vec::with_capacity(raw.len());
    for (i, id) in raw.iter().enumerate() {
        let at = format!("{path}[{i}]");
        if let Some(id) = v.check(&at, Id::parse(id)) {
            if seen.insert(id.clone()) {
                ids.push(id);
            } else {
                v.add(at, "duplicate workout id");
            }
        }
    }
    ids
}

fn duration(raw: Option<i32>, path: &str, v: &mut Violations) -> Option<Minutes> {
    raw.and_then(|m| v.check(path, Minutes::parse(m)))
}

/// Parses the exercise of a create request at `prefix` (e.g. `requests[3].exercise`).
fn new_exercise(e: Option<&pb::Exercise>, prefix: &str, v: &mut Violations) -> Option<NewExercise> {
    let Some(e) = e else {
        v.add(prefix, "required");
        return None;
    };
    let name = v.check(&field(prefix, "name"), Name::parse(&e.name));
    let description = v.check(&field(prefix, "description"), Text::parse(&e.description));
    let before = v.fields().len();
    let duration_minutes = duration(e.duration_minutes, &field(prefix, "duration_minutes"), v);
    let workout_ids = workout_ids(&e.workout_ids, &field(prefix, "workout_ids"), v);
    if v.fields().len() != before {
        return None;
    }
    Some(NewExercise {
        name: name?,
        description: description?,
        duration: duration_minutes,
        workout_ids,
    })
}

fn request_id(raw: &str, v: &mut Violations) -> Option<RequestId> {
    v.check("request_id", RequestId::parse(raw)).flatten()
}

/// Paths `UpdateExercise` accepts in its mask.
const UPDATABLE: &[&str] = &["name", "description", "duration_minutes", "workout_ids"];

fn patch(request: &pb::UpdateExerciseRequest) -> Result<ExercisePatch, Violations> {
    let mut v = Violations::new();
    let Some(e) = request.exercise.as_ref() else {
        v.add("exercise", "required");
        return Err(v);
    };
    let id = v.check("exercise.id", Id::parse(&e.id));
    let mut populated = Vec::new();
    if !e.name.is_empty() {
        populated.push("name");
    }
    if !e.description.is_empty() {
        populated.push("description");
    }
    if e.duration_minutes.is_some() {
        populated.push("duration_minutes");
    }
    if !e.workout_ids.is_empty() {
        populated.push("workout_ids");
    }
    let paths = match shared::mask::paths(request.update_mask.as_ref(), UPDATABLE, &populated) {
        Ok(paths) => paths,
        Err(mask) => {
            merge(&mut v, &mask);
            Vec::new()
        }
    };
    let mut p = ExercisePatch {
        id: id.unwrap_or_else(Id::generate),
        name: None,
        description: None,
        duration: None,
        workout_ids: None,
    };
    for path in paths {
        match path {
            "name" => p.name = v.check("exercise.name", Name::parse(&e.name)),
            "description" => {
                p.description = v.check("exercise.description", Text::parse(&e.description));
            }
            "duration_minutes" => {
                p.duration = Some(duration(
                    e.duration_minutes,
                    "exercise.duration_minutes",
                    &mut v,
                ));
            }
            _ => p.workout_ids = Some(workout_ids(&e.workout_ids, "exercise.workout_ids", &mut v)),
        }
    }
    v.into_result().map(|()| p)
}

fn query(request: &pb::ListExercisesRequest) -> Result<ExerciseQuery, Violations> {
    let mut v = Violations::new();
    let limit = paging::page_size(request.page_size)
        .map_err(|e| add(&mut v, e))
        .ok();
    let workout_id = if request.workout_id.is_empty() {
        None
    } else {
        v.check("workout_id", Id::parse(&request.workout_id))
    };
    if request.name_contains.chars().count() > MAX_NAME_CHARS {
        v.add("name_contains", "at most 255 characters");
    }
    let min = duration(request.min_duration_minutes, "min_duration_minutes", &mut v);
    let max = duration(request.max_duration_minutes, "max_duration_minutes", &mut v);
    if let (Some(min), Some(max)) = (min, max)
        && max < min
    {
        v.add(
            "max_duration_minutes",
            "must not be below min_duration_minutes",
        );
    }
    let filter = Filter {
        workout_id: workout_id.map(Id::into_string),
        name_like: (!request.name_contains.is_empty())
            .then(|| crate::store::contains_pattern(&request.name_contains)),
        min_duration: min.map(Minutes::get),
        max_duration: max.map(Minutes::get),
    };
    let bound = |m: Option<i32>| m.map(|m| m.to_string()).unwrap_or_default();
    let fingerprint = paging::fingerprint(&[
        "exercises",
        filter.workout_id.as_deref().unwrap_or(""),
        &request.name_contains,
        &bound(filter.min_duration),
        &bound(filter.max_duration),
    ]);
    let after = match paging::decode_token::<(i64, String)>(&request.page_token, &fingerprint) {
        Ok(after) => after,
        Err(e) => {
            add(&mut v, e);
            None
        }
    };
    v.into_result()?;
    Ok(ExerciseQuery {
        filter,
        after,
        limit: limit.unwrap_or(paging::DEFAULT_PAGE_SIZE),
        fingerprint,
    })
}

#[tonic::async_trait]
impl ExerciseService for ExerciseApi {
    #[tracing::instrument(skip_all, fields(user_id = tracing::field::Empty))]
    async fn create_exercise(
        &self,
        request: Request<pb::CreateExerciseRequest>,
    ) -> Result<Response<pb::Exercise>, Status> {
        let caller = caller(&request)?;
        let request = request.into_inner();
        let mut v = Violations::new();
        let new = new_exercise(request.exercise.as_ref(), "exercise", &mut v);
        let request_id = request_id(&request.request_id, &mut v);
        let (Some(new), true) = (new, v.is_empty()) else {
            return Err(Error::InvalidArgument(v).into());
        };
        reply(
            exercises::create(&self.db, &caller.user_id, new, request_id).await,
            exercise_to_pb,
        )
    }

    #[tracing::instrument(skip_all, fields(user_id = tracing::field::Empty))]
    async fn batch_create_exercises(
        &self,
        request: Request<pb::BatchCreateExercisesRequest>,
    ) -> Result<Response<pb::BatchCreateExercisesResponse>, Status> {
        let caller = caller(&request)?;
        let request = request.into_inner();
        let mut v = Violations::new();
        if request.requests.is_empty() || request.requests.len() > MAX_BATCH {
            v.add("requests", format!("between 1 and {MAX_BATCH} items"));
        }
        let batch: Vec<Option<NewExercise>> = request
            .requests
            .iter()
            .take(MAX_BATCH)
            .enumerate()
            .map(|(i, r)| {
                new_exercise(
                    r.exercise.as_ref(),
                    &format!("requests[{i}].exercise"),
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
            exercises::batch_create(&self.db, &caller.user_id, batch, request_id).await,
            |exercises| pb::BatchCreateExercisesResponse {
                exercises: exercises.into_iter().map(exercise_to_pb).collect(),
            },
        )
    }

    #[tracing::instrument(skip_all, fields(user_id = tracing::field::Empty))]
    async fn get_exercise(
        &self,
        request: Request<pb::GetExerciseRequest>,
    ) -> Result<Response<pb::Exercise>, Status> {
        let caller = caller(&request)?;
        let mut v = Violations::new();
        let Some(id) = v.check("id", Id::parse(&request.get_ref().id)) else {
            return Err(Error::InvalidArgument(v).into());
        };
        reply(
            exercises::get(&self.db, &caller.user_id, &id).await,
            exercise_to_pb,
        )
    }

    #[tracing::instrument(skip_all, fields(user_id = tracing::field::Empty))]
    async fn list_exercises(
        &self,
        request: Request<pb::ListExercisesRequest>,
    ) -> Result<Response<pb::ListExercisesResponse>, Status> {
        let caller = caller(&request)?;
        let query = query(request.get_ref()).map_err(Error::InvalidArgument)?;
        reply(
            exercises::list(&self.db, &caller.user_id, query).await,
            |(exercises, next_page_token)| pb::ListExercisesResponse {
                exercises: exercises.into_iter().map(exercise_to_pb).collect(),
                next_page_token,
            },
        )
    }

    #[tracing::instrument(skip_all, fields(user_id = tracing::field::Empty))]
    async fn update_exercise(
        &self,
        request: Request<pb::UpdateExerciseRequest>,
    ) -> Result<Response<pb::Exercise>, Status> {
        let caller = caller(&request)?;
        let patch = patch(request.get_ref()).map_err(Error::InvalidArgument)?;
        reply(
            exercises::update(&self.db, &caller.user_id, patch).await,
            exercise_to_pb,
        )
    }

    #[tracing::instrument(skip_all, fields(user_id = tracing::field::Empty))]
    async fn delete_exercise(
        &self,
        request: Request<pb::DeleteExerciseRequest>,
    ) -> Result<Response<()>, Status> {
        let caller = caller(&request)?;
        let mut v = Violations::new();
        let Some(id) = v.check("id", Id::parse(&request.get_ref().id)) else {
            return Err(Error::InvalidArgument(v).into());
        };
        reply(
            exercises::delete(&self.db, &caller.user_id, &id).await,
            |()| (),
        )
    }
}
