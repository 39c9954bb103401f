//! Statistics: the caller's own, the staff leaderboard and evaluations. Totals are written
//! by the workout and exercise operations; here they are only read.

use shared::db::Db;
use shared::time::now_micros;

use super::values::{Evaluation, Id};
use crate::error::{Error, Result};
use crate::store::stats::{self, LeaderAfter, StatRow};

/// A user's statistics as returned.
pub type Stat = StatRow;

/// A validated leaderboard request.
#[derive(Debug, Clone)]
pub struct LeaderboardQuery {
    /// Position after the previous page.
    pub after: Option<LeaderAfter>,
    /// Rows per page.
    pub limit: i64,
}

/// Fingerprint of leaderboard tokens: the listing has no filters.
pub const LEADERBOARD_FINGERPRINT: &str = "leaderboard";

/// The caller's statistics, created (all zero) on first need.
#[tracing::instrument(skip_all)]
pub async fn mine(db: &Db, user_id: &str) -> Result<Stat> {
    let mut conn = db.pool().acquire().await?;
    if let Some(stat) = stats::get(&mut conn, user_id).await? {
        return Ok(stat);
    }
    drop(conn);
    let mut tx = db.begin().await?;
    stats::ensure(&mut tx, user_id, now_micros()).await?;
    let stat = stats::get(&mut tx, user_id)
        .await?
        .ok_or(Error::Internal("stats row vanished after insert".into()))?;
    tx.commit().await?;
    Ok(stat)
}

/// One page of the leaderboard and the token of the next (empty at the end).
#[tracing::instrument(skip_all)]
pub async fn leaderboard(db: &Db, query: LeaderboardQuery) -> Result<(Vec<Stat>, String)> {
    let mut conn = db.pool().acquire().await?;
    let mut rows = stats::leaderboard(&mut conn, query.after.as_ref(), query.limit + 1).await?;
    let more = rows.len() as i64 > query.limit;
    rows.truncate(usize::try_from(query.limit).unwrap_or(usize::MAX));
    let token = match rows.last() {
        Some(last) if more => {
            let after = match last.evaluation {
                Some(e) => LeaderAfter::Rated(e, last.user_id.clone()),
                None => LeaderAfter::Unrated(last.user_id.clone()),
            };
            shared::paging::encode_token(LEADERBOARD_FINGERPRINT, &after)
        }
        _ => String::new(),
    };
    Ok((rows, token))
}

/// Sets a user's evaluation. Fitness keeps no identity data, so any well-formed user id is
/// accepted: the row simply waits for that user's first workout.
#[tracing::instrument(skip_all)]
pub async fn set_evaluation(db: &Db, user_id: &Id, evaluation: Evaluation) -> Result<Stat> {
    let mut tx = db.begin().await?;
    let stat =
        stats::set_evaluation(&mut tx, user_id.as_str(), evaluation.get(), now_micros()).await?;
    tx.commit().await?;
    Ok(stat)
}
