//! The training pages: the signed-in user's workouts and exercises as the fitness service
//! keeps them.
//!
//! `/training` lists both, each with the filters its `List` call offers and its own pages,
//! below a chart of minutes per week. Each workout and exercise has a page to edit and delete
//! it; links follow the API's model, where an exercise names the workouts it belongs to
//! (`Exercise.workout_ids`), so linking from a workout's page updates the exercise.
//!
//! Forms post to the console, which calls the service and then either redirects with
//! `?done=<key>` (a message from a fixed table, never text from the URL) or shows the form again
//! with what was typed and each refused field's reason beside it.

mod chart;
mod exercises;
mod filters;
mod forms;
mod index;
mod links;
mod workouts;

use axum::Router;
use axum::routing::{get, post};
use http::StatusCode;
use maud::{Markup, html};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use shared::pb::fitness::v1::WorkoutType;
use time::macros::format_description;
use tonic::Code;

use crate::app::AppState;
use crate::error::{ConsoleError, http_status};
use crate::feedback::Feedback;

/// The training pages' routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/training", get(index::show))
        .route("/training/workouts", post(workouts::create))
        .route("/training/workouts/new", get(workouts::new))
        .route(
            "/training/workouts/{id}",
            get(workouts::show).post(workouts::update),
        )
        .route("/training/workouts/{id}/delete", post(workouts::delete))
        .route("/training/workouts/{id}/exercises", post(links::link))
        .route(
            "/training/workouts/{id}/exercises/{exercise_id}/unlink",
            post(links::unlink),
        )
        .route("/training/exercises", post(exercises::create))
        .route("/training/exercises/new", get(exercises::new))
        .route(
            "/training/exercises/{id}",
            get(exercises::show).post(exercises::update),
        )
        .route("/training/exercises/{id}/delete", post(exercises::delete))
}

/// The kinds of workout: the API's value, the value in forms and URLs, the label.
const TYPES: [(WorkoutType, &str, &str); 5] = [
    (WorkoutType::Strength, "strength", "Strength"),
    (WorkoutType::Cardio, "cardio", "Cardio"),
    (WorkoutType::Flexibility, "flexibility", "Flexibility"),
    (WorkoutType::Balance, "balance", "Balance"),
    (WorkoutType::Endurance, "endurance", "Endurance"),
];

/// The label of a workout type as the API sends it.
fn type_label(raw: i32) -> &'static str {
    TYPES
        .iter()
        .find(|(kind, ..)| *kind as i32 == raw)
        .map_or("Unknown", |(.., label)| label)
}

/// The form value of a workout type as the API sends it; empty when unset.
fn type_value(raw: i32) -> &'static str {
    TYPES
        .iter()
        .find(|(kind, ..)| *kind as i32 == raw)
        .map_or("", |(_, value, _)| value)
}

/// The workout type a form names: "" is unspecified, an unknown value is `None`.
fn parse_type(value: &str) -> Option<WorkoutType> {
    if value.is_empty() {
        return Some(WorkoutType::Unspecified);
    }
    TYPES
        .iter()
        .find(|(_, v, _)| *v == value)
        .map(|(kind, ..)| *kind)
}

/// The options of a workout type select, after a first blank one labelled `blank`.
fn type_options(blank: &'static str) -> Vec<(&'static str, &'static str)> {
    std::iter::once(("", blank))
        .chain(TYPES.iter().map(|(_, value, label)| (*value, *label)))
        .collect()
}

/// The message of a `?done=` key; unknown keys show nothing.
fn done_message(key: Option<&str>) -> Option<&'static str> {
    Some(match key? {
        "workout-created" => "Workout created.",
        "workout-updated" => "Workout saved.",
        "workout-deleted" => "Workout deleted. Its exercises are kept.",
        "exercise-created" => "Exercise created.",
        "exercise-updated" => "Exercise saved.",
        "exercise-deleted" => "Exercise deleted.",
        "exercise-linked" => "Exercise linked to this workout.",
        "exercise-unlinked" => "Exercise unlinked from this workout.",
        "unchanged" => "Nothing was changed.",
        _ => return None,
    })
}

/// A call refused for something the user can correct: the form is shown again.
#[derive(Debug)]
struct Refusal {
    feedback: Feedback,
    status: StatusCode,
}

impl Refusal {
    /// A refusal decided by the console itself (a field it could not read).
    fn local(feedback: Feedback) -> Self {
        Self {
            feedback,
            status: StatusCode::BAD_REQUEST,
        }
    }
}

/// The refusal in `err` when it is one a form can show (bad input, a precondition, a rate
/// limit); any other error stays an error page.
fn refusal(err: ConsoleError) -> Result<Refusal, ConsoleError> {
    match err {
        ConsoleError::Rpc(status)
            if matches!(
                status.code(),
                Code::InvalidArgument
                    | Code::FailedPrecondition
                    | Code::AlreadyExists
                    | Code::OutOfRange
                    | Code::ResourceExhausted
            ) =>
        {
            Ok(Refusal {
                feedback: Feedback::from_status(&status),
                status: http_status(&status),
            })
        }
        other => Err(other),
    }
}

/// The error of reading the record a URL names: "not found" when the service has no such
/// record or refuses the id as malformed.
fn missing(err: ConsoleError) -> ConsoleError {
    match err {
        ConsoleError::Rpc(status)
            if matches!(status.code(), Code::InvalidArgument | Code::NotFound) =>
        {
            ConsoleError::NotFound
        }
        other => other,
    }
}

