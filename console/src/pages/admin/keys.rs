//! Signing keys (admins): the key ring auth signs tokens with, newest first, and a button that
//! rotates it. A retired key stays in the JWKS until the last token it signed expires, so
//! services keep accepting those tokens.

use axum::Router;
use axum::extract::Query;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use maud::{Markup, html};
use serde::Deserialize;
use shared::pb::auth::v1::{ListSigningKeysRequest, RotateSigningKeyRequest, SigningKey};

use crate::app::AppState;
use crate::error::{ConsoleError, PageResult, http_status};
use crate::extract::{Admin, CsrfForm, SignedIn};
use crate::feedback::Feedback;
use crate::ui::layout::{self, Section};
use crate::ui::{self, Tone, form};

/// `GET /admin/keys` and `POST /admin/keys/rotate`.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/keys", get(show))
        .route("/admin/keys/rotate", post(rotate))
}

#[derive(Debug, Default, Deserialize)]
struct Done {
    #[serde(default)]
    done: String,
}

/// The message of a `?done=` key.
fn done_message(key: &str) -> Option<&'static str> {
    match key {
        "rotated" => Some(
            "A new signing key is active. The previous one stays in the JWKS until its tokens expire.",
        ),
        _ => None,
    }
}

/// The key ring, newest first.
async fn ring(user: &SignedIn) -> Result<Vec<SigningKey>, ConsoleError> {
    let keys = user
        .api
        .call(|c| async move { c.admin().list_signing_keys(ListSigningKeysRequest {}).await })
        .await?;
    Ok(keys.keys)
}

/// `GET /admin/keys`.
async fn show(Admin(user): Admin, Query(done): Query<Done>) -> PageResult {
    let keys = ring(&user).await?;
    let markup = page(&user, &keys, done_message(&done.done), &Feedback::default());
    Ok(markup.into_response())
}

#[derive(Debug, Deserialize)]
struct Nothing {}

/// `POST /admin/keys/rotate`: rotates, or shows the page again with the refusal.
async fn rotate(Admin(user): Admin, CsrfForm(_): CsrfForm<Nothing>) -> PageResult {
    let rotated = user
        .api
        .call(|c| async move {
            c.admin()
                .rotate_signing_key(RotateSigningKeyRequest {})
                .await
        })
        .await;
    match rotated {
        Ok(_) => Ok(Redirect::to("/admin/keys?done=rotated").into_response()),
        Err(ConsoleError::Rpc(status)) => {
            let keys = ring(&user).await?;
            let markup = page(&user, &keys, None, &Feedback::from_status(&status));
            Ok((http_status(&status), markup).into_response())
        }
        Err(other) => Err(other),
    }
}

/// The keys page.
fn page(user: &SignedIn, keys: &[SigningKey], flash: Option<&str>, feedback: &Feedback) -> Markup {
    let body = html! {
        (ui::flash(flash))
        (ui::notice(feedback))
        p class="muted" {
            "Auth signs every token with the active key. Rotating makes a new key active at once; "
            "the retired key is still published until the last token it signed has expired."
        }
        div class="stack" {
            (ring_table(keys))
            div class="actions" id="rotate" {
                (form::button_form(
                    "/admin/keys/rotate",
                    user.csrf(),
                    "Rotate the signing key",
                    "danger",
                    Some("Rotate the signing key? New tokens will be signed with a new key."),
                ))
            }
        }
    };
    layout::page(&user.chrome(Section::Keys), "Signing keys", body)
}

/// The key ring as a table (`#keys`).
fn ring_table(keys: &[SigningKey]) -> Markup {
    html! {
        @if keys.is_empty() {
            (ui::empty("No signing keys."))
        } @else {
            div class="table-wrap" {
                table id="keys" {
                    thead {
                        tr {
                            th scope="col" { "Key id" }
                            th scope="col" { "Status" }
                            th scope="col" { "Created" }
                            th scope="col" { "Retired" }
                            th scope="col" { "In JWKS until" }
                        }
                    }
                    tbody {
                        @for key in keys {
                            tr {
                                td { code { (key.kid) } }
                                td {
                                    @if key.active { (ui::badge("active", Tone::Good)) }
                                    @else { (ui::badge("retired", Tone::Muted)) }
                                }
                                td { (ui::time(key.created_at.as_ref())) }
                                td { (ui::time(key.retired_at.as_ref())) }
                                td {
                                    @if key.active { span class="muted" { "while active" } }
                                    @else { (ui::time(key.expires_at.as_ref())) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_known_outcomes_are_announced() {
        assert!(done_message("rotated").is_some());
        assert_eq!(done_message("<script>"), None);
    }
}
