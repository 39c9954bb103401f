//! `stride.fitness.v1.StatsService`: per-user stats, leaderboard and evaluations.

use shared::db::Db;
use shared::error::Violations;
use shared::paging::{Page, PageRequest};
use shared::pb::fitness::v1 as pb;
use shared::pb::fitness::v1::stats_service_server::StatsService;
use shared::time::to_timestamp;
use tonic::{Request, Response, Status};

use super::{caller, id, parsed, reply};
use crate::auth::Caller;
use crate::domain::ids::Id;
use crate::domain::stats::{self, LeaderboardQuery, Overview, SetEvaluation, Stat};
use crate::domain::values::Evaluation;
use crate::error::{Error, Result};

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
        ..Default::default()
    }
}

/// The statistics of a user who has none yet: zeros, not evaluated, never updated.
fn no_stats(user_id: Id) -> pb::Stat {
    pb::Stat {
        user_id: user_id.into_string(),
        ..pb::Stat::default()
    }
}

impl TryFrom<pb::ListLeaderboardRequest> for LeaderboardQuery {
    type Error = Error;

    fn try_from(request: pb::ListLeaderboardRequest) -> Result<Self> {
        let mut v = Violations::new();
        let filters = ["leaderboard"];
        let page = PageRequest::parse(request.page_size, &request.page_token, &filters, &mut v);
        parsed(v, Some(Self { page }))
    }
}

impl TryFrom<pb::SetEvaluationRequest> for SetEvaluation {
    type Error = Error;

    fn try_from(request: pb::SetEvaluationRequest) -> Result<Self> {
        let mut v = Violations::new();
        let user_id = v.check("user_id", Id::parse(&request.user_id));
        let evaluation = v.check("evaluation", Evaluation::parse(request.evaluation));
        let input = user_id.zip(evaluation);
        parsed(
            v,
            input.map(|(user_id, evaluation)| Self {
                user_id,
                evaluation,
            }),
        )
    }
}

/// Staff and admins only; everyone else gets PERMISSION_DENIED.
fn require_staff(caller: &Caller) -> Result<()> {
    if caller.is_staff() {
        Ok(())
    } else {
        Err(Error::PermissionDenied)
    }
}

#[tonic::async_trait]
impl StatsService for StatsApi {
    #[tracing::instrument(level = "debug", skip_all, fields(user_id = tracing::field::Empty))]
    async fn get_my_stats(
        &self,
        request: Request<pb::GetMyStatsRequest>,
    ) -> Result<Response<pb::Stat>, Status> {
        let caller = caller(&request)?;
        reply(stats::mine(&self.db, &caller.user_id).await, stat_to_pb)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(user_id = tracing::field::Empty))]
    async fn list_leaderboard(
        &self,
        request: Request<pb::ListLeaderboardRequest>,
    ) -> Result<Response<pb::ListLeaderboardResponse>, Status> {
        let caller = caller(&request)?;
        require_staff(&caller)?;
        let query = LeaderboardQuery::try_from(request.into_inner())?;
        reply(
            stats::leaderboard(&self.db, query).await,
            |page: Page<Stat>| pb::ListLeaderboardResponse {
                stats: page.items.into_iter().map(stat_to_pb).collect(),
                next_page_token: page.next_page_token,
            },
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(user_id = tracing::field::Empty))]
    async fn set_evaluation(
        &self,
        request: Request<pb::SetEvaluationRequest>,
    ) -> Result<Response<pb::Stat>, Status> {
        let caller = caller(&request)?;
        require_staff(&caller)?;
        let input = SetEvaluation::try_from(request.into_inner())?;
        reply(stats::set_evaluation(&self.db, input).await, stat_to_pb)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(user_id = tracing::field::Empty))]
    async fn get_user_stats(
        &self,
        request: Request<pb::GetUserStatsRequest>,
    ) -> Result<Response<pb::Stat>, Status> {
        let caller = caller(&request)?;
        require_staff(&caller)?;
        let user_id = id("user_id", &request.into_inner().user_id)?;
        let stat = stats::of_user(&self.db, &user_id).await?;
        Ok(Response::new(
            stat.map_or_else(|| no_stats(user_id), stat_to_pb),
        ))
    }

    #[tracing::instrument(level = "debug", skip_all, fields(user_id = tracing::field::Empty))]
    async fn get_training_overview(
        &self,
        request: Request<pb::GetTrainingOverviewRequest>,
    ) -> Result<Response<pb::GetTrainingOverviewResponse>, Status> {
        let caller = caller(&request)?;
        require_staff(&caller)?;
        reply(stats::overview(&self.db).await, |t: Overview| {
            pb::GetTrainingOverviewResponse {
                total_workouts: t.total_workouts,
                total_exercises: t.total_exercises,
                users_with_workouts: t.users_with_workouts,
                total_duration_minutes: t.total_duration_minutes,
            }
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(user_id = tracing::field::Empty))]
    async fn list_personal_records(
        &self,
        request: Request<pb::ListPersonalRecordsRequest>,
    ) -> Result<Response<pb::ListPersonalRecordsResponse>, Status> {
        let _caller = caller(&request)?;
        Err(Status::unimplemented(
            "list_personal_records is not built yet",
        ))
    }

    #[tracing::instrument(level = "debug", skip_all, fields(user_id = tracing::field::Empty))]
    async fn list_weekly_summaries(
        &self,
        request: Request<pb::ListWeeklySummariesRequest>,
    ) -> Result<Response<pb::ListWeeklySummariesResponse>, Status> {
        let _caller = caller(&request)?;
        Err(Status::unimplemented(
            "list_weekly_summaries is not built yet",
        ))
    }
}
