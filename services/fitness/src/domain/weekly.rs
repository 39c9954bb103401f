//! Weekly summaries: the user's training per ISO week, kept by every write through
//! `store::weekly::add` and listed here newest week first.

use shared::db::Db;
use shared::paging::{Page, PageRequest};

use super::ids::UserId;
use super::values::CalendarDate;
use crate::error::Result;
use crate::store::weekly::{self, Filter, WeekRow};

/// Weeks per page when the request leaves it at 0: a year.
pub const DEFAULT_WEEKS: i64 = 52;
/// Largest page of weeks served: ten years.
pub const MAX_WEEKS: i64 = 520;

/// A validated `ListWeeklySummaries`: bounds already moved to their week's Monday.
#[derive(Debug, Clone)]
pub struct WeekQuery {
    /// Monday of the earliest week.
    pub from: Option<CalendarDate>,
    /// Monday of the latest week.
    pub to: Option<CalendarDate>,
    /// Page size and the week_start of the last week served.
    pub page: PageRequest<String>,
}

/// One page of the user's weeks, newest first, with the token of the next: one query.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list(db: &Db, user_id: &UserId, query: WeekQuery) -> Result<Page<WeekRow>> {
    let filter = Filter {
        from: query.from.map(CalendarDate::into_string),
        to: query.to.map(CalendarDate::into_string),
    };
    let mut conn = db.read().await?;
    let page = query.page;
    let rows = weekly::list(
        &mut conn,
        user_id,
        &filter,
        page.after.as_deref(),
        page.limit(),
    )
    .await?;
    Ok(page.page(rows, |last| last.week_start.clone()))
}
