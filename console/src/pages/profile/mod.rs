//! The profile page, the console's landing page: a card with the user's account and training
//! statistics, and the forms that change the profile ([`edit`]), the picture ([`avatar`]) and
//! the password ([`password`]).
//!
//! A refused form comes back on the same page with its errors beside its fields; a saved one
//! redirects here with `?done=<key>`, read from a fixed table of messages.

mod avatar;
mod edit;
mod password;

use axum::Router;
use axum::extract::Query;
use axum::extract::rejection::QueryRejection;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use http::StatusCode;
use maud::{Markup, html};
use serde::Deserialize;
use shared::pb::auth::v1::{Language, Role, User};
use shared::pb::fitness::v1::{GetMyStatsRequest, Stat};
use tonic::Status;

use crate::app::AppState;
use crate::error::{ConsoleError, PageResult};
use crate::extract::SignedIn;
use crate::feedback::{self, Feedback};
use crate::ui::layout::{self, Section};
use crate::ui::{self, Tone, badge};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(show))
        .route("/profile", post(edit::save))
        .route("/profile/avatar", post(avatar::upload))
        .route("/profile/password", post(password::change))
        .route("/avatar", get(avatar::serve))
}

/// The form-level message when the errors are all beside their fields.
const CORRECT_FIELDS: &str = "Please correct the fields marked below.";

/// The query of the page: the key of a success message.
#[derive(Debug, Default, Deserialize)]
struct DoneQuery {
    #[serde(default)]
    done: String,
}

/// The success message of `?done=<key>` (a fixed table: no text from the URL is shown).
fn done_message(key: &str) -> Option<&'static str> {
    Some(match key {
        "profile" => "Your profile is saved.",
        "email" => {
            "Your profile is saved. We mailed a link to the new address: your email changes \
             once you follow it."
        }
        "unchanged" => "Nothing was changed.",
        "avatar" => "Your picture is updated.",
        "password" => "Your password is changed. Your other sessions are signed out.",
        _ => return None,
    })
}

/// The form a refused request came from, with what it was told.
#[derive(Debug, Default)]
enum Refused {
    /// Nothing refused: every form shows the current values.
    #[default]
    None,
    /// The profile form, with what was typed.
    Edit(Box<edit::EditForm>, Feedback),
    /// The picture form.
    Avatar(Feedback),
    /// The password form (passwords are never sent back).
    Password(Feedback),
}

async fn show(user: SignedIn, query: Result<Query<DoneQuery>, QueryRejection>) -> PageResult {
    let Query(query) = query.unwrap_or_default();
    let flash = done_message(&query.done);
    profile_page(&user, StatusCode::OK, flash, &Refused::None).await
}

/// The whole page with `refused` shown on its form. The user is the one `SignedIn` read for
/// this request (`GetMe`), so only the statistics are fetched here.
async fn profile_page(
    user: &SignedIn,
    code: StatusCode,
    flash: Option<&str>,
    refused: &Refused,
) -> PageResult {
    let stats = my_stats(user).await?;
    let body = html! {
        (ui::flash(flash))
        // A section, so the forms below keep their distance (`section + section`); each card
        // in its own cell, so neither gets the margin of a card following a card.
        section class="grid" aria-label="Your account" {
            div { (card(&user.me)) }
            div { (stats_card(stats.as_ref())) }
        }
        (edit::section(user, refused))
        (avatar::section(user, refused))
        (password::section(user, refused))
    };
    let chrome = user.chrome(Section::Profile);
    Ok((code, layout::page(&chrome, "Profile", body)).into_response())
}

/// The user's training statistics; `None` when the fitness service cannot answer (the rest of
/// the page still shows). A sign-out still ends the page.
async fn my_stats(user: &SignedIn) -> Result<Option<Stat>, ConsoleError> {
    let stats = user
        .api
        .call(|c| async move { c.stats().get_my_stats(GetMyStatsRequest {}).await })
        .await;
    match stats {
        Ok(stats) => Ok(Some(stats)),
        Err(ConsoleError::Rpc(status)) => {
            tracing::warn!(code = ?status.code(), "statistics unavailable");
            Ok(None)
        }
        Err(other) => Err(other),
    }
}

/// The name to show: the display name, else the given and family names, else the username.
fn display_name(me: &User) -> String {
    let full = me
        .profile
        .as_ref()
        .map(|p| p.full_name.trim())
        .unwrap_or_default();
    if !full.is_empty() {
        return full.to_owned();
    }
    let names = format!("{} {}", me.first_name.trim(), me.last_name.trim());
    let names = names.trim();
    if names.is_empty() {
        me.username.clone()
    } else {
        names.to_owned()
    }
}

