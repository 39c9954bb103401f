//! `GET /training`: the weekly chart, the workouts list and the exercises list, each list with
//! its own filters and pages.

use axum::extract::Query;
use axum::response::IntoResponse as _;
use http::StatusCode;
use maud::{Markup, html};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use shared::pb::fitness::v1::{Exercise, Workout};
use time::OffsetDateTime;

use super::filters::{ExerciseFilters, IndexQuery, WorkoutFilters};
use super::forms::Fields;
use super::{
    Refusal, chart, day, done_message, exercise_href, fold_unshown, hidden, minutes, refusal,
    type_label, type_options, workout_href,
};
use crate::error::{ConsoleError, PageResult};
use crate::extract::SignedIn;
use crate::feedback::Feedback;
use crate::ui::layout::{self, Section};
use crate::ui::{self, form};

/// One page of a list, or why the service would not list it.
#[derive(Debug)]
struct Listing<T> {
    items: Vec<T>,
    next_page_token: String,
    refused: Option<Refusal>,
}

impl<T> Listing<T> {
    /// An empty list with the reasons it could not be read.
    fn refused(refused: Refusal) -> Self {
        Self {
            items: Vec::new(),
            next_page_token: String::new(),
            refused: Some(refused),
        }
    }

    fn feedback(&self) -> Feedback {
        self.refused
            .as_ref()
            .map(|r| r.feedback.clone())
            .unwrap_or_default()
    }

    fn status(&self) -> Option<StatusCode> {
        self.refused.as_ref().map(|r| r.status)
    }
}

/// The fields the workouts filters show, by their API names.
const WORKOUT_FILTER_FIELDS: [&str; 4] = ["date_from", "date_to", "workout_type", "title_contains"];
/// The fields the exercises filters show, by their API names.
const EXERCISE_FILTER_FIELDS: [&str; 3] = [
    "name_contains",
    "min_duration_minutes",
    "max_duration_minutes",
];

async fn list_workouts(
    user: &SignedIn,
    filters: &WorkoutFilters,
) -> Result<Listing<Workout>, ConsoleError> {
    let request = match filters.request() {
        Ok(request) => request,
        Err(feedback) => return Ok(Listing::refused(Refusal::local(feedback))),
    };
    let called = user
        .api
        .call(|c| {
            let request = request.clone();
            async move { c.workouts().list_workouts(request).await }
        })
        .await
        .map(|r| (r.workouts, r.next_page_token));
    listed(called, &WORKOUT_FILTER_FIELDS)
}

/// One page of a list, or why it was refused (the fields the filters do not show folded into
/// the message).
fn listed<T>(
    called: Result<(Vec<T>, String), ConsoleError>,
    shown: &[&str],
) -> Result<Listing<T>, ConsoleError> {
    Ok(match called {
        Ok((items, next_page_token)) => Listing {
            items,
            next_page_token,
            refused: None,
        },
        Err(err) => {
            let mut refused = refusal(err)?;
            refused.feedback = fold_unshown(refused.feedback, shown);
            Listing::refused(refused)
        }
    })
}

async fn list_exercises(
    user: &SignedIn,
    filters: &ExerciseFilters,
) -> Result<Listing<Exercise>, ConsoleError> {
    let request = match filters.request() {
        Ok(request) => request,
        Err(feedback) => return Ok(Listing::refused(Refusal::local(feedback))),
    };
    let called = user
        .api
        .call(|c| {
            let request = request.clone();
            async move { c.exercises().list_exercises(request).await }
        })
        .await
        .map(|r| (r.exercises, r.next_page_token));
    listed(called, &EXERCISE_FILTER_FIELDS)
}

/// The page: the three calls run together.
pub(super) async fn show(user: SignedIn, Query(pairs): Query<Vec<(String, String)>>) -> PageResult {
    let query = IndexQuery::read(&Fields::new(pairs));
    let today = OffsetDateTime::now_utc().date();
    let (workouts, exercises, weekly) = tokio::join!(
        list_workouts(&user, &query.workouts),
        list_exercises(&user, &query.exercises),
        chart::load(&user, today),
    );
    let (workouts, exercises, weekly) = (workouts?, exercises?, weekly?);
    let status = workouts
        .status()
        .or(exercises.status())
        .unwrap_or(StatusCode::OK);
    let body = html! {
        (ui::flash(done_message(query.done.as_deref())))
        (workouts_section(&user, &query, &workouts))
        (chart::render(&weekly))
        (exercises_section(&user, &query, &exercises))
    };
    let page = layout::page(&user.chrome(Section::Training), "Training", body);
    Ok((status, page).into_response())
}

