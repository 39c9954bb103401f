//! The Sessions page: every session of the signed-in user with its token tree, and the
//! revocations the user may make (one token, one session, every other session).
//!
//! The trees are fetched for the sessions of the current page only, a few at a time.

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use futures::StreamExt as _;
use maud::{Markup, html};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;
use shared::pb::auth::v1::{
    GetTokenTreeRequest, ListSessionsRequest, RevokeAllSessionsRequest, RevokeSessionRequest,
    RevokeTokenRequest, Session, SessionStatus, TokenTree,
};

use crate::app::AppState;
use crate::error::{ConsoleError, PageResult};
use crate::extract::{CsrfForm, SignedIn};
use crate::feedback::Feedback;
use crate::grpc::Api;
use crate::ui::layout::{self, Section};
use crate::ui::tree::{self, TreeActions};
use crate::ui::{self, Tone, badge, form};

/// Sessions per page.
const PAGE_SIZE: i32 = 10;
/// Token trees fetched at once.
const TREE_CONCURRENCY: usize = 4;
/// Longest session id or `jti` accepted from a form or a path (ids are UUIDs).
const MAX_ID_LEN: usize = 64;
/// Where "Revoke" of one token POSTs.
const REVOKE_TOKEN_ACTION: &str = "/sessions/tokens/revoke";
/// What may stay unescaped in a path segment: a UUID stays as it is, and dots are escaped so
/// no id reads as `..`.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_');

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/sessions", get(show))
        .route("/sessions/revoke-others", post(revoke_others))
        .route(REVOKE_TOKEN_ACTION, post(revoke_token))
        .route("/sessions/{id}/revoke", post(revoke_session))
}

/// The query of the page: a page token and the key of a success message.
#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    #[serde(default)]
    page_token: String,
    #[serde(default)]
    done: String,
}

/// The success message of `?done=<key>` (a fixed table: no text from the URL is shown).
fn done_message(key: &str) -> Option<&'static str> {
    Some(match key {
        "session" => "The session is revoked: it can no longer be used.",
        "others" => "Every other session is signed out.",
        "token" => "The token is revoked.",
        _ => return None,
    })
}

/// A session's tree, or why it could not be read.
enum Tree {
    Shown(TokenTree),
    Unavailable(String),
}

async fn show(user: SignedIn, query: Result<Query<ListQuery>, QueryRejection>) -> PageResult {
    let Query(query) = query.unwrap_or_default();
    let page_token = query.page_token;
    let request = ListSessionsRequest {
        page_size: PAGE_SIZE,
        page_token: page_token.clone(),
    };
    let listed = user
        .api
        .call(|c| {
            let request = request.clone();
            async move { c.sessions().list_sessions(request).await }
        })
        .await?;
    let trees = trees(&user, &listed.sessions).await?;
    let body = html! {
        (ui::flash(done_message(&query.done)))
        (intro(&user))
        @if listed.sessions.is_empty() {
            (ui::empty("No sessions on this page."))
        }
        @for (session, tree) in listed.sessions.iter().zip(&trees) {
            (session_card(&user, session, tree))
        }
        (ui::pager("/sessions", "", &listed.next_page_token, page_token.is_empty()))
    };
    let chrome = user.chrome(Section::Sessions);
    Ok(layout::page(&chrome, "Sessions", body).into_response())
}

