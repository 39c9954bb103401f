//! Security events (admins): the audit log, newest first, filtered by type, user and a range
//! of days, a page at a time. The events table is shared with the dashboard and the user page.
//!
//! The filters are a GET form ([`filters`]), so a filtered list is a link.

mod filters;
mod kinds;

use std::collections::HashMap;

use axum::Router;
use axum::extract::Query;
use axum::response::IntoResponse;
use axum::routing::get;
use maud::{Markup, html};
use serde::{Deserialize, Serialize};
use shared::pb::auth::v1::{ListSecurityEventsRequest, SecurityEvent, SecurityEventType};

use self::filters::{filter_form, parse};
use self::kinds::{label, tone};
use crate::app::AppState;
use crate::error::{ConsoleError, PageResult, http_status};
use crate::extract::{Admin, SignedIn};
use crate::feedback::Feedback;
use crate::pages::leaderboard::usernames;
use crate::ui;
use crate::ui::layout::{self, Section};

/// Events per page.
const PAGE_SIZE: i32 = 50;

/// `GET /admin/events`.
pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/admin/events", get(show))
}

/// The filters as the URL carries them (the form's fields).
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
pub(super) struct EventQuery {
    /// An event type without its prefix ("LOGIN_FAILED"); empty for any.
    #[serde(default, rename = "type", skip_serializing_if = "String::is_empty")]
    pub(super) kind: String,
    /// A user id; empty for any.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(super) user_id: String,
    /// First day, YYYY-MM-DD.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(super) from: String,
    /// Last day (included), YYYY-MM-DD.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(super) to: String,
    /// The API's page token.
    #[serde(default, skip_serializing)]
    pub(super) page_token: String,
}

impl EventQuery {
    /// The filters as a query string (without the page token).
    pub(super) fn query(&self) -> String {
        serde_urlencoded::to_string(self).unwrap_or_default()
    }
}

/// `GET /admin/events`: unreadable filters, or filters the API refuses, are marked on the form.
async fn show(Admin(user): Admin, Query(query): Query<EventQuery>) -> PageResult {
    let filters = match parse(&query) {
        Ok(filters) => filters,
        Err(feedback) => {
            let markup = page(&user, &query, &Listing::default(), &feedback);
            return Ok((http::StatusCode::BAD_REQUEST, markup).into_response());
        }
    };
    let request = ListSecurityEventsRequest {
        user_id: filters.user_id,
        r#type: filters.kind,
        start_time: filters.start_time,
        end_time: filters.end_time,
        page_size: PAGE_SIZE,
        page_token: query.page_token.clone(),
    };
    match list(&user, request).await {
        Ok(listing) => Ok(page(&user, &query, &listing, &Feedback::default()).into_response()),
        Err(ConsoleError::Rpc(status)) => {
            let feedback = Feedback::from_status(&status);
            let markup = page(&user, &query, &Listing::default(), &feedback);
            Ok((http_status(&status), markup).into_response())
        }
        Err(other) => Err(other),
    }
}

/// One page of events with the usernames of their users.
#[derive(Debug, Default)]
pub(super) struct Listing {
    pub(super) events: Vec<SecurityEvent>,
    pub(super) next_page_token: String,
    pub(super) names: HashMap<String, String>,
}

/// Lists events and resolves the usernames of that page.
pub(super) async fn list(
    user: &SignedIn,
    request: ListSecurityEventsRequest,
) -> Result<Listing, ConsoleError> {
    let page = user
        .api
        .call(|c| {
            let request = request.clone();
            async move { c.admin().list_security_events(request).await }
        })
        .await?;
    let names = usernames(&user.api, page.events.iter().map(|e| e.user_id.as_str())).await?;
    Ok(Listing {
        events: page.events,
        next_page_token: page.next_page_token,
        names,
    })
}

/// The events page.
fn page(user: &SignedIn, query: &EventQuery, listing: &Listing, feedback: &Feedback) -> Markup {
    let body = html! {
        (ui::notice(feedback))
        (filter_form(query, feedback))
        @if listing.events.is_empty() {
            @if feedback.is_empty() { (ui::empty("No security events match these filters.")) }
        } @else {
            (table(listing, true))
        }
        (ui::pager("/admin/events", &query.query(), &listing.next_page_token, query.page_token.is_empty()))
    };
    layout::page(&user.chrome(Section::Events), "Security events", body)
}

/// A table of events; `with_user` adds the user column (the user page leaves it out).
pub(super) fn table(listing: &Listing, with_user: bool) -> Markup {
    html! {
        div class="table-wrap" {
            table class="events" {
                thead {
                    tr {
                        th scope="col" { "When" }
                        th scope="col" { "Event" }
                        @if with_user { th scope="col" { "User" } }
                        th scope="col" { "Address" }
                        th scope="col" { "Detail" }
                    }
                }
                tbody {
                    @for event in &listing.events {
                        @let kind = SecurityEventType::try_from(event.r#type)
                            .unwrap_or(SecurityEventType::Unspecified);
                        tr {
                            td { (ui::time(event.created_at.as_ref())) }
                            td { (ui::badge(label(kind), tone(kind))) }
                            @if with_user { td { (user_link(&event.user_id, &listing.names)) } }
                            td { @if event.ip.is_empty() { span class="muted" { "—" } } @else { code { (event.ip) } } }
                            td { (event.detail) }
                        }
                    }
                }
            }
        }
    }
}

/// A link to the user's admin page, named by username when known.
fn user_link(user_id: &str, names: &HashMap<String, String>) -> Markup {
    html! {
        @if user_id.is_empty() {
            span class="muted" { "—" }
        } @else {
            a href={ "/admin/users/" (user_id) } {
                @match names.get(user_id) {
                    Some(name) => (name),
                    None => code { (user_id) },
                }
            }
        }
    }
}
