//! Minutes per week over the last twelve weeks (this one included), summed from the user's
//! workouts of that period. Weeks start on Monday and dates are the workouts' own calendar
//! dates, read against today's date in UTC.

use maud::{Markup, html};
use shared::pb::fitness::v1::{ListWorkoutsRequest, Workout};
use time::macros::format_description;
use time::{Date, Duration};

use crate::error::ConsoleError;
use crate::extract::SignedIn;
use crate::ui::charts;

/// Weeks shown, the current one last.
const WEEKS: usize = 12;
/// Workouts asked for per `ListWorkouts` call (the service's largest page).
const PAGE_SIZE: i32 = 500;
/// Most `ListWorkouts` pages read for one chart. Twelve weeks rarely hold more than one page,
/// but a history of any size must not make a page view do unbounded work: past this bound the
/// chart counts what it read and says it is partial.
const MAX_PAGES: usize = 8;

/// The chart's numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Weekly {
    /// `(label of the week's Monday, minutes)`, oldest first.
    pub(super) weeks: Vec<(String, i64)>,
    /// Workouts counted.
    pub(super) workouts: usize,
    /// True when [`MAX_PAGES`] stopped the reading before the last workout.
    pub(super) partial: bool,
}

/// The Monday of `date`'s week.
fn monday_of(date: Date) -> Date {
    let back = i64::from(date.weekday().number_days_from_monday());
    date.saturating_sub(Duration::days(back))
}

/// The first and last day the chart covers: the Monday eleven weeks before this week's, and
/// this week's Sunday (a workout dated later this week counts too).
pub(super) fn window(today: Date) -> (Date, Date) {
    let this_monday = monday_of(today);
    let weeks_back = i64::try_from(WEEKS - 1).unwrap_or(0);
    (
        this_monday.saturating_sub(Duration::weeks(weeks_back)),
        this_monday.saturating_add(Duration::days(6)),
    )
}

/// A week's label: its Monday as "2 Mar".
pub(super) fn label(monday: Date) -> String {
    monday
        .format(format_description!("[day padding:none] [month repr:short]"))
        .unwrap_or_default()
}

/// The minutes of `workouts` summed per week of the window ending with `today`'s week;
/// workouts outside it or with an unreadable date are left out.
pub(super) fn bucket(today: Date, workouts: &[Workout]) -> Vec<(String, i64)> {
    let (first, _) = window(today);
    let mut minutes = [0i64; WEEKS];
    for workout in workouts {
        let Ok(date) = Date::parse(&workout.date, format_description!("[year]-[month]-[day]"))
        else {
            continue;
        };
        let week = (monday_of(date) - first).whole_weeks();
        if let Some(slot) = usize::try_from(week).ok().and_then(|w| minutes.get_mut(w)) {
            *slot += i64::from(workout.total_duration_minutes.max(0));
        }
    }
    minutes
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let weeks = i64::try_from(i).unwrap_or(0);
            (label(first.saturating_add(Duration::weeks(weeks))), *m)
        })
        .collect()
}

/// Reads the workouts of the window (at most [`MAX_PAGES`] pages) and sums them per week.
pub(super) async fn load(user: &SignedIn, today: Date) -> Result<Weekly, ConsoleError> {
    let (first, last) = window(today);
    let mut request = ListWorkoutsRequest {
        page_size: PAGE_SIZE,
        date_from: first.to_string(),
        date_to: last.to_string(),
        ..ListWorkoutsRequest::default()
    };
    let mut workouts = Vec::new();
    let mut partial = false;
    for page in 1..=MAX_PAGES {
        let r = request.clone();
        let response = user
            .api
            .call(|c| {
                let r = r.clone();
                async move { c.workouts().list_workouts(r).await }
            })
            .await?;
        workouts.extend(response.workouts);
        if response.next_page_token.is_empty() {
            break;
        }
        partial = page == MAX_PAGES;
        request.page_token = response.next_page_token;
    }
    Ok(Weekly {
        weeks: bucket(today, &workouts),
        workouts: workouts.len(),
        partial,
    })
}

/// The chart with this week's and the period's totals above it.
pub(super) fn render(weekly: &Weekly) -> Markup {
    let this_week = weekly.weeks.last().map_or(0, |(_, m)| *m);
    let total: i64 = weekly.weeks.iter().map(|(_, m)| m).sum();
    html! {
        section class="card" id="weekly" aria-labelledby="weekly-heading" {
            h2 id="weekly-heading" { "Activity" }
            dl class="stats" {
                div { dt { "This week" } dd id="week-minutes" { (this_week) } }
                div { dt { "Last 12 weeks" } dd id="period-minutes" { (total) } }
                div { dt { "Workouts in that time" } dd id="period-workouts" { (weekly.workouts) } }
            }
            (charts::bars("Minutes per week, last 12 weeks", "minutes", &weekly.weeks))
            @if weekly.partial {
                p class="muted" {
                    "Only the first " (weekly.workouts) " workouts of these weeks are counted."
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    fn workout(date: &str, minutes: i32) -> Workout {
        Workout {
            date: date.to_owned(),
            total_duration_minutes: minutes,
            ..Workout::default()
        }
    }

    #[test]
    fn the_window_is_twelve_whole_weeks_ending_with_this_one() {
        // 2026-03-04 is a Wednesday.
        let (first, last) = window(date!(2026 - 03 - 04));
        assert_eq!(first, date!(2025 - 12 - 15));
        assert_eq!(last, date!(2026 - 03 - 08));
        assert_eq!((last - first).whole_days(), 12 * 7 - 1);
        // On a Monday and a Sunday the week is the same.
        assert_eq!(window(date!(2026 - 03 - 02)), window(date!(2026 - 03 - 08)));
    }

    #[test]
    fn workouts_land_in_the_week_of_their_date() {
        let today = date!(2026 - 03 - 04);
        let weeks = bucket(
            today,
            &[
                workout("2026-03-02", 30), // this week's Monday
                workout("2026-03-08", 15), // this week's Sunday
                workout("2026-03-01", 20), // last week's Sunday
                workout("2025-12-15", 5),  // first day of the window
                workout("2025-12-14", 99), // the day before: outside
                workout("2026-03-09", 99), // next week: outside
                workout("not a date", 99),
            ],
        );
        assert_eq!(weeks.len(), WEEKS);
        assert_eq!(weeks[11], ("2 Mar".to_owned(), 45));
        assert_eq!(weeks[10], ("23 Feb".to_owned(), 20));
        assert_eq!(weeks[0], ("15 Dec".to_owned(), 5));
        assert_eq!(weeks.iter().map(|(_, m)| m).sum::<i64>(), 70);
    }

    #[test]
    fn the_totals_are_shown_above_the_chart() {
        let weekly = Weekly {
            weeks: bucket(date!(2026 - 03 - 04), &[workout("2026-03-03", 40)]),
            workouts: 1,
            partial: true,
        };
        let html = render(&weekly).into_string();
        assert!(html.contains(r#"<dd id="week-minutes">40</dd>"#), "{html}");
        assert!(html.contains("2 Mar: 40 minutes"));
        assert!(html.contains("Only the first 1 workouts"));
    }
}
