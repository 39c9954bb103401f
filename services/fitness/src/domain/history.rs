//! Exercise history: every set of one of the user's exercises, newest workout first and in
//! set order within a workout, paged by keyset over `sets_history_idx`.

use shared::db::Db;
use shared::paging::{Page, PageRequest};

use super::ids::{Id, UserId};
use crate::error::{Error, Result};
use crate::store::history::{self, HistoryAfter, SetRow};

/// A validated `ListExerciseHistory`.
#[derive(Debug, Clone)]
pub struct HistoryQuery {
    /// One of the caller's exercises, else NOT_FOUND.
    pub exercise_id: Id,
    /// Page size and the position after the previous page.
    pub page: PageRequest<HistoryAfter>,
}

/// One page of the exercise's sets with the token of the next: two queries whatever the
/// page size. NOT_FOUND when the exercise is not the user's.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list(db: &Db, user_id: &UserId, query: HistoryQuery) -> Result<Page<SetRow>> {
    let mut conn = db.read().await?;
    let exercise_id = query.exercise_id.as_str();
    if !history::exercise_exists(&mut conn, user_id, exercise_id).await? {
        return Err(Error::NotFound("exercise"));
    }
    let page = query.page;
    let rows = history::list(
        &mut conn,
        user_id,
        exercise_id,
        page.after.as_ref(),
        page.limit(),
    )
    .await?;
    Ok(page.page(rows, |last| {
        (
            last.workout_date.clone(),
            last.workout_id.clone(),
            last.position,
        )
    }))
}
