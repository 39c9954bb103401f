//! `stride.fitness.v1.ExerciseService`: the signed-in user's exercises. Requests become
//! domain inputs in [`parse`]; replies are built here.

mod history;
mod parse;

use shared::db::Db;
use shared::paging::Page;
use shared::pb::fitness::v1 as pb;
use shared::pb::fitness::v1::exercise_service_server::ExerciseService;
use shared::time::to_timestamp;
use tonic::{Request, Response, Status};

use super::{caller, reply};
use crate::domain::exercises::{self, Exercise, ExercisePatch, ExerciseQuery, NewExercise};
use crate::domain::ids::Id;
use crate::domain::training::TrackingMode;
use crate::domain::{Batch, Create};
use crate::rpc::workout::entries::mode_to_pb;

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
        catalogue_entry_id: e.row.catalogue_entry_id.unwrap_or_default(),
        tracking_mode: mode_to_pb(TrackingMode::from_db_name(&e.row.tracking_mode)) as i32,
    }
}

#[tonic::async_trait]
impl ExerciseService for ExerciseApi {
    #[tracing::instrument(level = "debug", skip_all, fields(user_id = tracing::field::Empty))]
    async fn create_exercise(
        &self,
        request: Request<pb::CreateExerciseRequest>,
    ) -> Result<Response<pb::Exercise>, Status> {
        let caller = caller(&request)?;
        let input = Create::<NewExercise>::try_from(request.into_inner())?;
        reply(
            exercises::create(&self.db, &caller.user_id, input).await,
            exercise_to_pb,
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(user_id = tracing::field::Empty))]
    async fn batch_create_exercises(
        &self,
        request: Request<pb::BatchCreateExercisesRequest>,
    ) -> Result<Response<pb::BatchCreateExercisesResponse>, Status> {
        let caller = caller(&request)?;
        let input = Batch::<NewExercise>::try_from(request.into_inner())?;
        reply(
            exercises::batch_create(&self.db, &caller.user_id, input).await,
            |exercises| pb::BatchCreateExercisesResponse {
                exercises: exercises.into_iter().map(exercise_to_pb).collect(),
            },
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(user_id = tracing::field::Empty))]
    async fn get_exercise(
        &self,
        request: Request<pb::GetExerciseRequest>,
    ) -> Result<Response<pb::Exercise>, Status> {
        let caller = caller(&request)?;
        let id = Id::try_from(request.into_inner())?;
        reply(
            exercises::get(&self.db, &caller.user_id, &id).await,
            exercise_to_pb,
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(user_id = tracing::field::Empty))]
    async fn list_exercises(
        &self,
        request: Request<pb::ListExercisesRequest>,
    ) -> Result<Response<pb::ListExercisesResponse>, Status> {
        let caller = caller(&request)?;
        let query = ExerciseQuery::try_from(request.into_inner())?;
        reply(
            exercises::list(&self.db, &caller.user_id, query).await,
            |page: Page<Exercise>| pb::ListExercisesResponse {
                exercises: page.items.into_iter().map(exercise_to_pb).collect(),
                next_page_token: page.next_page_token,
            },
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(user_id = tracing::field::Empty))]
    async fn update_exercise(
        &self,
        request: Request<pb::UpdateExerciseRequest>,
    ) -> Result<Response<pb::Exercise>, Status> {
        let caller = caller(&request)?;
        let patch = ExercisePatch::try_from(request.into_inner())?;
        reply(
            exercises::update(&self.db, &caller.user_id, patch).await,
            exercise_to_pb,
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(user_id = tracing::field::Empty))]
    async fn delete_exercise(
        &self,
        request: Request<pb::DeleteExerciseRequest>,
    ) -> Result<Response<()>, Status> {
        let caller = caller(&request)?;
        let id = Id::try_from(request.into_inner())?;
        reply(
            exercises::delete(&self.db, &caller.user_id, &id).await,
            |()| (),
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(user_id = tracing::field::Empty))]
    async fn list_exercise_history(
        &self,
        request: Request<pb::ListExerciseHistoryRequest>,
    ) -> Result<Response<pb::ListExerciseHistoryResponse>, Status> {
        history::list(&self.db, request).await
    }
}
