//! The leaderboard (staff and admins): users' training statistics ranked by their staff
//! evaluation, each row with a form to set it. Admins also see usernames, asked of auth for
//! the users of the shown page only (fitness keeps no names).
//!
//! The admin user page posts its evaluation form here too ([`evaluation`]).

mod evaluation;
mod names;

use std::collections::HashMap;

use axum::Router;
use axum::extract::Query;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use maud::{Markup, html};
use serde::{Deserialize, Serialize};
use shared::pb::auth::v1::Role;
use shared::pb::fitness::v1::{ListLeaderboardRequest, Stat};

use self::evaluation::{Back, EvaluationForm, evaluation_form};
use crate::app::AppState;
use crate::error::{ConsoleError, PageResult};
use crate::extract::{SignedIn, Staff};
use crate::feedback::Feedback;
use crate::ui;
use crate::ui::layout::{self, Section};

pub(crate) use self::evaluation::user_evaluation_form;
pub(crate) use self::names::usernames;

/// Rows per page.
const PAGE_SIZE: i32 = 25;
/// Largest rank offset taken from a URL (it only numbers the rows).
const MAX_START: u32 = 1_000_000;

/// `GET /leaderboard` and the evaluation form's POST.
pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/leaderboard", get(show)).route(
        "/leaderboard/{user_id}/evaluation",
        post(evaluation::evaluate),
    )
}

/// Where a leaderboard page starts: the API's page token and how many rows come before it
/// (only used to number the rows).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct PageAt {
    token: String,
    start: u32,
}

impl PageAt {
    /// From the `page_token` and `from` of a URL or form; a bad `from` numbers from 1.
    fn parse(token: &str, from: &str) -> Self {
        let start = from.trim().parse::<u32>().unwrap_or(0).min(MAX_START);
        Self {
            token: token.to_owned(),
            start: if token.is_empty() { 0 } else { start },
        }
    }

    /// The query string of this page (empty for the first page).
    fn query(&self) -> String {
        #[derive(Serialize)]
        struct Q<'a> {
            page_token: &'a str,
            from: u32,
        }
        if self.token.is_empty() {
            return String::new();
        }
        serde_urlencoded::to_string(Q {
            page_token: &self.token,
            from: self.start,
        })
        .unwrap_or_default()
    }

    /// The page after this one, which has `shown` rows and hands `next_token` on.
    fn next(&self, shown: usize, next_token: &str) -> Self {
        let shown = u32::try_from(shown).unwrap_or(u32::MAX);
        Self {
            token: next_token.to_owned(),
            start: self.start.saturating_add(shown).min(MAX_START),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    #[serde(default)]
    page_token: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    done: String,
}

/// The message of a `?done=` key.
fn done_message(key: &str) -> Option<&'static str> {
    match key {
        "evaluation" => Some("Evaluation saved."),
        _ => None,
    }
}

/// One page of the leaderboard, with the usernames an admin sees.
#[derive(Debug)]
struct Board {
    stats: Vec<Stat>,
    next_page_token: String,
    names: Option<HashMap<String, String>>,
}

/// The page of the leaderboard at `at`, with usernames when the viewer is an admin.
async fn load(user: &SignedIn, at: &PageAt) -> Result<Board, ConsoleError> {
    let request = ListLeaderboardRequest {
        page_size: PAGE_SIZE,
        page_token: at.token.clone(),
    };
    let page = user
        .api
        .call(|c| {
            let request = request.clone();
            async move { c.stats().list_leaderboard(request).await }
        })
        .await?;
    let names = if user.role() == Role::Admin {
        Some(usernames(&user.api, page.stats.iter().map(|s| s.user_id.as_str())).await?)
    } else {
        None
    };
    Ok(Board {
        stats: page.stats,
        next_page_token: page.next_page_token,
        names,
    })
}

/// `GET /leaderboard`.
async fn show(Staff(user): Staff, Query(query): Query<ListQuery>) -> PageResult {
    let at = PageAt::parse(&query.page_token, &query.from);
    let board = load(&user, &at).await?;
    let view = View {
        board: &board,
        at: &at,
        flash: done_message(&query.done),
        refused: None,
    };
    Ok(page(&user, &view).into_response())
}

