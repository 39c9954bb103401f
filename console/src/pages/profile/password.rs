//! The password form (`POST /profile/password`): the current password, the new one twice, and
//! a second-factor code when the account has one. The API then revokes the user's other
//! sessions; this browser's stays.

use maud::{Markup, html};
use serde::Deserialize;
use shared::pb::auth::v1::ChangePasswordRequest;

use super::{Refused, done, local_error, placed, refused_page};
use crate::error::{ConsoleError, PageResult, http_status};
use crate::extract::{CsrfForm, SignedIn};
use crate::feedback::Feedback;
use crate::ui::{self, form};

/// Reasons of a refused change that concern one input: reason, field, message.
const PLACES: &[(&str, &str, &str)] = &[
    (
        "INVALID_CREDENTIALS",
        "current_password",
        "That is not your current password.",
    ),
    (
        "MFA_REQUIRED",
        "mfa_code",
        "Enter a code from your authenticator app.",
    ),
    ("INVALID_MFA_CODE", "mfa_code", "That code is not right."),
];

/// The password form as posted. Nothing of it is ever shown again.
#[derive(Deserialize)]
pub(super) struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
    #[serde(default)]
    mfa_code: String,
}

impl std::fmt::Debug for PasswordForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordForm { .. }")
    }
}

/// The request the form asks for, or the error of a repeated password that does not match.
fn request(form: PasswordForm) -> Result<ChangePasswordRequest, Feedback> {
    if form.new_password != form.confirm_password {
        return Err(local_error(
            "confirm_password",
            "Must be the same as the new password.",
        ));
    }
    Ok(ChangePasswordRequest {
        current_password: form.current_password,
        new_password: form.new_password,
        mfa_code: form.mfa_code.trim().to_owned(),
    })
}

/// `POST /profile/password`.
pub(super) async fn change(user: SignedIn, CsrfForm(form): CsrfForm<PasswordForm>) -> PageResult {
    let request = match request(form) {
        Ok(request) => request,
        Err(feedback) => {
            let refused = Refused::Password(feedback);
            return refused_page(&user, http::StatusCode::BAD_REQUEST, refused).await;
        }
    };
    let result = user
        .api
        .call(|c| {
            let request = request.clone();
            async move { c.users().change_password(request).await }
        })
        .await;
    match result {
        Ok(()) => Ok(done("password")),
        Err(ConsoleError::Rpc(status)) => {
            let refused = Refused::Password(placed(&status, PLACES));
            refused_page(&user, http_status(&status), refused).await
        }
        Err(other) => Err(other),
    }
}

/// The password form, with its errors when it was refused.
pub(super) fn section(user: &SignedIn, refused: &Refused) -> Markup {
    let none = Feedback::default();
    let feedback = match refused {
        Refused::Password(feedback) => feedback,
        _ => &none,
    };
    form_markup(user.csrf(), user.me.mfa_enabled, feedback)
}

/// The password form showing `feedback`.
fn form_markup(csrf: &str, mfa_enabled: bool, feedback: &Feedback) -> Markup {
    html! {
        section class="card" aria-labelledby="password-title" {
            h2 id="password-title" { "Change password" }
            p class="muted" { "Changing your password signs out every other session; this browser stays signed in." }
            (ui::notice(feedback))
            form id="password-form" method="post" action="/profile/password" class="stack" {
                (form::csrf(csrf))
                (form::input("current_password", "Current password", "password", "", feedback, "current_password"))
                (form::input("new_password", "New password", "password", "", feedback, "new_password"))
                (form::input("confirm_password", "New password again", "password", "", feedback, "confirm_password"))
                @if mfa_enabled {
                    (form::input("mfa_code", "Code from your authenticator app", "text", "", feedback, "mfa_code"))
                }
                div class="actions" {
                    button type="submit" class="primary" { "Change password" }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(new: &str, again: &str) -> PasswordForm {
        PasswordForm {
            current_password: "old words".into(),
            new_password: new.into(),
            confirm_password: again.into(),
            mfa_code: " 654321 ".into(),
        }
    }

    #[test]
    fn the_new_password_must_be_typed_twice_alike() {
        let feedback = request(form("new words", "new wordz")).expect_err("refused");
        assert!(feedback.for_field("confirm_password").is_some());
        let request = request(form("new words", "new words")).expect("sent");
        assert_eq!(request.new_password, "new words");
        assert_eq!(request.current_password, "old words");
        assert_eq!(request.mfa_code, "654321");
    }

    #[test]
    fn the_code_input_shows_only_with_a_second_factor() {
        let feedback = Feedback::default();
        assert!(
            !form_markup("c", false, &feedback)
                .into_string()
                .contains("f-mfa_code")
        );
        assert!(
            form_markup("c", true, &feedback)
                .into_string()
                .contains("f-mfa_code")
        );
    }

    #[test]
    fn errors_sit_beside_their_fields() {
        let feedback = Feedback::field("new_password", "Must be at least 12 characters.");
        let html = form_markup("c", false, &feedback).into_string();
        assert!(html.contains("id=\"f-new_password-error\">Must be at least 12 characters.<"));
    }
}
