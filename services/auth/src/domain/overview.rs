//! The admin dashboard's figures (`AdminService.GetOverview`): how many users and active
//! sessions there are now, and the sign-ups, sign-ins and failed sign-ins of each of the last
//! days, read from the security log.
//!
//! Days are UTC days of the service clock, so a test with a fixed clock knows what "today" is.
//! Each day is counted in SQL by one grouped query over the indexed time range of the log;
//! days without events are filled in here, with zeros.

use std::collections::HashMap;

use shared::db::Db;
use shared::time::Micros;
use time::Date;

use crate::domain::security_events::EventType;
use crate::error::{Error, Result};
use crate::store::security_events::{self as event_store, DAY};
use crate::store::sessions;
use crate::store::users::listing;

/// Days of the series when the request leaves it at 0.
pub(crate) const DEFAULT_DAYS: u32 = 30;
/// Longest series served; longer requests are capped.
pub(crate) const MAX_DAYS: u32 = 90;

/// The event types counted each day, in the order of [`DailyActivity`]'s counts.
const COUNTED: [EventType; 3] = [
    EventType::Register,
    EventType::LoginSucceeded,
    EventType::LoginFailed,
];

/// The length of the daily series: 1 to [`MAX_DAYS`] days, today included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Days(u32);

impl Days {
    /// Parses the requested number of days: 0 means [`DEFAULT_DAYS`], more than [`MAX_DAYS`]
    /// is capped, negative is refused.
    pub(crate) fn parse(raw: i32) -> Result<Self, String> {
        match u32::try_from(raw) {
            Err(_) => Err("must not be negative".into()),
            Ok(0) => Ok(Self(DEFAULT_DAYS)),
            Ok(n) => Ok(Self(n.min(MAX_DAYS))),
        }
    }

    /// The number of days.
    pub(crate) fn get(self) -> u32 {
        self.0
    }
}

/// Sign-up and sign-in counts of one UTC day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DailyActivity {
    /// The day.
    pub date: Date,
    /// `REGISTER` events.
    pub sign_ups: i64,
    /// `LOGIN_SUCCEEDED` events.
    pub sign_ins: i64,
    /// `LOGIN_FAILED` events.
    pub failed_sign_ins: i64,
}

/// The dashboard's figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Overview {
    /// Every user, active or not.
    pub total_users: i64,
    /// Users whose `active` flag is set.
    pub active_users: i64,
    /// Sessions that are neither revoked nor expired.
    pub active_sessions: i64,
    /// One entry per day, oldest first, ending today.
    pub days: Vec<DailyActivity>,
}

/// The figures at `now`, with a series of `days` days ending on `now`'s UTC day.
#[tracing::instrument(skip_all, fields(days = days.get()))]
pub(crate) async fn overview(db: &Db, now: Micros, days: Days) -> Result<Overview> {
    let today = now.div_euclid(DAY);
    let first = today - i64::from(days.get()) + 1;
    let types = COUNTED.map(EventType::as_str);
    let mut conn = db.read().await?;
    let (total_users, active_users) = listing::counts(&mut conn).await?;
    let active_sessions = sessions::count_active(&mut conn, now).await?;
    let rows = event_store::daily_counts(&mut conn, types, first * DAY, (today + 1) * DAY).await?;
    let counts: HashMap<(i64, &str), i64> = rows
        .iter()
        .map(|r| ((r.day, r.event_type.as_str()), r.events))
        .collect();
    let count = |day: i64, kind: EventType| counts.get(&(day, kind.as_str())).copied().unwrap_or(0);
    let days = (first..=today)
        .map(|day| {
            Ok(DailyActivity {
                date: date(day)?,
                sign_ups: count(day, EventType::Register),
                sign_ins: count(day, EventType::LoginSucceeded),
                failed_sign_ins: count(day, EventType::LoginFailed),
            })
        })
        .collect::<Result<_>>()?;
    Ok(Overview {
        total_users,
        active_users,
        active_sessions,
        days,
    })
}

/// The date of `day` days after the Unix epoch; an internal error for a clock beyond the
/// calendar (year ±9999), which no real clock reads.
fn date(day: i64) -> Result<Date> {
    day.checked_add(UNIX_EPOCH_JULIAN_DAY)
        .and_then(|julian| i32::try_from(julian).ok())
        .and_then(|julian| Date::from_julian_day(julian).ok())
        .ok_or_else(|| Error::internal("the clock is beyond the calendar"))
}

/// The Julian day number of 1970-01-01.
const UNIX_EPOCH_JULIAN_DAY: i64 = 2_440_588;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_default_cap_and_refuse_negatives() {
        assert_eq!(Days::parse(0).map(Days::get), Ok(DEFAULT_DAYS));
        assert_eq!(Days::parse(7).map(Days::get), Ok(7));
        assert_eq!(Days::parse(90).map(Days::get), Ok(90));
        assert_eq!(Days::parse(91).map(Days::get), Ok(MAX_DAYS));
        assert!(Days::parse(-1).is_err());
    }

    #[test]
    fn days_since_the_epoch_are_calendar_dates() {
        assert_eq!(date(0).unwrap().to_string(), "1970-01-01");
        assert_eq!(date(20_000).unwrap().to_string(), "2024-10-04");
    }
}
