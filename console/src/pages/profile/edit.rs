//! The profile form (`POST /profile`): the fields `UpdateMe` allows, of which only the changed
//! ones are sent, named by the update mask. A new email address also sends the password (and a
//! second-factor code when the account has one), as the API asks.

use maud::{Markup, html};
use prost_types::FieldMask;
use serde::Deserialize;
use shared::pb::auth::v1::{Profile, UpdateMeRequest, User};

use super::{LANGUAGES, Refused, done, language_code, local_error, placed, refused_page};
use crate::error::{ConsoleError, PageResult, http_status};
use crate::extract::{CsrfForm, SignedIn};
use crate::feedback::Feedback;
use crate::ui::{self, form};

/// Reasons of a refused update that concern one input: reason, field, message.
const PLACES: &[(&str, &str, &str)] = &[
    (
        "PASSWORD_REQUIRED",
        "password",
        "Enter your password to change your email address.",
    ),
    (
        "INVALID_CREDENTIALS",
        "password",
        "That is not your password.",
    ),
    (
        "MFA_REQUIRED",
        "mfa_code",
        "Enter a code from your authenticator app to change your email address.",
    ),
    ("INVALID_MFA_CODE", "mfa_code", "That code is not right."),
    ("EMAIL_TAKEN", "user.email", "That email address is taken."),
];

/// The profile form as posted (every field is sent; only the changed ones are used).
#[derive(Default, Clone, Deserialize)]
pub(super) struct EditForm {
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: String,
    #[serde(default)]
    full_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    bio: String,
    #[serde(default)]
    birth_date: String,
    #[serde(default)]
    language: String,
    #[serde(default)]
    notes: String,
    /// The password, for an email change only. Never shown again.
    #[serde(default)]
    password: String,
    /// A second-factor code, for an email change only. Never shown again.
    #[serde(default)]
    email_mfa_code: String,
}

impl std::fmt::Debug for EditForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The password and the code are left out.
        f.debug_struct("EditForm")
            .field("first_name", &self.first_name)
            .field("last_name", &self.last_name)
            .field("full_name", &self.full_name)
            .field("email", &self.email)
            .field("birth_date", &self.birth_date)
            .field("language", &self.language)
            .finish_non_exhaustive()
    }
}

impl EditForm {
    /// The form filled with the user's current values.
    fn of(me: &User) -> Self {
        let profile = me.profile.clone().unwrap_or_default();
        Self {
            first_name: me.first_name.clone(),
            last_name: me.last_name.clone(),
            full_name: profile.full_name,
            email: me.email.clone(),
            bio: profile.bio,
            birth_date: profile.birth_date,
            language: language_code(profile.language).to_owned(),
            notes: profile.notes,
            password: String::new(),
            email_mfa_code: String::new(),
        }
    }
}

/// Text of a text area as the API keeps it: browsers send each line break as CR LF, and a
/// carriage return is a control character the API refuses.
fn lines(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n")
}

/// The update the form asks for, sending only what differs from `me`; `Ok(None)` when nothing
/// does. A language that is not one of the list is refused here.
fn update(me: &User, form: &EditForm) -> Result<Option<UpdateMeRequest>, Feedback> {
    let current = me.profile.clone().unwrap_or_default();
    let mut user = User::default();
    let mut profile = Profile::default();
    let mut paths: Vec<&str> = Vec::new();
    let mut change = |path: &'static str, new: String, old: &str, slot: &mut String| {
        if new != old {
            *slot = new;
            paths.push(path);
        }
    };
    change(
        "first_name",
        form.first_name.trim().to_owned(),
        &me.first_name,
        &mut user.first_name,
    );
    change(
        "last_name",
        form.last_name.trim().to_owned(),
        &me.last_name,
        &mut user.last_name,
    );
    change(
        "email",
        form.email.trim().to_owned(),
        &me.email,
        &mut user.email,
    );
    change(
        "profile.full_name",
        form.full_name.trim().to_owned(),
        &current.full_name,
        &mut profile.full_name,
    );
    change(
        "profile.bio",
        lines(&form.bio),
        &current.bio,
        &mut profile.bio,
    );
    change(
        "profile.birth_date",
        form.birth_date.trim().to_owned(),
        &current.birth_date,
        &mut profile.birth_date,
    );
    change(
        "profile.notes",
        lines(&form.notes),
        &current.notes,
        &mut profile.notes,
    );
    let language = form.language.trim();
    if !language.is_empty() {
        let (_, chosen, _) = LANGUAGES
            .iter()
            .find(|(code, _, _)| *code == language)
            .ok_or_else(|| {
                local_error("user.profile.language", "Choose a language from the list.")
            })?;
        if *chosen as i32 != current.language {
            profile.language = *chosen as i32;
            paths.push("profile.language");
        }
    }
    if paths.is_empty() {
        return Ok(None);
    }
    let email = paths.contains(&"email");
    user.profile = Some(profile);
    Ok(Some(UpdateMeRequest {
        user: Some(user),
        update_mask: Some(FieldMask {
            paths: paths.into_iter().map(str::to_owned).collect(),
        }),
        password: if email {
            form.password.clone()
        } else {
            String::new()
        },
        mfa_code: if email {
            form.email_mfa_code.trim().to_owned()
        } else {
            String::new()
        },
    }))
}

