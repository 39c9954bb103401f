//! The admin dashboard: the counts of both services, sign-ups and sign-ins of the last 30 days
//! as a chart, and the latest security events. The three calls run at once, and a service
//! that fails only blanks its own part of the page.

use axum::Router;
use axum::response::IntoResponse;
use axum::routing::get;
use maud::{Markup, html};
use shared::pb::auth::v1::{GetOverviewRequest, GetOverviewResponse, ListSecurityEventsRequest};
use shared::pb::fitness::v1::{GetTrainingOverviewRequest, GetTrainingOverviewResponse};
use tonic::Status;

use super::events::{self, Listing};
use crate::app::AppState;
use crate::error::{ConsoleError, PageResult};
use crate::extract::{Admin, SignedIn};
use crate::feedback::Feedback;
use crate::ui;
use crate::ui::charts::{self, Series};
use crate::ui::layout::{self, Section};

/// Days of the activity chart.
const DAYS: i32 = 30;
/// Events listed.
const LATEST_EVENTS: i32 = 10;

/// `GET /admin`.
pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/admin", get(show))
}

/// A part of the page: its data, or why its service refused.
type Part<T> = Result<T, Status>;

/// Splits a call's result into the part of the page it fills and the errors that end the
/// whole request (a session that ended). The user page uses it too.
pub(super) fn part<T>(result: Result<T, ConsoleError>) -> Result<Part<T>, ConsoleError> {
    match result {
        Ok(value) => Ok(Ok(value)),
        Err(ConsoleError::Rpc(status)) => Ok(Err(status)),
        Err(other) => Err(other),
    }
}

/// `GET /admin`: the three calls at once.
async fn show(Admin(user): Admin) -> PageResult {
    let overview = user.api.call(|c| async move {
        c.admin()
            .get_overview(GetOverviewRequest { days: DAYS })
            .await
    });
    let training = user.api.call(|c| async move {
        c.stats()
            .get_training_overview(GetTrainingOverviewRequest {})
            .await
    });
    let latest = events::list(
        &user,
        ListSecurityEventsRequest {
            page_size: LATEST_EVENTS,
            ..ListSecurityEventsRequest::default()
        },
    );
    let (overview, training, latest) = tokio::join!(overview, training, latest);
    let parts = Parts {
        overview: part(overview)?,
        training: part(training)?,
        latest: part(latest)?,
    };
    Ok(page(&user, &parts).into_response())
}

#[derive(Debug)]
struct Parts {
    overview: Part<GetOverviewResponse>,
    training: Part<GetTrainingOverviewResponse>,
    latest: Part<Listing>,
}

/// The dashboard page.
fn page(user: &SignedIn, parts: &Parts) -> Markup {
    let body = html! {
        section class="card" aria-labelledby="counts" {
            h2 id="counts" { "Now" }
            (counts(parts))
        }
        section class="card" aria-labelledby="activity" {
            h2 id="activity" { "Sign-ins, last " (DAYS) " days" }
            @match &parts.overview {
                Ok(overview) => (activity(overview)),
                Err(status) => (refused(status)),
            }
        }
        section class="card" aria-labelledby="latest" {
            h2 id="latest" { "Latest security events" }
            @match &parts.latest {
                Ok(listing) if listing.events.is_empty() => (ui::empty("No security events yet.")),
                Ok(listing) => {
                    (events::table(listing, true))
                    p { a href="/admin/events" { "All security events" } }
                }
                Err(status) => (refused(status)),
            }
        }
    };
    layout::page(&user.chrome(Section::Dashboard), "Dashboard", body)
}

/// The notice of a part whose service refused.
fn refused(status: &Status) -> Markup {
    ui::notice(&Feedback::from_status(status))
}

/// The counts as a grid of figures (`#stat-…`), each service's own.
fn counts(parts: &Parts) -> Markup {
    let stat = |id: &str, label: &str, value: i64| {
        html! { div { dt { (label) } dd id={ "stat-" (id) } { (value) } } }
    };
    html! {
        @if let Err(status) = &parts.overview { (refused(status)) }
        @if let Err(status) = &parts.training { (refused(status)) }
        dl class="stats" {
            @if let Ok(o) = &parts.overview {
                (stat("users", "Users", o.total_users))
                (stat("active-users", "Active users", o.active_users))
                (stat("sessions", "Active sessions", o.active_sessions))
            }
            @if let Ok(t) = &parts.training {
                (stat("workouts", "Workouts", t.total_workouts))
                (stat("exercises", "Exercises", t.total_exercises))
                (stat("minutes", "Minutes trained", t.total_duration_minutes))
            }
        }
    }
}

/// The daily series as a line chart.
fn activity(overview: &GetOverviewResponse) -> Markup {
    let labels: Vec<String> = overview
        .days
        .iter()
        .map(|d| d.date.get(5..).unwrap_or(&d.date).to_owned())
        .collect();
    let sign_ups: Vec<i64> = overview.days.iter().map(|d| d.sign_ups).collect();
    let sign_ins: Vec<i64> = overview.days.iter().map(|d| d.sign_ins).collect();
    let failed: Vec<i64> = overview.days.iter().map(|d| d.failed_sign_ins).collect();
    charts::lines(
        "Sign-ups, sign-ins and failed sign-ins per day (UTC)",
        &labels,
        &[
            Series {
                name: "Sign-ups",
                class: "s1",
                values: &sign_ups,
            },
            Series {
                name: "Sign-ins",
                class: "s2",
                values: &sign_ins,
            },
            Series {
                name: "Failed sign-ins",
                class: "s3",
                values: &failed,
            },
        ],
    )
}

#[cfg(test)]
mod tests {
    use shared::pb::auth::v1::DailyActivity;
    use tonic::Code;

    use super::*;

    #[test]
    fn a_failing_service_blanks_only_its_part() {
        let parts = Parts {
            overview: Ok(GetOverviewResponse {
                total_users: 3,
                active_users: 2,
                active_sessions: 5,
                days: vec![DailyActivity {
                    date: "2026-03-01".into(),
                    sign_ups: 1,
                    sign_ins: 2,
                    failed_sign_ins: 3,
                }],
            }),
            training: Err(Status::new(Code::Unavailable, "down")),
            latest: Ok(Listing::default()),
        };
        let html = counts(&parts).into_string();
        assert!(html.contains(r#"<dd id="stat-users">3</dd>"#));
        assert!(html.contains(r#"<dd id="stat-active-users">2</dd>"#));
        assert!(!html.contains("stat-workouts"));
        assert!(html.contains("briefly unavailable"));
        let chart = activity(parts.overview.as_ref().unwrap()).into_string();
        assert!(chart.contains("03-01"));
    }
}