/// Hidden fields carrying `pairs`, so a filter form keeps the other list's place.
fn keep(pairs: &[(&str, &str)]) -> Markup {
    html! { @for (name, value) in pairs { (hidden(name, value)) } }
}

fn workouts_section(user: &SignedIn, query: &IndexQuery, listing: &Listing<Workout>) -> Markup {
    let filters = &query.workouts;
    let feedback = listing.feedback();
    let mut others = query.exercises.pairs();
    if !query.exercises.page_token.is_empty() {
        others.push(("ex_page_token", &query.exercises.page_token));
    }
    html! {
        section class="card" id="workouts" aria-labelledby="workouts-heading" {
            div class="actions" {
                h2 id="workouts-heading" { "Workouts" }
                a href="/training/workouts/new" id="new-workout" { "New workout" }
            }
            form method="get" action="/training" class="filters" role="search" aria-label="Filter workouts" {
                (keep(&others))
                (form::input("from", "From", "date", &filters.from, &feedback, "date_from"))
                (form::input("to", "To", "date", &filters.to, &feedback, "date_to"))
                (form::select("type", "Type", &type_options("Any type"), &filters.kind, &feedback, "workout_type"))
                (form::input("q", "Title contains", "search", &filters.title, &feedback, "title_contains"))
                div class="actions" {
                    button type="submit" { "Filter" }
                    @if filters.any() { a href="/training" { "Clear" } }
                }
            }
            (ui::notice(&feedback))
            @if listing.items.is_empty() {
                @if listing.refused.is_none() {
                    (ui::empty(if filters.any() || !filters.page_token.is_empty() {
                        "No workouts match these filters."
                    } else {
                        "No workouts yet: create your first one."
                    }))
                }
            } @else {
                (workouts_table(user.csrf(), &listing.items))
            }
            (ui::pager("/training", &query.workouts_pager_query(), &listing.next_page_token, filters.page_token.is_empty()))
        }
    }
}

