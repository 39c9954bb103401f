//! One user's page: profile facts and avatar, the actions (deactivate or reactivate, change
//! role, sign out everywhere), training statistics with the evaluation form, sessions with
//! their token trees ([`super::sessions`]), and the latest security events. The calls run at
//! once.

use axum::extract::{Path, Query};
use axum::response::IntoResponse;
use maud::{Markup, html};
use serde::Deserialize;
use shared::pb::auth::v1::{GetUserRequest, ListSecurityEventsRequest, Role, User};
use shared::pb::fitness::v1::{GetUserStatsRequest, Stat};
use tonic::{Code, Status};

use super::list::status_badge;
use super::sessions::{self, Sessions};
use super::{ROLES, display_name, role_value, user_path};
use crate::error::{ConsoleError, PageResult};
use crate::extract::{Admin, SignedIn};
use crate::feedback::Feedback;
use crate::pages::admin::dashboard::part;
use crate::pages::admin::events::{self, EventQuery, Listing};
use crate::pages::leaderboard::user_evaluation_form;
use crate::ui::layout::{self, Section, role_badge};
use crate::ui::{self, Tone, form};

/// Security events shown.
const EVENTS: i32 = 20;

/// Everything the page shows.
#[derive(Debug)]
pub(super) struct UserView {
    user: User,
    sessions: Result<Sessions, Status>,
    events: Result<Listing, Status>,
    stats: Result<Stat, Status>,
}

/// Loads the page of user `id`; NOT_FOUND when auth does not know it (or it is no user id).
pub(super) async fn load(admin: &SignedIn, id: &str) -> Result<UserView, ConsoleError> {
    let api = &admin.api;
    let get_user = GetUserRequest {
        user_id: id.to_owned(),
    };
    let user = api.call(|c| {
        let request = get_user.clone();
        async move { c.admin().get_user(request).await }
    });
    let sessions = sessions::load(admin, id);
    let events = events::list(
        admin,
        ListSecurityEventsRequest {
            user_id: id.to_owned(),
            page_size: EVENTS,
            ..ListSecurityEventsRequest::default()
        },
    );
    let get_stats = GetUserStatsRequest {
        user_id: id.to_owned(),
    };
    let stats = api.call(|c| {
        let request = get_stats.clone();
        async move { c.stats().get_user_stats(request).await }
    });
    let (user, sessions, events, stats) = tokio::join!(user, sessions, events, stats);
    let user = match user {
        Ok(user) => user,
        Err(ConsoleError::Rpc(status))
            if matches!(status.code(), Code::NotFound | Code::InvalidArgument) =>
        {
            return Err(ConsoleError::NotFound);
        }
        Err(other) => return Err(other),
    };
    Ok(UserView {
        user,
        sessions: sessions?,
        events: part(events)?,
        stats: part(stats)?,
    })
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct Done {
    #[serde(default)]
    done: String,
}

/// The message of a `?done=` key.
fn done_message(key: &str) -> Option<&'static str> {
    Some(match key {
        "deactivated" => "The user is deactivated and signed out everywhere.",
        "reactivated" => "The user is active again and can sign in.",
        "role" => "The role is changed.",
        "revoked" => "Every session of the user is revoked.",
        "evaluation" => "Evaluation saved.",
        _ => return None,
    })
}

/// `GET /admin/users/{id}`.
pub(super) async fn show(
    Admin(admin): Admin,
    Path(id): Path<String>,
    Query(done): Query<Done>,
) -> PageResult {
    let view = load(&admin, &id).await?;
    let markup = page(
        &admin,
        &view,
        done_message(&done.done),
        &Feedback::default(),
    );
    Ok(markup.into_response())
}

/// The page; `feedback` is a refused action's (the role field shows its own error).
pub(super) fn page(
    admin: &SignedIn,
    view: &UserView,
    flash: Option<&str>,
    feedback: &Feedback,
) -> Markup {
    let user = &view.user;
    let body = html! {
        (ui::flash(flash))
        (ui::notice(feedback))
        section class="card" aria-labelledby="profile" {
            (head(user))
            (facts(user))
        }
        (actions(admin, user, feedback))
        (stats(admin, user, &view.stats))
        (sessions::section(&view.sessions))
        (security_events(user, &view.events))
    };
    layout::page(&admin.chrome(Section::Users), &user.username, body)
}

/// The avatar (or initials), name and badges.
fn head(user: &User) -> Markup {
    let has_avatar = user.profile.as_ref().is_some_and(|p| p.has_avatar);
    let name = display_name(user);
    html! {
        div class="profile-head" {
            @if has_avatar {
                img class="avatar" src={ (user_path(&user.id)) "/avatar" }
                    alt={ "Avatar of " (user.username) } width="96" height="96";
            } @else {
                span class="avatar" aria-hidden="true" { (initials(&name, &user.username)) }
            }
            div {
                h2 id="profile" { @if name.is_empty() { (user.username) } @else { (name) } }
                p class="actions" {
                    (role_badge(Role::try_from(user.role).unwrap_or(Role::Unspecified)))
                    span id="user-status" { (status_badge(user.active)) }
                }
            }
        }
    }
}

