//! `stride.fitness.v1.StatsService`: per-user stats, personal records, weekly summaries,
//! leaderboard and evaluations.

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
use crate::domain::records::{self, Record, RecordKind, RecordQuery};
use crate::domain::stats::{self, LeaderboardQuery, Overview, SetEvaluation, Stat};
use crate::domain::training::{thousandths, week_start};
use crate::domain::values::{CalendarDate, Evaluation};
use crate::domain::weekly::{self, DEFAULT_WEEKS, MAX_WEEKS, WeekQuery};
use crate::error::{Error, Result};
use crate::store::weekly::WeekRow;

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
        total_sets: s.total_sets,
        total_reps: s.total_reps,
        total_volume_kg: thousandths(s.total_volume_g),
        total_distance_meters: thousandths(s.total_distance_mm),
        total_set_seconds: s.total_set_seconds,
    }
}

/// A record's kind on the wire.
fn kind_to_pb(kind: RecordKind) -> pb::RecordKind {
    match kind {
        RecordKind::HeaviestWeight => pb::RecordKind::HeaviestWeight,
        RecordKind::BestEstimated1rm => pb::RecordKind::BestEstimated1rm,
        RecordKind::MostReps => pb::RecordKind::MostReps,
        RecordKind::LongestDistance => pb::RecordKind::LongestDistance,
        RecordKind::FastestPace => pb::RecordKind::FastestPace,
    }
}

/// The kind filter: unspecified means any.
fn kind_from_pb(raw: i32) -> Result<Option<RecordKind>, String> {
    match pb::RecordKind::try_from(raw) {
        Ok(pb::RecordKind::Unspecified) => Ok(None),
        Ok(pb::RecordKind::HeaviestWeight) => Ok(Some(RecordKind::HeaviestWeight)),
        Ok(pb::RecordKind::BestEstimated1rm) => Ok(Some(RecordKind::BestEstimated1rm)),
        Ok(pb::RecordKind::MostReps) => Ok(Some(RecordKind::MostReps)),
        Ok(pb::RecordKind::LongestDistance) => Ok(Some(RecordKind::LongestDistance)),
        Ok(pb::RecordKind::FastestPace) => Ok(Some(RecordKind::FastestPace)),
        Err(_) => Err("not a known record kind".to_owned()),
    }
}

/// Maps a record to the wire: its value in the kind's unit, with its whole set.
fn record_to_pb(r: Record) -> pb::PersonalRecord {
    pb::PersonalRecord {
        exercise_id: r.exercise_id,
        kind: kind_to_pb(r.kind).into(),
        value: r.kind.output(r.value),
        workout_id: r.set.workout_id.clone(),
        date: r.set.workout_date.clone(),
        set: Some(crate::rpc::workout::entries::set_to_pb(r.set)),
    }
}

/// Maps a week to the wire: volume in kilograms, distance in metres.
fn week_to_pb(w: WeekRow) -> pb::WeeklySummary {
    pb::WeeklySummary {
        week_start: w.week_start,
        workouts: w.workouts,
        sets: w.sets,
        reps: w.reps,
        volume_kg: thousandths(w.volume_g),
        distance_meters: thousandths(w.distance_mm),
        set_seconds: w.set_seconds,
    }
}

impl TryFrom<pb::ListPersonalRecordsRequest> for RecordQuery {
    type Error = Error;

    fn try_from(request: pb::ListPersonalRecordsRequest) -> Result<Self> {
        let mut v = Violations::new();
        let exercise_id = if request.exercise_id.is_empty() {
            None
        } else {
            v.check("exercise_id", Id::parse(&request.exercise_id))
        };
        let kind = v.check("kind", kind_from_pb(request.kind)).flatten();
        let filters = [
            "personal_records",
            exercise_id.as_ref().map_or("", Id::as_str),
            kind.map_or("", RecordKind::db_name),
        ];
        let page = PageRequest::parse(request.page_size, &request.page_token, &filters, &mut v);
        let query = Self {
            exercise_id,
            kind,
            page,
        };
        parsed(v, Some(query))
    }
}

/// An optional date bound moved to its week's Monday: empty means none.
fn week_bound(raw: &str, name: &str, v: &mut Violations) -> Option<CalendarDate> {
    if raw.is_empty() {
        return None;
    }
    let date = v.check(name, CalendarDate::parse(raw))?;
    let monday = week_start(date.as_str()).map(|m| CalendarDate::parse(&m));
    match monday {
        Some(Ok(monday)) => Some(monday),
        _ => {
            v.add(name, "must be a date with a week inside the calendar");
            None
        }
    }
}

impl TryFrom<pb::ListWeeklySummariesRequest> for WeekQuery {
    type Error = Error;

    fn try_from(request: pb::ListWeeklySummariesRequest) -> Result<Self> {
        let mut v = Violations::new();
        let from = week_bound(&request.from_date, "from_date", &mut v);
        let to = week_bound(&request.to_date, "to_date", &mut v);
        if let (Some(from), Some(to)) = (&from, &to)
            && to < from
        {
            v.add("to_date", "must not be before from_date");
        }
        let filters = [
            "weekly_summaries",
            from.as_ref().map_or("", CalendarDate::as_str),
            to.as_ref().map_or("", CalendarDate::as_str),
        ];
        let mut page = PageRequest::parse(request.page_size, &request.page_token, &filters, &mut v);
        page.size = match request.page_size {
            0 => DEFAULT_WEEKS,
            n => i64::from(n).clamp(1, MAX_WEEKS),
        };
        parsed(v, Some(Self { from, to, page }))
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
        let caller = caller(&request)?;
        let query = RecordQuery::try_from(request.into_inner())?;
        reply(
            records::list(&self.db, &caller.user_id, query).await,
            |page: Page<Record>| pb::ListPersonalRecordsResponse {
                records: page.items.into_iter().map(record_to_pb).collect(),
                next_page_token: page.next_page_token,
            },
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(user_id = tracing::field::Empty))]
    async fn list_weekly_summaries(
        &self,
        request: Request<pb::ListWeeklySummariesRequest>,
    ) -> Result<Response<pb::ListWeeklySummariesResponse>, Status> {
        let caller = caller(&request)?;
        let query = WeekQuery::try_from(request.into_inner())?;
        reply(
            weekly::list(&self.db, &caller.user_id, query).await,
            |page: Page<WeekRow>| pb::ListWeeklySummariesResponse {
                weeks: page.items.into_iter().map(week_to_pb).collect(),
                next_page_token: page.next_page_token,
            },
        )
    }
}
