//! `stride.fitness.v1.WorkoutService`: the signed-in user's workouts. Requests become domain
//! inputs in [`parse`]; replies are built here.

pub(crate) mod entries;
mod parse;

use shared::db::Db;
use shared::paging::Page;
use shared::pb::fitness::v1 as pb;
use shared::pb::fitness::v1::workout_service_server::WorkoutService;
use shared::time::to_timestamp;
use tonic::{Request, Response, Status};

use super::exercise::exercise_to_pb;
use super::{caller, int32, reply};
use crate::domain::entries::{ReplaceEntries, etag, replace};
use crate::domain::ids::Id;
use crate::domain::values::WorkoutType;
use crate::domain::workouts::{self, GetWorkout, NewWorkout, Workout, WorkoutPatch, WorkoutQuery};
use crate::domain::{Batch, Create};
use entries::entry_to_pb;

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
    let elapsed_seconds = match (w.started_at, w.ended_at) {
        (Some(start), Some(end)) => (end - start) / 1_000_000,
        _ => 0,
    };
    pb::Workout {
        etag: etag(w.updated_at),
        id: w.id,
        title: w.title,
        date: w.workout_date,
        notes: w.notes,
        workout_type: workout_type as i32,
        exercise_count: int32(w.exercise_count),
        total_duration_minutes: int32(w.total_duration_minutes),
        created_at: Some(to_timestamp(w.created_at)),
        updated_at: Some(to_timestamp(w.updated_at)),
        started_at: w.started_at.map(to_timestamp),
        ended_at: w.ended_at.map(to_timestamp),
        time_zone: w.time_zone,
        elapsed_seconds,
        set_count: int32(w.set_count),
        volume_kg: crate::domain::training::thousandths(w.volume_g),
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

#[tonic::async_trait]
impl WorkoutService for WorkoutApi {
    #[tracing::instrument(level = "debug", skip_all, fields(user_id = tracing::field::Empty))]
    async fn create_workout(
        &self,
        request: Request<pb::CreateWorkoutRequest>,
    ) -> Result<Response<pb::Workout>, Status> {
        let caller = caller(&request)?;
        let input = Create::<NewWorkout>::try_from(request.into_inner())?;
        reply(
            workouts::create(&self.db, &caller.user_id, input).await,
            workout_to_pb,
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(user_id = tracing::field::Empty))]
    async fn batch_create_workouts(
        &self,
        request: Request<pb::BatchCreateWorkoutsRequest>,
    ) -> Result<Response<pb::BatchCreateWorkoutsResponse>, Status> {
        let caller = caller(&request)?;
        let input = Batch::<NewWorkout>::try_from(request.into_inner())?;
        reply(
            workouts::batch_create(&self.db, &caller.user_id, input).await,
            |workouts| pb::BatchCreateWorkoutsResponse {
                workouts: workouts.into_iter().map(workout_to_pb).collect(),
            },
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(user_id = tracing::field::Empty))]
    async fn get_workout(
        &self,
        request: Request<pb::GetWorkoutRequest>,
    ) -> Result<Response<pb::GetWorkoutResponse>, Status> {
        let caller = caller(&request)?;
        let input = GetWorkout::try_from(request.into_inner())?;
        reply(
            workouts::get(&self.db, &caller.user_id, input).await,
            |detail| pb::GetWorkoutResponse {
                entries: detail.entries.into_iter().map(entry_to_pb).collect(),
                entries_truncated: detail.entries_truncated,
                workout: Some(workout_to_pb(detail.workout)),
                exercises: detail.exercises.into_iter().map(exercise_to_pb).collect(),
                exercises_truncated: detail.exercises_truncated,
            },
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(user_id = tracing::field::Empty))]
    async fn list_workouts(
        &self,
        request: Request<pb::ListWorkoutsRequest>,
    ) -> Result<Response<pb::ListWorkoutsResponse>, Status> {
        let caller = caller(&request)?;
        let query = WorkoutQuery::try_from(request.into_inner())?;
        reply(
            workouts::list(&self.db, &caller.user_id, query).await,
            |page: Page<Workout>| pb::ListWorkoutsResponse {
                workouts: page.items.into_iter().map(workout_to_pb).collect(),
                next_page_token: page.next_page_token,
            },
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(user_id = tracing::field::Empty))]
    async fn update_workout(
        &self,
        request: Request<pb::UpdateWorkoutRequest>,
    ) -> Result<Response<pb::Workout>, Status> {
        let caller = caller(&request)?;
        let patch = WorkoutPatch::try_from(request.into_inner())?;
        reply(
            workouts::update(&self.db, &caller.user_id, patch).await,
            workout_to_pb,
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(user_id = tracing::field::Empty))]
    async fn delete_workout(
        &self,
        request: Request<pb::DeleteWorkoutRequest>,
    ) -> Result<Response<()>, Status> {
        let caller = caller(&request)?;
        let id = Id::try_from(request.into_inner())?;
        reply(
            workouts::delete(&self.db, &caller.user_id, &id).await,
            |()| (),
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(user_id = tracing::field::Empty))]
    async fn replace_workout_entries(
        &self,
        request: Request<pb::ReplaceWorkoutEntriesRequest>,
    ) -> Result<Response<pb::ReplaceWorkoutEntriesResponse>, Status> {
        let caller = caller(&request)?;
        let input = ReplaceEntries::try_from(request.into_inner())?;
        reply(
            replace(&self.db, &caller.user_id, input).await,
            |replaced| pb::ReplaceWorkoutEntriesResponse {
                workout: Some(workout_to_pb(replaced.workout)),
                entries: replaced.entries.into_iter().map(entry_to_pb).collect(),
            },
        )
    }
}