/// Up to two initials of the name, else of the username.
fn initials(name: &str, username: &str) -> String {
    let words: Vec<&str> = name.split_whitespace().collect();
    let from: Vec<&str> = if words.is_empty() {
        vec![username]
    } else {
        words
    };
    from.iter()
        .filter_map(|w| w.chars().next())
        .take(2)
        .flat_map(char::to_uppercase)
        .collect()
}

/// The profile facts.
fn facts(user: &User) -> Markup {
    let profile = user.profile.clone().unwrap_or_default();
    html! {
        dl class="facts" {
            dt { "Username" } dd id="fact-username" { (user.username) }
            dt { "Email" } dd {
                (user.email) " "
                @if user.email_verified { (ui::badge("verified", Tone::Good)) }
                @else { (ui::badge("not verified", Tone::Warn)) }
                @if !user.pending_email.is_empty() {
                    br; span class="muted" { "Changing to " (user.pending_email) }
                }
            }
            dt { "Two-step verification" } dd {
                @if user.mfa_enabled { (ui::badge("on", Tone::Good)) }
                @else { (ui::badge("off", Tone::Muted)) }
            }
            @if !profile.bio.is_empty() { dt { "Bio" } dd { (profile.bio) } }
            @if !profile.birth_date.is_empty() { dt { "Born" } dd { (profile.birth_date) } }
            dt { "Joined" } dd { (ui::time(user.created_at.as_ref())) }
            dt { "Last changed" } dd { (ui::time(user.updated_at.as_ref())) }
            dt { "User id" } dd { code { (user.id) } }
        }
    }
}

/// The "Actions" card: each action its own POST form.
fn actions(admin: &SignedIn, user: &User, feedback: &Feedback) -> Markup {
    let path = user_path(&user.id);
    let role = role_value(Role::try_from(user.role).unwrap_or(Role::Unspecified));
    html! {
        section class="card" aria-labelledby="actions" {
            h2 id="actions" { "Actions" }
            div class="stack" {
                div class="actions" {
                    @if user.active {
                        span id="deactivate" {
                            (form::button_form(
                                &format!("{path}/deactivate"),
                                admin.csrf(),
                                "Deactivate",
                                "danger",
                                Some(&format!("Deactivate {}? They are signed out everywhere and cannot sign in.", user.username)),
                            ))
                        }
                    } @else {
                        span id="reactivate" {
                            (form::button_form(&format!("{path}/reactivate"), admin.csrf(), "Reactivate", "primary", None))
                        }
                    }
                    span id="revoke-sessions" {
                        (form::button_form(
                            &format!("{path}/sessions/revoke"),
                            admin.csrf(),
                            "Sign out everywhere",
                            "danger",
                            Some(&format!("End every session of {}?", user.username)),
                        ))
                    }
                }
                form method="post" action={ (path) "/role" } id="change-role" class="filters" {
                    (form::csrf(admin.csrf()))
                    (form::select("role", "Role", &ROLES, role, feedback, "role"))
                    div class="actions" { button type="submit" { "Change role" } }
                }
            }
        }
    }
}

/// The "Training" card: the statistics and the evaluation form.
fn stats(admin: &SignedIn, user: &User, stats: &Result<Stat, Status>) -> Markup {
    html! {
        section class="card" aria-labelledby="training" {
            h2 id="training" { "Training" }
            @match stats {
                Ok(stat) => {
                    dl class="stats" {
                        div { dt { "Workouts" } dd id="user-workouts" { (stat.total_workouts) } }
                        div { dt { "Exercises" } dd { (stat.total_exercises) } }
                        div { dt { "Minutes" } dd id="user-minutes" { (stat.total_duration_minutes) } }
                        div {
                            dt { "Evaluation" }
                            dd id="user-evaluation" {
                                @match stat.evaluation { Some(e) => (e), None => "—" }
                            }
                        }
                    }
                    (user_evaluation_form(admin.csrf(), &user.id, stat.evaluation))
                }
                Err(status) => (ui::notice(&Feedback::from_status(status))),
            }
        }
    }
}

/// The user's latest security events, and a link to all of them.
fn security_events(user: &User, events: &Result<Listing, Status>) -> Markup {
    let all = EventQuery {
        user_id: user.id.clone(),
        ..EventQuery::default()
    };
    html! {
        section class="card" aria-labelledby="events" {
            h2 id="events" { "Security events" }
            @match events {
                Ok(listing) if listing.events.is_empty() => (ui::empty("No security events.")),
                Ok(listing) => (events::table(listing, false)),
                Err(status) => (ui::notice(&Feedback::from_status(status))),
            }
            p { a id="all-events" href={ "/admin/events?" (all.query()) } { "All security events of this user" } }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initials_come_from_the_name_else_the_username() {
        assert_eq!(initials("ada lovelace byron", "ada"), "AL");
        assert_eq!(initials("", "grace"), "G");
        assert_eq!(initials("  ", "émile"), "É");
    }

    #[test]
    fn only_known_outcomes_are_announced() {
        assert!(done_message("deactivated").is_some());
        assert_eq!(done_message("Your account is hacked"), None);
    }
}