/// The token trees of `sessions`, in order, [`TREE_CONCURRENCY`] at a time. A tree the service
/// refuses is shown as unavailable; a sign-out ends the page.
async fn trees(user: &SignedIn, sessions: &[Session]) -> Result<Vec<Tree>, ConsoleError> {
    // Futures do nothing until polled: `buffered` runs at most TREE_CONCURRENCY of them.
    let pending: Vec<_> = sessions
        .iter()
        .map(|session| tree_of(&user.api, session.id.clone()))
        .collect();
    let fetched: Vec<Result<TokenTree, ConsoleError>> = futures::stream::iter(pending)
        .buffered(TREE_CONCURRENCY)
        .collect()
        .await;
    fetched
        .into_iter()
        .map(|tree| match tree {
            Ok(tree) => Ok(Tree::Shown(tree)),
            Err(ConsoleError::Rpc(status)) => {
                tracing::debug!(code = ?status.code(), "token tree unavailable");
                Ok(Tree::Unavailable(Feedback::from_status(&status).message))
            }
            Err(other) => Err(other),
        })
        .collect()
}

/// The token tree of session `session_id`.
async fn tree_of(api: &Api, session_id: String) -> Result<TokenTree, ConsoleError> {
    let request = GetTokenTreeRequest { session_id };
    let response = api
        .call(|c| {
            let request = request.clone();
            async move { c.sessions().get_token_tree(request).await }
        })
        .await?;
    Ok(response.tree.unwrap_or_default())
}

/// What the page is about, and "sign out every other session" (a section, so the first card
/// keeps its distance: `section + section`).
fn intro(user: &SignedIn) -> Markup {
    html! {
        section class="stack" {
            p class="muted" {
                "Each sign-in opens a session. Its refresh token is exchanged for a new one at "
                "every refresh, and each refresh token issues short-lived access tokens. Revoke "
                "anything you do not recognise."
            }
            div class="actions" {
                (form::button_form(
                    "/sessions/revoke-others",
                    user.csrf(),
                    "Sign out every other session",
                    "danger",
                    Some("Sign out every session except this browser?"),
                ))
            }
        }
    }
}

/// The status of a session as the API sent it; unknown values read as unspecified.
fn session_status(session: &Session) -> SessionStatus {
    SessionStatus::try_from(session.status).unwrap_or(SessionStatus::Unspecified)
}

/// The coloured badge of a session status.
fn status_badge(status: SessionStatus) -> Markup {
    match status {
        SessionStatus::Active => badge("active", Tone::Good),
        SessionStatus::Revoked => badge("revoked", Tone::Bad),
        SessionStatus::Expired => badge("expired", Tone::Warn),
        SessionStatus::Unspecified => badge("unknown", Tone::Muted),
    }
}

/// The POST target revoking session `id`.
fn revoke_session_action(id: &str) -> String {
    format!("/sessions/{}/revoke", utf8_percent_encode(id, SEGMENT))
}

/// One session: its facts, its revoke button and its token tree.
fn session_card(user: &SignedIn, session: &Session, tree: &Tree) -> Markup {
    let status = session_status(session);
    let this_browser = session.id == user.api.session().auth_session_id;
    let heading = format!("session-{}-title", session.id);
    let label = if session.device_label.trim().is_empty() {
        "Unnamed device"
    } else {
        session.device_label.as_str()
    };
    let actions = TreeActions {
        csrf: user.csrf(),
        revoke_token_action: REVOKE_TOKEN_ACTION,
    };
    let (button, confirm) = if this_browser {
        (
            "Sign out this browser",
            "Revoke this browser's own session? You will be signed out.",
        )
    } else {
        (
            "Revoke session",
            "Revoke this session? Every token of it stops working.",
        )
    };
    html! {
        section class="card session stack" id=(format!("session-{}", session.id)) aria-labelledby=(heading) {
            h2 id=(heading) {
                (label) " " (status_badge(status))
                @if this_browser { " " (badge("This browser", Tone::Info)) }
            }
            dl class="facts" {
                dt { "IP address" } dd { (or_dash(&session.ip)) }
                dt { "Browser" } dd { (or_dash(&session.user_agent)) }
                dt { "Signed in" } dd { (ui::time(session.created_at.as_ref())) }
                dt { "Last refreshed" } dd { (ui::time(session.last_refreshed_at.as_ref())) }
                dt { "Expires" } dd { (ui::time(session.expires_at.as_ref())) }
            }
            @if status == SessionStatus::Active {
                div class="actions" {
                    (form::button_form(&revoke_session_action(&session.id), user.csrf(), button, "danger", Some(confirm)))
                }
            }
            details open[status == SessionStatus::Active] {
                summary { "Tokens" }
                @match tree {
                    Tree::Shown(tree) => (tree::token_tree(tree, Some(&actions))),
                    Tree::Unavailable(why) => p class="muted" { "The tokens cannot be shown: " (why) },
                }
            }
        }
    }
}

