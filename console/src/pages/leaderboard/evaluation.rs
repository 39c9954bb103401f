//! Setting an evaluation: the form (on each leaderboard row and on the admin user page) and
//! its POST. Where the browser goes afterwards is chosen by a fixed rule ([`Back`]): the form
//! names a destination, never a URL, so this route cannot be made to redirect anywhere else.

use axum::extract::Path;
use axum::response::{IntoResponse, Redirect};
use maud::{Markup, html};
use serde::Deserialize;
use shared::pb::auth::v1::Role;
use shared::pb::fitness::v1::SetEvaluationRequest;

use super::{PageAt, Refused, View, load, page};
use crate::error::{ConsoleError, PageResult, http_status};
use crate::extract::{CsrfForm, SignedIn, Staff};
use crate::feedback::Feedback;
use crate::ui::layout::{self, Section};
use crate::ui::{self, form};

/// Where the evaluation form sends the browser once the evaluation is saved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Back {
    /// The leaderboard page the form was on.
    Leaderboard,
    /// The admin page of the evaluated user (admins only).
    User,
}

impl Back {
    /// The form's `back` value: "user" or anything else (the leaderboard).
    fn parse(raw: &str) -> Self {
        match raw {
            "user" => Self::User,
            _ => Self::Leaderboard,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Leaderboard => "leaderboard",
            Self::User => "user",
        }
    }
}

/// What an evaluation form shows.
#[derive(Debug)]
pub(super) struct EvaluationForm<'a> {
    pub(super) csrf: &'a str,
    pub(super) user_id: &'a str,
    pub(super) value: &'a str,
    pub(super) error: Option<&'a str>,
    pub(super) back: Back,
    pub(super) at: &'a PageAt,
}

/// The form setting one user's evaluation (`#evaluate-<user id>`, its input `#eval-<user id>`).
/// The browser does not check the range (`novalidate`): the API's answer is shown instead.
pub(super) fn evaluation_form(f: &EvaluationForm<'_>) -> Markup {
    let id = format!("eval-{}", f.user_id);
    let error_id = format!("{id}-error");
    html! {
        form method="post" action={ "/leaderboard/" (f.user_id) "/evaluation" }
            id={ "evaluate-" (f.user_id) } class="actions" novalidate {
            (form::csrf(f.csrf))
            input type="hidden" name="back" value=(f.back.as_str());
            @if !f.at.token.is_empty() {
                input type="hidden" name="page_token" value=(f.at.token);
                input type="hidden" name="from" value=(f.at.start);
            }
            div class={ "field" @if f.error.is_some() { " invalid" } } {
                label for=(id) { "Evaluation (0–100)" }
                input id=(id) name="evaluation" type="number" min="0" max="100" step="1"
                    inputmode="numeric" value=(f.value)
                    aria-invalid=[f.error.map(|_| "true")]
                    aria-describedby=[f.error.map(|_| error_id.as_str())];
                @if let Some(error) = f.error {
                    p class="field-error" id=(error_id) { (error) }
                }
            }
            button type="submit" { "Save" }
        }
    }
}

/// The evaluation form of the admin user page (returns to that page).
pub(crate) fn user_evaluation_form(csrf: &str, user_id: &str, current: Option<i32>) -> Markup {
    let value = current.map(|e| e.to_string()).unwrap_or_default();
    evaluation_form(&EvaluationForm {
        csrf,
        user_id,
        value: &value,
        error: None,
        back: Back::User,
        at: &PageAt::default(),
    })
}

#[derive(Debug, Deserialize)]
pub(super) struct EvaluationInput {
    #[serde(default)]
    evaluation: String,
    #[serde(default)]
    back: String,
    #[serde(default)]
    page_token: String,
    #[serde(default)]
    from: String,
}

/// The typed evaluation as a number, or the field's error.
fn parse_evaluation(raw: &str) -> Result<i32, Feedback> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(Feedback::field("evaluation", "Enter an evaluation."));
    }
    raw.parse::<i32>()
        .map_err(|_| Feedback::field("evaluation", "Enter a whole number from 0 to 100."))
}