/// Up to two initials of `name` (first letters of its first and last words), upper-cased.
fn initials(name: &str) -> String {
    let mut words = name.split_whitespace();
    let first = words.next().and_then(|w| w.chars().next());
    let last = words.next_back().and_then(|w| w.chars().next());
    first
        .into_iter()
        .chain(last)
        .flat_map(char::to_uppercase)
        .collect()
}

/// The languages a profile may choose: the form value, the API value and the name.
const LANGUAGES: [(&str, Language, &str); 4] = [
    ("en", Language::En, "English"),
    ("es", Language::Es, "Spanish"),
    ("fr", Language::Fr, "French"),
    ("ar", Language::Ar, "Arabic"),
];

/// The form value of a language ("" when unset).
fn language_code(value: i32) -> &'static str {
    LANGUAGES
        .iter()
        .find(|(_, language, _)| *language as i32 == value)
        .map_or("", |(code, _, _)| code)
}

/// The name of a language, or "Not set".
fn language_name(value: i32) -> &'static str {
    LANGUAGES
        .iter()
        .find(|(_, language, _)| *language as i32 == value)
        .map_or("Not set", |(_, _, name)| name)
}

/// The profile card: picture, names, email, bio and facts.
fn card(me: &User) -> Markup {
    let name = display_name(me);
    let profile = me.profile.clone().unwrap_or_default();
    let role = Role::try_from(me.role).unwrap_or(Role::Unspecified);
    html! {
        section class="card" aria-labelledby="profile-name" {
            div class="profile-head" {
                @if profile.has_avatar {
                    img id="profile-avatar" class="avatar" src="/avatar" width="96" height="96"
                        alt=(format!("Picture of {name}"));
                } @else {
                    span id="profile-initials" class="avatar" aria-hidden="true" { (initials(&name)) }
                }
                div {
                    h2 id="profile-name" { (name) }
                    p class="muted" id="profile-username" { "@" (me.username) }
                    (layout::role_badge(role))
                }
            }
            @if !profile.bio.trim().is_empty() {
                p id="profile-bio" {
                    @for (i, line) in profile.bio.lines().enumerate() {
                        @if i > 0 { br; }
                        (line)
                    }
                }
            }
            dl class="facts" {
                dt { "Email" }
                dd id="profile-email" {
                    (me.email) " "
                    @if me.email_verified { (badge("verified", Tone::Good)) }
                    @else { (badge("not verified", Tone::Warn)) }
                    @if !me.pending_email.is_empty() {
                        br;
                        span id="profile-pending-email" {
                            "Changing to " (me.pending_email) " " (badge("pending", Tone::Warn))
                        }
                    }
                }
                dt { "Language" } dd id="profile-language" { (language_name(profile.language)) }
                @if !profile.birth_date.is_empty() {
                    dt { "Birth date" } dd { (profile.birth_date) }
                }
                dt { "Two-step verification" }
                dd {
                    @if me.mfa_enabled { (badge("on", Tone::Good)) } @else { (badge("off", Tone::Muted)) }
                }
                dt { "Member since" } dd id="profile-since" { (ui::date(me.created_at.as_ref())) }
            }
        }
    }
}

/// The training statistics beside the card.
fn stats_card(stats: Option<&Stat>) -> Markup {
    html! {
        section class="card" aria-labelledby="stats-title" {
            h2 id="stats-title" { "Training" }
            @match stats {
                Some(stats) => {
                    dl class="stats" {
                        div { dt { "Workouts" } dd id="stat-workouts" { (stats.total_workouts) } }
                        div { dt { "Exercises" } dd id="stat-exercises" { (stats.total_exercises) } }
                        div { dt { "Minutes" } dd id="stat-minutes" { (stats.total_duration_minutes) } }
                        div {
                            dt { "Evaluation" }
                            dd id="stat-evaluation" {
                                @match stats.evaluation {
                                    Some(score) => { (score) " / 100" }
                                    None => span class="muted" title="Not evaluated yet" { "Not yet" },
                                }
                            }
                        }
                    }
                }
                None => p class="muted" { "Your statistics are unavailable right now; try again in a moment." },
            }
            p { a href="/training" { "Go to your training" } }
        }
    }
}

/// The feedback of a refused call, with the reasons that concern one input placed beside it:
/// `places` maps an `ErrorInfo` reason to `(field, message)`.
fn placed(status: &Status, places: &[(&str, &str, &str)]) -> Feedback {
    let mut feedback = Feedback::from_status(status);
    let reason = feedback::reason(status);
    if let Some((_, field, message)) = places
        .iter()
        .find(|(known, _, _)| reason.as_deref() == Some(*known))
    {
        feedback
            .fields
            .insert((*field).to_owned(), (*message).to_owned());
        if feedback.retry_after.is_none() {
            feedback.message = CORRECT_FIELDS.to_owned();
        }
    }
    feedback
}