/// A refused evaluation: whose row, what was typed, and why.
#[derive(Debug)]
struct Refused {
    user_id: String,
    value: String,
    feedback: Feedback,
}

#[derive(Debug)]
struct View<'a> {
    board: &'a Board,
    at: &'a PageAt,
    flash: Option<&'static str>,
    refused: Option<&'a Refused>,
}

/// The leaderboard page; a refused evaluation shows beside its row.
fn page(user: &SignedIn, view: &View<'_>) -> Markup {
    let board = view.board;
    let body = html! {
        (ui::flash(view.flash))
        @if let Some(refused) = view.refused { (ui::notice(&refused.feedback)) }
        p class="muted" {
            "Users ranked by their evaluation, highest first; users not yet evaluated come last."
        }
        @if board.stats.is_empty() {
            (ui::empty("No training statistics yet."))
        } @else {
            div class="table-wrap" {
                table id="leaderboard" {
                    thead {
                        tr {
                            th scope="col" { "Rank" }
                            th scope="col" { "User" }
                            th scope="col" { "Workouts" }
                            th scope="col" { "Minutes" }
                            th scope="col" { "Evaluation" }
                            th scope="col" { "Set evaluation" }
                        }
                    }
                    tbody {
                        @for (i, stat) in board.stats.iter().enumerate() {
                            (row(user, view, i, stat))
                        }
                    }
                }
            }
        }
        (pager(view.at, board))
    };
    layout::page(&user.chrome(Section::Leaderboard), "Leaderboard", body)
}

/// One ranked row (`#rank-<user id>`) with its evaluation form.
fn row(user: &SignedIn, view: &View<'_>, index: usize, stat: &Stat) -> Markup {
    let rank = u64::from(view.at.start) + u64::try_from(index).unwrap_or(u64::MAX) + 1;
    let refused = view.refused.filter(|r| r.user_id == stat.user_id);
    let value = match refused {
        Some(r) => r.value.clone(),
        None => stat.evaluation.map(|e| e.to_string()).unwrap_or_default(),
    };
    let error = refused.and_then(|r| r.feedback.for_field("evaluation").map(str::to_owned));
    let name = view
        .board
        .names
        .as_ref()
        .map(|names| names.get(&stat.user_id));
    html! {
        tr id={ "rank-" (stat.user_id) } {
            td { (rank) }
            td {
                @match name {
                    Some(Some(username)) => {
                        a href={ "/admin/users/" (stat.user_id) } { (username) }
                        br; code class="muted" { (stat.user_id) }
                    }
                    Some(None) => { code { (stat.user_id) } br; span class="muted" { "unknown user" } }
                    None => code { (stat.user_id) },
                }
            }
            td { (stat.total_workouts) }
            td { (stat.total_duration_minutes) }
            td class="evaluation" {
                @match stat.evaluation {
                    Some(e) => (e),
                    None => span class="muted" { "not evaluated" },
                }
            }
            td {
                (evaluation_form(&EvaluationForm {
                    csrf: user.csrf(),
                    user_id: &stat.user_id,
                    value: &value,
                    error: error.as_deref(),
                    back: Back::Leaderboard,
                    at: view.at,
                }))
            }
        }
    }
}

/// "First page" and "Next page" links carrying the rank offset along with the page token.
fn pager(at: &PageAt, board: &Board) -> Markup {
    let next = at.next(board.stats.len(), &board.next_page_token);
    html! {
        nav class="pager" aria-label="Pages" {
            @if !at.token.is_empty() { a href="/leaderboard" { "« First page" } }
            @if !next.token.is_empty() {
                a href={ "/leaderboard?" (next.query()) } rel="next" { "Next page »" }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_number_their_rows_from_where_they_start() {
        assert_eq!(PageAt::parse("", "50"), PageAt::default());
        assert_eq!(PageAt::parse("t", "x").start, 0);
        assert_eq!(PageAt::parse("t", "99999999999").start, 0);
        let next = PageAt::parse("t", "25").next(25, "u");
        assert_eq!(next, PageAt::parse("u", "50"));
        assert_eq!(PageAt::default().query(), "");
    }
}
