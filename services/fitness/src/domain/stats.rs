//! Statistics: the caller's own, any user's and the totals over everyone for staff, the staff
//! leaderboard and evaluations. Totals are written by the workout and exercise operations;
//! here they are only read.

use shared::db::Db;
use shared::paging::{Page, PageRequest};
use shared::time::now_micros;

use super::deletion;
use super::ids::{Id, UserId};
use super::values::Evaluation;
use crate::error::{Error, Result};
use crate::store::stats::{self, LeaderAfter, StatRow, Totals};

/// A user's statistics as returned.
pub type Stat = StatRow;

/// The totals over every user as returned.
pub type Overview = Totals;

/// A validated `ListLeaderboard`: the listing has no filters, only pages.
#[derive(Debug, Clone)]
pub struct LeaderboardQuery {
    /// Page size and the position after the previous page.
    pub page: PageRequest<LeaderAfter>,
}

/// A validated `SetEvaluation`.
#[derive(Debug, Clone)]
pub struct SetEvaluation {
    /// Whom to evaluate.
    pub user_id: Id,
    /// The evaluation.
    pub evaluation: Evaluation,
}

/// The caller's statistics, created (all zero) on first need.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn mine(db: &Db, user_id: &UserId) -> Result<Stat> {
    let mut conn = db.read().await?;
    if let Some(stat) = stats::get(&mut conn, user_id).await? {
        return Ok(stat);
    }
    drop(conn);
    let mut tx = db.begin().await?;
    stats::ensure(&mut tx, user_id, now_micros()).await?;
    // A deleted account gets no new row (its request raced the revocation of its tokens).
    deletion::refuse_deleted(&mut tx, user_id).await?;
    let stat = stats::get(&mut tx, user_id)
        .await?
        .ok_or_else(|| Error::internal("stats row vanished after insert"))?;
    tx.commit().await?;
    Ok(stat)
}

/// A user's statistics for staff: `None` when they have none yet. Read-only: unlike
/// [`mine`], it never creates the row (staff looking at a user must not change what there is).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn of_user(db: &Db, user_id: &Id) -> Result<Option<Stat>> {
    let mut conn = db.read().await?;
    Ok(stats::get(&mut conn, user_id.as_str()).await?)
}

/// The totals over every user, for dashboards.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn overview(db: &Db) -> Result<Overview> {
    let mut conn = db.read().await?;
    Ok(stats::totals(&mut conn).await?)
}

/// One page of the leaderboard, with the token of the next.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn leaderboard(db: &Db, query: LeaderboardQuery) -> Result<Page<Stat>> {
    let mut conn = db.read().await?;
    let page = query.page;
    let rows = stats::leaderboard(&mut conn, page.after.as_ref(), page.limit()).await?;
    Ok(page.page(rows, |last| match last.evaluation {
        Some(e) => LeaderAfter::Rated(e, last.user_id.clone()),
        None => LeaderAfter::Unrated(last.user_id.clone()),
    }))
}

/// Sets a user's evaluation. Fitness keeps no identity data, so any well-formed user id is
/// accepted: the row simply waits for that user's first workout. A deleted account's is
/// NOT_FOUND: its data stays gone.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn set_evaluation(db: &Db, input: SetEvaluation) -> Result<Stat> {
    let SetEvaluation {
        user_id,
        evaluation,
    } = input;
    let mut tx = db.begin().await?;
    let stat =
        stats::set_evaluation(&mut tx, user_id.as_str(), evaluation.get(), now_micros()).await?;
    // After the write, which locked the row: see `deletion` for why this order is safe.
    if deletion::is_deleted(&mut tx, user_id.as_str()).await? {
        return Err(Error::NotFound("user"));
    }
    tx.commit().await?;
    Ok(stat)
}