/// A form refused before any call: one field's error and the form-level sentence.
fn local_error(field: &str, message: &str) -> Feedback {
    let mut feedback = Feedback::field(field, message);
    feedback.message = CORRECT_FIELDS.to_owned();
    feedback
}

/// The page again with `refused`, answered with the HTTP status of the refusal.
async fn refused_page(user: &SignedIn, code: StatusCode, refused: Refused) -> PageResult {
    profile_page(user, code, None, &refused).await
}

/// A response that sends the browser back to the page with a message.
fn done(key: &'static str) -> Response {
    axum::response::Redirect::to(&format!("/?done={key}")).into_response()
}

#[cfg(test)]
mod tests {
    use shared::pb::auth::v1::Profile;
    use tonic::Code;
    use tonic_types::{ErrorDetails, StatusExt as _};

    use super::*;

    fn user(first: &str, last: &str, full: &str) -> User {
        User {
            username: "ada".into(),
            first_name: first.into(),
            last_name: last.into(),
            profile: Some(Profile {
                full_name: full.into(),
                ..Profile::default()
            }),
            ..User::default()
        }
    }

    #[test]
    fn the_name_shown_falls_back_from_display_name_to_names_to_username() {
        assert_eq!(
            display_name(&user("Ada", "Lovelace", "Countess Ada")),
            "Countess Ada"
        );
        assert_eq!(display_name(&user("Ada", "Lovelace", " ")), "Ada Lovelace");
        assert_eq!(display_name(&user("", "Lovelace", "")), "Lovelace");
        assert_eq!(display_name(&user("", "", "")), "ada");
    }

    #[test]
    fn initials_take_the_first_and_last_words() {
        assert_eq!(initials("Ada King Lovelace"), "AL");
        assert_eq!(initials("ada"), "A");
        assert_eq!(initials("élodie ñúñez"), "ÉÑ");
        assert_eq!(initials("  "), "");
    }

    #[test]
    fn only_known_keys_give_a_message() {
        for key in ["profile", "email", "unchanged", "avatar", "password"] {
            assert!(done_message(key).is_some(), "{key}");
        }
        assert_eq!(done_message("<b>hi</b>"), None);
    }

    #[test]
    fn the_card_escapes_what_users_typed() {
        let mut me = user("<script>x</script>", "", "");
        me.email = "a@example.com".into();
        if let Some(profile) = me.profile.as_mut() {
            profile.bio = "line one\n<img src=x onerror=alert(1)>".into();
        }
        let html = card(&me).into_string();
        assert!(!html.contains("<script>"));
        assert!(!html.contains("<img src=x"));
        assert!(html.contains("&lt;script&gt;x&lt;/script&gt;"));
        assert!(html.contains("line one<br>&lt;img"));
    }

    #[test]
    fn stats_show_totals_and_a_missing_evaluation() {
        let stat = Stat {
            total_workouts: 2,
            total_exercises: 3,
            total_duration_minutes: 95,
            evaluation: None,
            ..Stat::default()
        };
        let html = stats_card(Some(&stat)).into_string();
        assert!(html.contains("id=\"stat-workouts\">2<"));
        assert!(html.contains("id=\"stat-minutes\">95<"));
        assert!(html.contains(">Not yet<"));
        let rated = Stat {
            evaluation: Some(87),
            ..stat
        };
        assert!(stats_card(Some(&rated)).into_string().contains("87 / 100"));
        assert!(stats_card(None).into_string().contains("unavailable"));
    }

    #[test]
    fn a_reason_about_one_input_lands_beside_it() {
        let mut details = ErrorDetails::new();
        details.set_error_info(
            "INVALID_CREDENTIALS",
            "stride.auth",
            std::collections::HashMap::new(),
        );
        let status = Status::with_error_details(Code::Unauthenticated, "no", details);
        let feedback = placed(
            &status,
            &[("INVALID_CREDENTIALS", "current_password", "Not it.")],
        );
        assert_eq!(feedback.for_field("current_password"), Some("Not it."));
        assert_eq!(feedback.message, CORRECT_FIELDS);
        let other = placed(&status, &[("MFA_REQUIRED", "mfa_code", "Code.")]);
        assert!(other.fields.is_empty());
        assert_eq!(other.message, "Wrong username or password.");
    }

    #[test]
    fn languages_read_both_ways() {
        assert_eq!(language_code(Language::Fr as i32), "fr");
        assert_eq!(language_code(Language::Unspecified as i32), "");
        assert_eq!(language_name(Language::Ar as i32), "Arabic");
        assert_eq!(language_name(99), "Not set");
    }
}