/// `POST /profile`.
pub(super) async fn save(user: SignedIn, CsrfForm(form): CsrfForm<EditForm>) -> PageResult {
    let request = match update(&user.me, &form) {
        Ok(Some(request)) => request,
        Ok(None) => return Ok(done("unchanged")),
        Err(feedback) => {
            let refused = Refused::Edit(Box::new(form), feedback);
            return refused_page(&user, http::StatusCode::BAD_REQUEST, refused).await;
        }
    };
    let asks_email = request
        .update_mask
        .as_ref()
        .is_some_and(|mask| mask.paths.iter().any(|p| p == "email"));
    let result = user
        .api
        .call(|c| {
            let request = request.clone();
            async move { c.users().update_me(request).await }
        })
        .await;
    match result {
        Ok(updated) if asks_email && !updated.pending_email.is_empty() => Ok(done("email")),
        Ok(_) => Ok(done("profile")),
        Err(ConsoleError::Rpc(status)) => {
            let refused = Refused::Edit(Box::new(form), placed(&status, PLACES));
            refused_page(&user, http_status(&status), refused).await
        }
        Err(other) => Err(other),
    }
}

/// The profile form, with what was typed and its errors when it was refused.
pub(super) fn section(user: &SignedIn, refused: &Refused) -> Markup {
    match refused {
        Refused::Edit(form, feedback) => form_markup(&user.me, user.csrf(), form, feedback),
        _ => form_markup(
            &user.me,
            user.csrf(),
            &EditForm::of(&user.me),
            &Feedback::default(),
        ),
    }
}

