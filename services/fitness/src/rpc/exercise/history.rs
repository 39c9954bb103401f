//! `ExerciseService.ListExerciseHistory`: one exercise's sets, newest workout first.

use shared::db::Db;
use shared::error::Violations;
use shared::paging::{Page, PageRequest};
use shared::pb::fitness::v1 as pb;
use tonic::{Request, Response, Status};

use crate::domain::history::{self, HistoryQuery};
use crate::domain::ids::Id;
use crate::error::{Error, Result};
use crate::rpc::workout::entries::set_to_pb;
use crate::rpc::{caller, parsed, reply};
use crate::store::history::SetRow;

impl TryFrom<pb::ListExerciseHistoryRequest> for HistoryQuery {
    type Error = Error;

    fn try_from(request: pb::ListExerciseHistoryRequest) -> Result<Self> {
        let mut v = Violations::new();
        let exercise_id = v.check("exercise_id", Id::parse(&request.exercise_id));
        let filters = [
            "exercise_history",
            exercise_id.as_ref().map_or("", Id::as_str),
        ];
        let page = PageRequest::parse(request.page_size, &request.page_token, &filters, &mut v);
        parsed(v, exercise_id.map(|exercise_id| Self { exercise_id, page }))
    }
}

/// Maps a set of the history to the wire, with its workout.
fn history_set_to_pb(s: SetRow) -> pb::HistorySet {
    pb::HistorySet {
        workout_id: s.workout_id.clone(),
        date: s.workout_date.clone(),
        set_index: s.position,
        set: Some(set_to_pb(s)),
    }
}

/// Handles `ListExerciseHistory`.
pub(super) async fn list(
    db: &Db,
    request: Request<pb::ListExerciseHistoryRequest>,
) -> Result<Response<pb::ListExerciseHistoryResponse>, Status> {
    let caller = caller(&request)?;
    let query = HistoryQuery::try_from(request.into_inner())?;
    reply(
        history::list(db, &caller.user_id, query).await,
        |page: Page<SetRow>| pb::ListExerciseHistoryResponse {
            sets: page.items.into_iter().map(history_set_to_pb).collect(),
            next_page_token: page.next_page_token,
        },
    )
}
