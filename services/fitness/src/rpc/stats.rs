//! `stride.fitness.v1.StatsService`: per-user stats, leaderboard and evaluations.

use shared::db::Db;
use shared::error::Violations;
use shared::paging;
use shared::pb::fitness::v1 as pb;
use shared::pb::fitness::v1::stats_service_server::StatsService;
use shared::time::to_timestamp;
use tonic::{Request, Response, Status};

use super::{add, caller, reply};
use crate::auth::Caller;
use crate::domain::stats::{self, LEADERBOARD_FINGERPRINT, LeaderboardQuery, Stat};
use crate::domain::values::{Evaluation, Id};
use crate::error::Error;
use crate::store::stats::LeaderAfter;

/// Handler of `StatsService`.
#[derive(Debug, Clone)]
pub struct StatsApi {
    db: Db,
}

impl StatsApi {
    /// A handler over the fitness database.
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

fn stat_to_pb(s: Stat) -> pb::Stat {
    pb::Stat {
        user_id: s.user_id,
        total_workouts: s.total_workouts,
        total_exercises: s.total_exercises,
        total_duration_minutes: s.total_duration_minutes,
        evaluation: s.evaluation,
        updated_at: Some(to_timestamp(s.updated_at)),
    }
}

/// Staff and admins only; everyone else gets PERMISSION_DENIED.
fn require_staff(caller: &Caller) -> Result<(), Status> {
    if caller.is_staff() {
        Ok(())
    } else {
        Err(Error::PermissionDenied.into())
    }
}

#[tonic::async_trait]
impl StatsService for StatsApi {
    #[tracing::instrument(skip_all, fields(user_id = tracing::field::Empty))]
    async fn get_my_stats(
        &self,
        request: Request<pb::GetMyStatsRequest>,
    ) -> Result<Response<pb::Stat>, Status> {
        let caller = caller(&request)?;
        reply(stats::mine(&self.db, &caller.user_id).await, stat_to_pb)
    }

    #[tracing::instrument(skip_all, fields(user_id = tracing::field::Empty))]
    async fn list_leaderboard(
        &self,
        request: Request<pb::ListLeaderboardRequest>,
    ) -> Result<Response<pb::ListLeaderboardResponse>, Status> {
        let caller = caller(&request)?;
        require_staff(&caller)?;
        let request = request.into_inner();
        let mut v = Violations::new();
        let limit = paging::page_size(request.page_size)
            .map_err(|e| add(&mut v, e))
            .ok();
        let after =
            match paging::decode_token::<LeaderAfter>(&request.page_token, LEADERBOARD_FINGERPRINT)
            {
                Ok(after) => after,
                Err(e) => {
                    add(&mut v, e);
                    None
                }
            };
        if !v.is_empty() {
            return Err(Error::InvalidArgument(v).into());
        }
        let query = LeaderboardQuery {
            after,
            limit: limit.unwrap_or(paging::DEFAULT_PAGE_SIZE),
        };
        reply(
            stats::leaderboard(&self.db, query).await,
            |(rows, next_page_token)| pb::ListLeaderboardResponse {
                stats: rows.into_iter().map(stat_to_pb).collect(),
                next_page_token,
            },
        )
    }

    #[tracing::instrument(skip_all, fields(user_id = tracing::field::Empty))]
    async fn set_evaluation(
        &self,
        request: Request<pb::SetEvaluationRequest>,
    ) -> Result<Response<pb::Stat>, Status> {
        let caller = caller(&request)?;
        require_staff(&caller)?;
        let request = request.into_inner();
        let mut v = Violations::new();
        let user_id = v.check("user_id", Id::parse(&request.user_id));
        let evaluation = v.check("evaluation", Evaluation::parse(request.evaluation));
        let (Some(user_id), Some(evaluation)) = (user_id, evaluation) else {
            return Err(Error::InvalidArgument(v).into());
        };
        reply(
            stats::set_evaluation(&self.db, &user_id, evaluation).await,
            stat_to_pb,
        )
    }
}
