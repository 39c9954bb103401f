//! The pages behind the links the auth service mails (`STRIDE_PUBLIC_URL` points at the
//! console): verifying an email address, resetting a forgotten password, and asking for a
//! reset. Each link opens a page with a button or a form; only its POST acts, so a mail
//! scanner that fetches the link changes nothing. The forms work before any session, with the
//! sign-in form's pre-session CSRF token.

use axum::Router;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use http::request::Parts;
use maud::{Markup, html};
use serde::Deserialize;
use shared::pb::auth::v1::{RequestPasswordResetRequest, ResetPasswordRequest, VerifyEmailRequest};

use super::login::{checked_presession, presession, presession_csrf, with_cookie};
use crate::app::AppState;
use crate::error::{PageResult, http_status};
use crate::extract::{self, parse_form};
use crate::feedback::Feedback;
use crate::grpc::Caller;
use crate::session::SessionId;
use crate::ui::{self, form, layout};

/// Longest token accepted from a link (the service's are 43 characters).
const MAX_TOKEN: usize = 256;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/verify-email", get(verify_page).post(verify))
        .route("/reset-password", get(reset_page).post(reset))
        .route("/forgot-password", get(forgot_page).post(forgot))
}

#[derive(Debug, Deserialize)]
struct Link {
    #[serde(default)]
    token: String,
}

// No `Debug`: it holds a mailed token and a password.
#[derive(Deserialize)]
struct TokenForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    token: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    login: String,
}

fn bounded(token: &str) -> &str {
    if token.len() > MAX_TOKEN { "" } else { token }
}

async fn verify_page(
    State(state): State<AppState>,
    Query(link): Query<Link>,
    parts: Parts,
) -> Response {
    let (id, set) = presession(&state, &parts.headers);
    let page = verify_markup(&state, &id, bounded(&link.token), &Feedback::default());
    with_cookie(page.into_response(), set)
}

fn verify_markup(state: &AppState, id: &SessionId, token: &str, feedback: &Feedback) -> Markup {
    layout::bare_page(
        &state.product,
        "Verify your email address",
        html! {
            (ui::notice(feedback))
            p { "Confirm that this address is yours." }
            form method="post" action="/verify-email" class="stack" {
                (form::csrf(&presession_csrf(state, id)))
                input type="hidden" name="token" value=(token);
                button type="submit" class="primary" { "Verify my address" }
            }
        },
    )
}

async fn verify(State(state): State<AppState>, parts: Parts, body: Body) -> PageResult {
    let body = extract::form_bytes(body).await?;
    let input: TokenForm = parse_form(&body)?;
    let id = checked_presession(&state, &parts, &input.csrf)?;
    let caller = Caller::anonymous(&state.channels, &extract::browser(&parts, &state));
    let request = VerifyEmailRequest {
        token: bounded(&input.token).to_owned(),
    };
    match caller.auth().verify_email(request).await {
        Ok(_) => Ok(layout::bare_page(
            &state.product,
            "Email verified",
            html! {
                div class="notice good" role="status" { "Your email address is verified." }
                p { a href="/" { "Go to the console" } }
            },
        )
        .into_response()),
        Err(status) => {
            let feedback = link_feedback(&status);
            let page = verify_markup(&state, &id, &input.token, &feedback);
            Ok((http_status(&status), page).into_response())
        }
    }
}

/// A refused link: expired, used or unknown tokens all read the same.
fn link_feedback(status: &tonic::Status) -> Feedback {
    let feedback = Feedback::from_status(status);
    if feedback.fields.contains_key("token") || status.code() == tonic::Code::NotFound {
        return Feedback::message("This link has expired or was already used. Ask for a new one.");
    }
    feedback
}

async fn reset_page(
    State(state): State<AppState>,
    Query(link): Query<Link>,
    parts: Parts,
) -> Response {
    let (id, set) = presession(&state, &parts.headers);
    let page = reset_markup(&state, &id, bounded(&link.token), &Feedback::default());
    with_cookie(page.into_response(), set)
}

fn reset_markup(state: &AppState, id: &SessionId, token: &str, feedback: &Feedback) -> Markup {
    layout::bare_page(
        &state.product,
        "Choose a new password",
        html! {
            (ui::notice(feedback))
            form method="post" action="/reset-password" class="stack" {
                (form::csrf(&presession_csrf(state, id)))
                input type="hidden" name="token" value=(token);
                (form::input("new_password", "New password", "password", "", feedback, "new_password"))
                button type="submit" class="primary" { "Set the password" }
            }
        },
    )
}

async fn reset(State(state): State<AppState>, parts: Parts, body: Body) -> PageResult {
    let body = extract::form_bytes(body).await?;
    let input: TokenForm = parse_form(&body)?;
    let id = checked_presession(&state, &parts, &input.csrf)?;
    let caller = Caller::anonymous(&state.channels, &extract::browser(&parts, &state));
    let request = ResetPasswordRequest {
        token: bounded(&input.token).to_owned(),
        new_password: input.new_password,
    };
    match caller.auth().reset_password(request).await {
        Ok(_) => Ok(Redirect::to("/login?reset=1").into_response()),
        Err(status) => {
            let mut feedback = Feedback::from_status(&status);
            if feedback.fields.contains_key("token") || status.code() == tonic::Code::NotFound {
                feedback = link_feedback(&status);
            }
            let page = reset_markup(&state, &id, &input.token, &feedback);
            Ok((http_status(&status), page).into_response())
        }
    }
}

async fn forgot_page(State(state): State<AppState>, parts: Parts) -> Response {
    let (id, set) = presession(&state, &parts.headers);
    let page = forgot_markup(&state, &id, &Feedback::default(), false);
    with_cookie(page.into_response(), set)
}

fn forgot_markup(state: &AppState, id: &SessionId, feedback: &Feedback, sent: bool) -> Markup {
    layout::bare_page(
        &state.product,
        "Forgot your password?",
        html! {
            @if sent {
                div class="notice good" role="status" {
                    "If an account has that username or address, a link to choose a new password is on its way."
                }
            }
            (ui::notice(feedback))
            form method="post" action="/forgot-password" class="stack" {
                (form::csrf(&presession_csrf(state, id)))
                (form::input("login", "Username or email", "text", "", feedback, "login"))
                button type="submit" class="primary" { "Mail me a link" }
            }
            p { a href="/login" { "Back to sign in" } }
        },
    )
}

async fn forgot(State(state): State<AppState>, parts: Parts, body: Body) -> PageResult {
    let body = extract::form_bytes(body).await?;
    let input: TokenForm = parse_form(&body)?;
    let id = checked_presession(&state, &parts, &input.csrf)?;
    let caller = Caller::anonymous(&state.channels, &extract::browser(&parts, &state));
    let request = RequestPasswordResetRequest {
        login: input.login.trim().to_owned(),
    };
    match caller.auth().request_password_reset(request).await {
        Ok(_) => Ok(forgot_markup(&state, &id, &Feedback::default(), true).into_response()),
        Err(status) => {
            let page = forgot_markup(&state, &id, &Feedback::from_status(&status), false);
            Ok((http_status(&status), page).into_response())
        }
    }
}