/// The profile form showing `values` and `feedback`.
fn form_markup(me: &User, csrf: &str, values: &EditForm, feedback: &Feedback) -> Markup {
    let mut languages: Vec<(&str, &str)> = LANGUAGES
        .iter()
        .map(|(code, _, name)| (*code, *name))
        .collect();
    if values.language.is_empty() {
        languages.insert(0, ("", "Not set"));
    }
    html! {
        section class="card" aria-labelledby="edit-title" {
            h2 id="edit-title" { "Edit profile" }
            (ui::notice(feedback))
            form id="profile-form" method="post" action="/profile" class="stack" {
                (form::csrf(csrf))
                div class="grid" {
                    (form::input("first_name", "First name", "text", &values.first_name, feedback, "user.first_name"))
                    (form::input("last_name", "Last name", "text", &values.last_name, feedback, "user.last_name"))
                }
                (form::input("full_name", "Display name", "text", &values.full_name, feedback, "user.profile.full_name"))
                small class="muted" { "Leave the display name empty to show your first and last name." }
                (form::input("email", "Email", "email", &values.email, feedback, "user.email"))
                @if !me.pending_email.is_empty() {
                    small class="muted" { "Waiting for verification: " (me.pending_email) }
                }
                div class="grid" {
                    (form::input("birth_date", "Birth date", "date", &values.birth_date, feedback, "user.profile.birth_date"))
                    (form::select("language", "Language", &languages, &values.language, feedback, "user.profile.language"))
                }
                (form::textarea("bio", "Bio", &values.bio, feedback, "user.profile.bio"))
                (form::textarea("notes", "Private notes (only you see them)", &values.notes, feedback, "user.profile.notes"))
                fieldset class="stack" {
                    legend { "Only to change your email address" }
                    (form::input("password", "Your password", "password", "", feedback, "password"))
                    @if me.mfa_enabled {
                        (form::input("email_mfa_code", "Code from your authenticator app", "text", "", feedback, "mfa_code"))
                    }
                }
                div class="actions" {
                    button type="submit" class="primary" { "Save profile" }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use shared::pb::auth::v1::Language;

    use super::*;

    fn me() -> User {
        User {
            username: "ada".into(),
            email: "ada@example.com".into(),
            first_name: "Ada".into(),
            last_name: "Lovelace".into(),
            profile: Some(Profile {
                full_name: "Ada Lovelace".into(),
                bio: "Line one\nLine two".into(),
                language: Language::En as i32,
                ..Profile::default()
            }),
            ..User::default()
        }
    }

    fn paths(request: &UpdateMeRequest) -> Vec<&str> {
        request
            .update_mask
            .as_ref()
            .map(|mask| mask.paths.iter().map(String::as_str).collect())
            .unwrap_or_default()
    }

    #[test]
    fn an_untouched_form_changes_nothing() {
        let me = me();
        let mut form = EditForm::of(&me);
        // What a browser sends back for the unchanged text area.
        form.bio = "Line one\r\nLine two".into();
        form.password = "typed anyway".into();
        assert!(matches!(update(&me, &form), Ok(None)));
    }

    #[test]
    fn only_the_changed_fields_are_sent_and_named_in_the_mask() {
        let me = me();
        let mut form = EditForm::of(&me);
        form.full_name = "  Countess of Lovelace ".into();
        form.bio = "New\r\nbio".into();
        form.language = "fr".into();
        form.password = "not for this".into();
        let request = update(&me, &form).ok().flatten().expect("a change");
        assert_eq!(
            paths(&request),
            ["profile.full_name", "profile.bio", "profile.language"]
        );
        let user = request.user.expect("user");
        let profile = user.profile.expect("profile");
        assert_eq!(profile.full_name, "Countess of Lovelace");
        assert_eq!(profile.bio, "New\nbio");
        assert_eq!(profile.language, Language::Fr as i32);
        assert_eq!(user.first_name, "");
        assert!(
            request.password.is_empty(),
            "the password goes only with an email change"
        );
    }

    #[test]
    fn clearing_a_field_is_a_change() {
        let me = me();
        let mut form = EditForm::of(&me);
        form.full_name = String::new();
        form.last_name = " ".into();
        let request = update(&me, &form).ok().flatten().expect("a change");
        assert_eq!(paths(&request), ["last_name", "profile.full_name"]);
    }

    #[test]
    fn an_email_change_carries_the_password_and_code() {
        let me = me();
        let mut form = EditForm::of(&me);
        form.email = "ada@analytical.example".into();
        form.password = "secret words".into();
        form.email_mfa_code = " 123456 ".into();
        let request = update(&me, &form).ok().flatten().expect("a change");
        assert_eq!(paths(&request), ["email"]);
        assert_eq!(request.password, "secret words");
        assert_eq!(request.mfa_code, "123456");
        assert_eq!(
            request.user.map(|u| u.email).as_deref(),
            Some("ada@analytical.example")
        );
    }

    #[test]
    fn an_unknown_language_is_refused_beside_its_field() {
        let me = me();
        let mut form = EditForm::of(&me);
        form.language = "tlh".into();
        let feedback = update(&me, &form).expect_err("refused");
        assert!(feedback.for_field("user.profile.language").is_some());
    }

    #[test]
    fn a_refused_form_keeps_what_was_typed_but_never_the_password() {
        let me = me();
        let mut form = EditForm::of(&me);
        form.first_name = "<b>Ada</b>".into();
        form.password = "secret words".into();
        let feedback = Feedback::field("user.first_name", "Must be at most 100 characters.");
        let html = render_refused(&me, form, feedback);
        assert!(html.contains("value=\"&lt;b&gt;Ada&lt;/b&gt;\""));
        assert!(html.contains("Must be at most 100 characters."));
        assert!(!html.contains("secret words"));
    }

    /// The form markup for a refusal, outside any request.
    fn render_refused(me: &User, form: EditForm, feedback: Feedback) -> String {
        form_markup(me, "csrf", &form, &feedback).into_string()
    }
}
