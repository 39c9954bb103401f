//! Signing in and out. The sign-in form works before any session exists, so its CSRF token is
//! derived from a pre-session cookie (a sealed random id) and the console key; a second factor,
//! when the account has one, is asked on a second form while the challenge `Login` returned
//! stays here, keyed by that pre-session.

use axum::Router;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::HeaderMap;
use http::header::SET_COOKIE;
use http::request::Parts;
use maud::{Markup, html};
use serde::Deserialize;
use sha2::{Digest as _, Sha256};
use shared::pb::auth::v1::{CompleteLoginRequest, LoginRequest, LoginResponse, LogoutRequest};

use crate::app::AppState;
use crate::error::{ConsoleError, PageResult};
use crate::extract::{self, CsrfForm, csrf_matches, parse_form};
use crate::feedback::Feedback;
use crate::grpc::Caller;
use crate::session::SessionId;
use crate::session::cookie::Kind;
use crate::ui::{self, form, layout};

/// The device label of sessions opened here.
const DEVICE_LABEL: &str = "Web console";

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(show).post(sign_in))
        .route("/login/code", post(second_factor))
        .route("/logout", post(sign_out))
}

#[derive(Debug, Deserialize)]
struct Notice {
    #[serde(default)]
    ended: Option<String>,
    #[serde(default)]
    signed_out: Option<String>,
    #[serde(default)]
    reset: Option<String>,
}

/// The pre-session of this browser: the id in its cookie, or a new one with the cookie to set.
pub(super) fn presession(state: &AppState, headers: &HeaderMap) -> (SessionId, Option<String>) {
    let existing = state
        .sealer
        .read(Kind::Presession, headers)
        .and_then(|value| state.sealer.open(Kind::Presession, value));
    match existing {
        Some(id) => (id, None),
        None => {
            let id: SessionId = rand::random();
            (id, Some(state.sealer.set(Kind::Presession, &id)))
        }
    }
}

/// The sign-in forms' CSRF token: a digest of the pre-session id under the console's cookie
/// sealer, so it is useless without the cookie and cannot be computed by another site.
pub(super) fn presession_csrf(state: &AppState, id: &SessionId) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"stride-console login csrf");
    hasher.update(state.sealer.fingerprint());
    hasher.update(id);
    URL_SAFE_NO_PAD.encode(hasher.finalize())
}

async fn show(
    State(state): State<AppState>,
    Query(notice): Query<Notice>,
    parts: Parts,
) -> Response {
    if extract::session_of(&parts, &state).is_some() {
        return Redirect::to("/").into_response();
    }
    let (id, set) = presession(&state, &parts.headers);
    let message = if notice.ended.is_some() {
        Some("Your session has ended. Sign in again.")
    } else if notice.signed_out.is_some() {
        Some("You are signed out.")
    } else if notice.reset.is_some() {
        Some("Your password is changed. Sign in with the new one.")
    } else {
        None
    };
    let page = sign_in_page(&state, &id, "", &Feedback::default(), message);
    with_cookie(page.into_response(), set)
}

pub(super) fn with_cookie(mut response: Response, cookie: Option<String>) -> Response {
    if let Some(value) = cookie.and_then(|c| c.parse().ok()) {
        response.headers_mut().append(SET_COOKIE, value);
    }
    response
}

fn sign_in_page(
    state: &AppState,
    id: &SessionId,
    login: &str,
    feedback: &Feedback,
    flash: Option<&str>,
) -> Markup {
    layout::bare_page(
        &state.product,
        "Sign in",
        html! {
            (ui::flash(flash))
            (ui::notice(feedback))
            form method="post" action="/login" class="stack" {
                (form::csrf(&presession_csrf(state, id)))
                (form::input("login", "Username or email", "text", login, feedback, "login"))
                (form::input("password", "Password", "password", "", feedback, "password"))
                button type="submit" class="primary" { "Sign in" }
            }
            p { a href="/forgot-password" { "Forgot your password?" } }
        },
    )
}

fn code_page(state: &AppState, id: &SessionId, feedback: &Feedback) -> Markup {
    layout::bare_page(
        &state.product,
        "Two-step verification",
        html! {
            (ui::notice(feedback))
            p { "Enter the 6-digit code from your authenticator app, or one of your recovery codes." }
            form method="post" action="/login/code" class="stack" {
                (form::csrf(&presession_csrf(state, id)))
                (form::input("code", "Code", "text", "", feedback, "code"))
                button type="submit" class="primary" { "Verify" }
            }
            p { a href="/login" { "Start again" } }
        },
    )
}

// No `Debug`: it holds a password.
#[derive(Deserialize)]
struct SignInForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
}

// No `Debug`: it holds a second-factor code.
#[derive(Deserialize)]
struct CodeForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    code: String,
}