/// `feedback` with the reasons of fields the form does not show moved into its message, so
/// no reason is lost (a stale page token, a forged field).
fn fold_unshown(mut feedback: Feedback, shown: &[&str]) -> Feedback {
    let is_shown = |field: &str| {
        shown
            .iter()
            .any(|s| field == *s || field.starts_with(&format!("{s}[")))
    };
    let unshown: Vec<String> = feedback
        .fields
        .iter()
        .filter(|(field, _)| !is_shown(field))
        .map(|(field, reason)| match field.as_str() {
            "page_token" => "This page link is out of date; go back to the first page.".to_owned(),
            _ => format!("{}: {reason}", field.rsplit('.').next().unwrap_or(field)),
        })
        .collect();
    if unshown.is_empty() {
        return feedback;
    }
    feedback.fields.retain(|field, _| is_shown(field));
    let mut parts = Vec::new();
    if !feedback.fields.is_empty() {
        parts.push("Please correct the fields marked below.".to_owned());
    }
    parts.extend(unshown);
    feedback.message = parts.join(" ");
    feedback
}

/// The first reason given for `field` or any of its items (`field[0]`, …).
fn reason_for<'a>(feedback: &'a Feedback, field: &str) -> Option<&'a str> {
    feedback
        .fields
        .iter()
        .find(|(name, _)| *name == field || name.starts_with(&format!("{field}[")))
        .map(|(_, reason)| reason.as_str())
}

/// Characters left as they are in a path segment: ids are UUIDs, so normally nothing else.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_');

/// `id` as one path segment.
fn segment(id: &str) -> String {
    utf8_percent_encode(id, SEGMENT).to_string()
}

/// The page of workout `id`.
fn workout_href(id: &str) -> String {
    format!("/training/workouts/{}", segment(id))
}

/// The page of exercise `id`.
fn exercise_href(id: &str) -> String {
    format!("/training/exercises/{}", segment(id))
}

/// A fresh idempotency key (AIP-155) for a create form: a retry of the same submission (a
/// double click, a reload after a lost answer) returns the first result instead of a copy.
fn request_id() -> String {
    rand::random::<[u8; 16]>()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A form's hidden field.
fn hidden(name: &str, value: &str) -> Markup {
    html! { input type="hidden" name=(name) value=(value); }
}

/// A workout's calendar date as "7 Dec 2026" (the date as sent when it cannot be read).
fn day(date: &str) -> Markup {
    let shown = time::Date::parse(date, format_description!("[year]-[month]-[day]"))
        .ok()
        .and_then(|d| {
            d.format(format_description!(
                "[day padding:none] [month repr:short] [year]"
            ))
            .ok()
        })
        .unwrap_or_else(|| date.to_owned());
    html! { time datetime=(date) { (shown) } }
}

/// Minutes for a table cell: "45", or "—" when unknown.
fn minutes(value: Option<i32>) -> Markup {
    match value {
        Some(m) => html! { (m) },
        None => html! { span class="muted" { "—" } },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workout_types_round_trip_through_forms() {
        for (kind, value, label) in TYPES {
            assert_eq!(parse_type(value), Some(kind));
            assert_eq!(type_value(kind as i32), value);
            assert_eq!(type_label(kind as i32), label);
        }
        assert_eq!(parse_type(""), Some(WorkoutType::Unspecified));
        assert_eq!(parse_type("yoga"), None);
        assert_eq!(type_value(0), "");
        assert_eq!(type_label(99), "Unknown");
    }

    #[test]
    fn only_known_done_keys_show_a_message() {
        assert_eq!(
            done_message(Some("workout-created")),
            Some("Workout created.")
        );
        assert_eq!(done_message(Some("<script>")), None);
        assert_eq!(done_message(None), None);
    }

    #[test]
    fn reasons_of_unshown_fields_move_into_the_message() {
        let mut feedback = Feedback::field("workout.title", "Required.");
        feedback
            .fields
            .insert("page_token".into(), "Not a page token.".into());
        let folded = fold_unshown(feedback, &["workout.title"]);
        assert_eq!(folded.for_field("workout.title"), Some("Required."));
        assert_eq!(folded.for_field("page_token"), None);
        assert!(folded.message.contains("first page"), "{}", folded.message);
        assert!(folded.message.starts_with("Please correct"));
    }

    #[test]
    fn items_of_a_shown_list_stay_beside_it() {
        let feedback = Feedback::field("exercise.workout_ids[1]", "Duplicate workout id.");
        let folded = fold_unshown(feedback, &["exercise.workout_ids"]);
        assert_eq!(
            reason_for(&folded, "exercise.workout_ids"),
            Some("Duplicate workout id.")
        );
    }

    #[test]
    fn ids_cannot_leave_their_path_segment() {
        assert_eq!(workout_href("0190-ab_c"), "/training/workouts/0190-ab_c");
        assert_eq!(
            exercise_href("../admin?x=1"),
            "/training/exercises/%2E%2E%2Fadmin%3Fx%3D1"
        );
    }

    #[test]
    fn dates_read_as_days() {
        assert_eq!(
            day("2026-03-02").into_string(),
            r#"<time datetime="2026-03-02">2 Mar 2026</time>"#
        );
        assert_eq!(
            day("<b>").into_string(),
            r#"<time datetime="&lt;b&gt;">&lt;b&gt;</time>"#
        );
    }

    #[test]
    fn request_ids_are_fresh() {
        let (a, b) = (request_id(), request_id());
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
    }
}
