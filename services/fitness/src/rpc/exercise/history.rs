//! `ExerciseService.ListExerciseHistory`: one exercise's sets, newest workout first.

use shared::db::Db;
use shared::pb::fitness::v1 as pb;
use tonic::{Request, Response, Status};

use crate::rpc::caller;

/// Handles `ListExerciseHistory`.
pub(super) async fn list(
    db: &Db,
    request: Request<pb::ListExerciseHistoryRequest>,
) -> Result<Response<pb::ListExerciseHistoryResponse>, Status> {
    let _caller = caller(&request)?;
    let _ = db;
    Err(Status::unimplemented(
        "list_exercise_history is not built yet",
    ))
}