/// Checks a sign-in form's origin and token; the pre-session it belongs to.
pub(super) fn checked_presession(
    state: &AppState,
    parts: &Parts,
    sent: &str,
) -> Result<SessionId, ConsoleError> {
    if extract::cross_site(parts) {
        return Err(ConsoleError::Csrf);
    }
    let id = state
        .sealer
        .read(Kind::Presession, &parts.headers)
        .and_then(|value| state.sealer.open(Kind::Presession, value))
        .ok_or(ConsoleError::Csrf)?;
    if !csrf_matches(&presession_csrf(state, &id), sent) {
        return Err(ConsoleError::Csrf);
    }
    Ok(id)
}

async fn sign_in(State(state): State<AppState>, parts: Parts, body: Body) -> PageResult {
    let body = extract::form_bytes(body).await?;
    let input: SignInForm = parse_form(&body)?;
    let id = checked_presession(&state, &parts, &input.csrf)?;
    let caller = Caller::anonymous(&state.channels, &extract::browser(&parts, &state));
    let request = LoginRequest {
        login: input.login.trim().to_owned(),
        password: input.password,
        device_label: DEVICE_LABEL.to_owned(),
    };
    match caller.auth().login(request).await {
        Ok(response) => Ok(signed_in(&state, id, response.into_inner(), &caller).await),
        Err(status) => {
            let feedback = Feedback::from_status(&status);
            let code = crate::error::http_status(&status);
            Ok((
                code,
                sign_in_page(&state, &id, &input.login, &feedback, None),
            )
                .into_response())
        }
    }
}

/// A `Login` or `CompleteLogin` answer: a session, or the second-factor form.
async fn signed_in(
    state: &AppState,
    id: SessionId,
    response: LoginResponse,
    caller: &Caller,
) -> Response {
    if let Some(pair) = response.tokens {
        state.sessions.forget_pending(&id);
        let user_id = response.user.as_ref().map_or("", |u| u.id.as_str());
        let refresh_token = pair.refresh_token.clone();
        let Ok(session) = state.sessions.insert(pair, user_id) else {
            // Every slot is held by someone active: end the session auth just opened rather
            // than leave it orphaned, and say so.
            let request = LogoutRequest { refresh_token };
            if let Err(status) = caller.auth().logout(request).await {
                tracing::debug!(code = ?status.code(), "logout of an unkept session refused");
            }
            let page = sign_in_page(
                state,
                &id,
                "",
                &Feedback::message("The console is at capacity. Try again in a few minutes."),
                None,
            );
            return (http::StatusCode::SERVICE_UNAVAILABLE, page).into_response();
        };
        let mut reply = Redirect::to("/").into_response();
        let headers = reply.headers_mut();
        for value in [
            state.sealer.set(Kind::Session, session.id()),
            state.sealer.clear(Kind::Presession),
        ] {
            if let Ok(value) = value.parse() {
                headers.append(SET_COOKIE, value);
            }
        }
        return reply;
    }
    if !response.mfa_challenge.is_empty() {
        state.sessions.hold_pending(id, response.mfa_challenge);
        return code_page(state, &id, &Feedback::default()).into_response();
    }
    ConsoleError::Internal("Login returned neither tokens nor a challenge".into()).into_response()
}

async fn second_factor(State(state): State<AppState>, parts: Parts, body: Body) -> PageResult {
    let body = extract::form_bytes(body).await?;
    let input: CodeForm = parse_form(&body)?;
    let id = checked_presession(&state, &parts, &input.csrf)?;
    let Some(pending) = state.sessions.pending(&id) else {
        return Ok(Redirect::to("/login?ended=1").into_response());
    };
    let caller = Caller::anonymous(&state.channels, &extract::browser(&parts, &state));
    let request = CompleteLoginRequest {
        challenge: pending.challenge,
        code: input.code.trim().to_owned(),
    };
    match caller.auth().complete_login(request).await {
        Ok(response) => Ok(signed_in(&state, id, response.into_inner(), &caller).await),
        Err(status) => {
            let feedback = Feedback::from_status(&status);
            if crate::feedback::reason(&status).as_deref() == Some("INVALID_MFA_CHALLENGE") {
                state.sessions.forget_pending(&id);
                let page = sign_in_page(&state, &id, "", &feedback, None);
                return Ok((crate::error::http_status(&status), page).into_response());
            }
            Ok((
                crate::error::http_status(&status),
                code_page(&state, &id, &feedback),
            )
                .into_response())
        }
    }
}

#[derive(Debug, Deserialize)]
struct Nothing {}

async fn sign_out(
    State(state): State<AppState>,
    parts: Parts,
    CsrfForm(_): CsrfForm<Nothing>,
) -> Response {
    if let Some(session) = extract::session_of(&parts, &state) {
        state.sessions.remove(session.id());
        let caller = Caller::anonymous(&state.channels, &extract::browser(&parts, &state));
        let request = LogoutRequest {
            refresh_token: session.refresh_token().await,
        };
        if let Err(status) = caller.auth().logout(request).await {
            tracing::debug!(code = ?status.code(), "logout refused; the session had ended");
        }
    }
    (
        [(SET_COOKIE, state.sealer.clear(Kind::Session))],
        Redirect::to("/login?signed_out=1"),
    )
        .into_response()
}