fn workouts_table(csrf: &str, workouts: &[Workout]) -> Markup {
    html! {
        div class="table-wrap" {
            table id="workouts-table" {
                caption class="muted" { "Your workouts, newest first" }
                thead {
                    tr {
                        th scope="col" { "Date" }
                        th scope="col" { "Title" }
                        th scope="col" { "Type" }
                        th scope="col" { "Exercises" }
                        th scope="col" { "Minutes" }
                        th scope="col" { "Actions" }
                    }
                }
                tbody {
                    @for w in workouts {
                        @let href = workout_href(&w.id);
                        tr {
                            td { (day(&w.date)) }
                            td { a href=(href) { (w.title) } }
                            td { (type_label(w.workout_type)) }
                            td { (w.exercise_count) }
                            td { (w.total_duration_minutes) }
                            td {
                                div class="actions" {
                                    a href=(href) aria-label={ "Edit " (w.title) } { "Edit" }
                                    (form::button_form(&format!("{href}/delete"), csrf, "Delete", "danger",
                                        Some("Delete this workout? Its exercises are kept.")))
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn exercises_section(user: &SignedIn, query: &IndexQuery, listing: &Listing<Exercise>) -> Markup {
    let filters = &query.exercises;
    let feedback = listing.feedback();
    let mut others = query.workouts.pairs();
    if !query.workouts.page_token.is_empty() {
        others.push(("page_token", &query.workouts.page_token));
    }
    if !filters.workout.is_empty() {
        others.push(("ex_workout", &filters.workout));
    }
    html! {
        section class="card" id="exercises" aria-labelledby="exercises-heading" {
            div class="actions" {
                h2 id="exercises-heading" { "Exercises" }
                a href="/training/exercises/new" id="new-exercise" { "New exercise" }
            }
            @if !filters.workout.is_empty() {
                p {
                    "Only the exercises of "
                    a href=(workout_href(&filters.workout)) { "one workout" }
                    ". "
                    a href=(without_workout(query)) { "Show all exercises" }
                }
            }
            form method="get" action="/training" class="filters" role="search" aria-label="Filter exercises" {
                (keep(&others))
                (form::input("ex_q", "Name contains", "search", &filters.name, &feedback, "name_contains"))
                (form::input("ex_min", "At least (minutes)", "number", &filters.min, &feedback, "min_duration_minutes"))
                (form::input("ex_max", "At most (minutes)", "number", &filters.max, &feedback, "max_duration_minutes"))
                div class="actions" {
                    button type="submit" { "Filter" }
                }
            }
            (ui::notice(&feedback))
            @if listing.items.is_empty() {
                @if listing.refused.is_none() {
                    (ui::empty(if filters.any() || !filters.page_token.is_empty() {
                        "No exercises match these filters."
                    } else {
                        "No exercises yet."
                    }))
                }
            } @else {
                (exercises_table(user.csrf(), &listing.items))
            }
            (exercises_pager(&query.exercises_pager_query(), &listing.next_page_token, filters.page_token.is_empty()))
        }
    }
}

/// `/training` with the same filters but no workout filter on the exercises.
fn without_workout(query: &IndexQuery) -> String {
    let mut query = query.clone();
    query.exercises.workout.clear();
    query.exercises.page_token.clear();
    let encoded = query.exercises_pager_query();
    if encoded.is_empty() {
        "/training".to_owned()
    } else {
        format!("/training?{encoded}")
    }
}

fn exercises_table(csrf: &str, exercises: &[Exercise]) -> Markup {
    html! {
        div class="table-wrap" {
            table id="exercises-table" {
                caption class="muted" { "Your exercises, most recently created first" }
                thead {
                    tr {
                        th scope="col" { "Name" }
                        th scope="col" { "Minutes" }
                        th scope="col" { "Workouts" }
                        th scope="col" { "Created" }
                        th scope="col" { "Actions" }
                    }
                }
                tbody {
                    @for e in exercises {
                        @let href = exercise_href(&e.id);
                        tr {
                            td { a href=(href) { (e.name) } }
                            td { (minutes(e.duration_minutes)) }
                            td { (e.workout_ids.len()) }
                            td { (ui::date(e.created_at.as_ref())) }
                            td {
                                div class="actions" {
                                    a href=(href) aria-label={ "Edit " (e.name) } { "Edit" }
                                    (form::button_form(&format!("{href}/delete"), csrf, "Delete", "danger",
                                        Some("Delete this exercise? It is removed from its workouts.")))
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The exercises list's pager: like [`ui::pager`], under the list's own `ex_page_token`.
fn exercises_pager(query: &str, next_page_token: &str, on_first_page: bool) -> Markup {
    let join = if query.is_empty() { "" } else { "&" };
    let next = format!(
        "/training?{query}{join}ex_page_token={}#exercises",
        utf8_percent_encode(next_page_token, NON_ALPHANUMERIC)
    );
    let first = format!("/training?{query}#exercises");
    html! {
        nav class="pager" aria-label="Pages of exercises" {
            @if !on_first_page { a href=(first) { "« First page" } }
            @if !next_page_token.is_empty() { a href=(next) rel="next" { "Next page »" } }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_and_names_render_as_text() {
        let workout = Workout {
            id: "w1".into(),
            title: "<script>alert(1)</script>".into(),
            date: "2026-03-02".into(),
            workout_type: 2,
            exercise_count: 1,
            total_duration_minutes: 45,
            ..Workout::default()
        };
        let html = workouts_table("tok", &[workout]).into_string();
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{html}"
        );
        assert!(!html.contains("<script>"));
        assert!(html.contains(r#"href="/training/workouts/w1""#));
        assert!(html.contains(r#"action="/training/workouts/w1/delete""#));
        let exercise = Exercise {
            id: "e1".into(),
            name: r#""><img src=x onerror=alert(2)>"#.into(),
            ..Exercise::default()
        };
        let html = exercises_table("tok", &[exercise]).into_string();
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains("&quot;&gt;&lt;img"), "{html}");
    }

    #[test]
    fn the_exercises_pager_uses_its_own_parameter() {
        let html = exercises_pager("q=run", "tok/+", false).into_string();
        assert!(
            html.contains("/training?q=run&amp;ex_page_token=tok%2F%2B#exercises"),
            "{html}"
        );
        assert!(html.contains("/training?q=run#exercises"));
        let first = exercises_pager("", "", true).into_string();
        assert!(!first.contains("href"), "{first}");
    }
}