/// True for the shape of a user id (a UUID), the only text put in a redirect's path.
fn is_user_id(raw: &str) -> bool {
    raw.len() == 36
        && raw.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// `POST /leaderboard/{user_id}/evaluation`: saves, or shows the form again with the reason.
pub(super) async fn evaluate(
    Staff(user): Staff,
    Path(user_id): Path<String>,
    CsrfForm(input): CsrfForm<EvaluationInput>,
) -> PageResult {
    if !is_user_id(&user_id) {
        return Err(ConsoleError::NotFound);
    }
    // Only admins may return to the admin user page; for anyone else it is the leaderboard.
    let back = match Back::parse(&input.back) {
        Back::User if user.role() == Role::Admin => Back::User,
        _ => Back::Leaderboard,
    };
    let at = PageAt::parse(&input.page_token, &input.from);
    let (code, feedback) = match parse_evaluation(&input.evaluation) {
        Ok(evaluation) => match save(&user, &user_id, evaluation).await {
            Ok(()) => {
                return Ok(Redirect::to(&saved_location(back, &user_id, &at)).into_response());
            }
            Err(ConsoleError::Rpc(status)) => {
                (http_status(&status), Feedback::from_status(&status))
            }
            Err(other) => return Err(other),
        },
        Err(feedback) => (http::StatusCode::BAD_REQUEST, feedback),
    };
    let refused = Refused {
        user_id,
        value: input.evaluation,
        feedback,
    };
    let markup = match back {
        Back::User => refused_page(&user, &refused),
        Back::Leaderboard => {
            let board = load(&user, &at).await?;
            page(
                &user,
                &View {
                    board: &board,
                    at: &at,
                    flash: None,
                    refused: Some(&refused),
                },
            )
        }
    };
    Ok((code, markup).into_response())
}

/// `SetEvaluation`.
async fn save(user: &SignedIn, user_id: &str, evaluation: i32) -> Result<(), ConsoleError> {
    let request = SetEvaluationRequest {
        user_id: user_id.to_owned(),
        evaluation,
    };
    user.api
        .call(|c| {
            let request = request.clone();
            async move { c.stats().set_evaluation(request).await }
        })
        .await
        .map(|_| ())
}

/// Where a saved evaluation returns: a fixed path, the user id checked by [`is_user_id`].
fn saved_location(back: Back, user_id: &str, at: &PageAt) -> String {
    match back {
        Back::User => format!("/admin/users/{user_id}?done=evaluation"),
        Back::Leaderboard => {
            let query = at.query();
            let join = if query.is_empty() { "" } else { "&" };
            format!("/leaderboard?{query}{join}done=evaluation")
        }
    }
}

/// The admin user page's evaluation refused: the form again with the reason beside it.
fn refused_page(user: &SignedIn, refused: &Refused) -> Markup {
    let body = html! {
        (ui::notice(&refused.feedback))
        section class="card" {
            p { "User " code { (refused.user_id) } }
            (evaluation_form(&EvaluationForm {
                csrf: user.csrf(),
                user_id: &refused.user_id,
                value: &refused.value,
                error: refused.feedback.for_field("evaluation"),
                back: Back::User,
                at: &PageAt::default(),
            }))
            p { a href={ "/admin/users/" (refused.user_id) } { "Back to the user" } }
        }
    };
    layout::page(&user.chrome(Section::Users), "Set evaluation", body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_names_a_destination_never_a_url() {
        assert_eq!(Back::parse("user"), Back::User);
        assert_eq!(Back::parse("leaderboard"), Back::Leaderboard);
        assert_eq!(Back::parse("https://evil.example/"), Back::Leaderboard);
        assert_eq!(Back::parse("//evil.example"), Back::Leaderboard);
        assert_eq!(Back::parse(""), Back::Leaderboard);
    }

    #[test]
    fn saved_evaluations_return_to_fixed_paths() {
        let id = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
        assert_eq!(
            saved_location(Back::User, id, &PageAt::default()),
            format!("/admin/users/{id}?done=evaluation")
        );
        assert_eq!(
            saved_location(Back::Leaderboard, id, &PageAt::default()),
            "/leaderboard?done=evaluation"
        );
        let at = PageAt::parse("a b&c", "25");
        assert_eq!(
            saved_location(Back::Leaderboard, id, &at),
            "/leaderboard?page_token=a+b%26c&from=25&done=evaluation"
        );
    }

    #[test]
    fn only_user_ids_reach_a_redirect() {
        assert!(is_user_id("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"));
        assert!(!is_user_id("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5"));
        assert!(!is_user_id("0190a1b2/c3d4-7e5f-8a9b-0c1d2e3f4a5b"));
        assert!(!is_user_id("../../../../../../../../evil.example"));
        assert!(!is_user_id("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5é"));
    }

    #[test]
    fn evaluations_are_whole_numbers() {
        assert_eq!(parse_evaluation(" 42 "), Ok(42));
        assert_eq!(parse_evaluation("150"), Ok(150), "the API judges the range");
        let err = parse_evaluation("4.5").unwrap_err();
        assert!(err.for_field("evaluation").is_some());
        assert!(parse_evaluation("").is_err());
        assert!(parse_evaluation("99999999999").is_err());
    }

    #[test]
    fn the_evaluation_form_escapes_what_was_typed() {
        let html = evaluation_form(&EvaluationForm {
            csrf: "c",
            user_id: "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
            value: "\"><script>",
            error: Some("Must be 0-100."),
            back: Back::Leaderboard,
            at: &PageAt::default(),
        })
        .into_string();
        assert!(!html.contains("<script>"));
        assert!(html.contains("Must be 0-100."));
        assert!(html.contains("aria-invalid=\"true\""));
    }
}