/// `text`, or a muted dash when it is empty.
fn or_dash(text: &str) -> Markup {
    html! {
        @if text.trim().is_empty() { span class="muted" { "—" } } @else { (text) }
    }
}

/// An id from a path or a form, refused before any call when it cannot be one.
fn checked_id(id: &str) -> Result<&str, ConsoleError> {
    let id = id.trim();
    if id.is_empty() || id.len() > MAX_ID_LEN {
        return Err(ConsoleError::NotFound);
    }
    Ok(id)
}

/// The form of the revoke buttons that send nothing else.
#[derive(Debug, Deserialize)]
struct Nothing {}

/// The form revoking one token.
#[derive(Debug, Deserialize)]
struct TokenForm {
    #[serde(default)]
    jti: String,
}

async fn revoke_session(
    State(state): State<AppState>,
    user: SignedIn,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<Nothing>,
) -> PageResult {
    let request = RevokeSessionRequest {
        session_id: checked_id(&id)?.to_owned(),
    };
    user.api
        .call(|c| {
            let request = request.clone();
            async move { c.sessions().revoke_session(request).await }
        })
        .await?;
    let session = user.api.session();
    if request.session_id == session.auth_session_id {
        // This browser's own session: sign it out now rather than at its next request.
        session.end();
        state.sessions.remove(session.id());
        return Err(ConsoleError::SignedOut);
    }
    Ok(Redirect::to("/sessions?done=session").into_response())
}

async fn revoke_token(user: SignedIn, CsrfForm(form): CsrfForm<TokenForm>) -> PageResult {
    let request = RevokeTokenRequest {
        jti: checked_id(&form.jti)?.to_owned(),
    };
    user.api
        .call(|c| {
            let request = request.clone();
            async move { c.sessions().revoke_token(request).await }
        })
        .await?;
    Ok(Redirect::to("/sessions?done=token").into_response())
}

async fn revoke_others(user: SignedIn, CsrfForm(_): CsrfForm<Nothing>) -> PageResult {
    let response = user
        .api
        .call(|c| async move {
            c.sessions()
                .revoke_all_sessions(RevokeAllSessionsRequest { keep_current: true })
                .await
        })
        .await?;
    tracing::debug!(revoked = response.revoked_count, "other sessions revoked");
    Ok(Redirect::to("/sessions?done=others").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_known_keys_give_a_message() {
        assert!(done_message("session").is_some());
        assert!(done_message("others").is_some());
        assert!(done_message("token").is_some());
        assert_eq!(done_message("<script>alert(1)</script>"), None);
        assert_eq!(done_message(""), None);
    }

    #[test]
    fn a_session_id_stays_readable_in_its_action_and_anything_else_is_escaped() {
        assert_eq!(
            revoke_session_action("0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"),
            "/sessions/0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b/revoke"
        );
        assert_eq!(
            revoke_session_action("../admin?x=1"),
            "/sessions/%2E%2E%2Fadmin%3Fx%3D1/revoke"
        );
    }

    #[test]
    fn ids_that_cannot_be_ids_are_refused_before_any_call() {
        assert!(checked_id("").is_err());
        assert!(checked_id("   ").is_err());
        assert!(checked_id(&"a".repeat(65)).is_err());
        assert_eq!(
            checked_id(" 0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b ").ok(),
            Some("0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b")
        );
    }
}
