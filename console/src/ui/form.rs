//! Form controls with their labels and errors, and the hidden CSRF field every POST carries.

use maud::{Markup, html};

use crate::feedback::Feedback;

/// Name of the hidden field holding the session's CSRF token.
pub(crate) const CSRF_FIELD: &str = "_csrf";

/// The hidden CSRF field.
pub(crate) fn csrf(token: &str) -> Markup {
    html! { input type="hidden" name=(CSRF_FIELD) value=(token); }
}

/// A labelled input; `field` is the API's field name, so the `BadRequest` violation of that
/// field is shown under it. `kind` is the input type ("text", "email", "password", "date",
/// "number", …).
pub(crate) fn input(
    name: &str,
    label: &str,
    kind: &str,
    value: &str,
    feedback: &Feedback,
    field: &str,
) -> Markup {
    let id = format!("f-{name}");
    let error = feedback.for_field(field);
    let error_id = format!("{id}-error");
    html! {
        div class={ "field" @if error.is_some() { " invalid" } } {
            label for=(id) { (label) }
            input id=(id) name=(name) type=(kind) value=(value)
                aria-invalid=[error.map(|_| "true")]
                aria-describedby=[error.map(|_| error_id.as_str())]
                autocomplete=[autocomplete(kind, name)];
            @if let Some(error) = error {
                p class="field-error" id=(error_id) { (error) }
            }
        }
    }
}

/// A labelled multi-line input.
pub(crate) fn textarea(
    name: &str,
    label: &str,
    value: &str,
    feedback: &Feedback,
    field: &str,
) -> Markup {
    let id = format!("f-{name}");
    let error = feedback.for_field(field);
    let error_id = format!("{id}-error");
    html! {
        div class={ "field" @if error.is_some() { " invalid" } } {
            label for=(id) { (label) }
            textarea id=(id) name=(name) rows="3"
                aria-invalid=[error.map(|_| "true")]
                aria-describedby=[error.map(|_| error_id.as_str())] { (value) }
            @if let Some(error) = error {
                p class="field-error" id=(error_id) { (error) }
            }
        }
    }
}

/// A labelled select of `(value, text)` options.
pub(crate) fn select(
    name: &str,
    label: &str,
    options: &[(&str, &str)],
    selected: &str,
    feedback: &Feedback,
    field: &str,
) -> Markup {
    let id = format!("f-{name}");
    let error = feedback.for_field(field);
    let error_id = format!("{id}-error");
    html! {
        div class={ "field" @if error.is_some() { " invalid" } } {
            label for=(id) { (label) }
            select id=(id) name=(name)
                aria-invalid=[error.map(|_| "true")]
                aria-describedby=[error.map(|_| error_id.as_str())] {
                @for (value, text) in options {
                    option value=(value) selected[*value == selected] { (text) }
                }
            }
            @if let Some(error) = error {
                p class="field-error" id=(error_id) { (error) }
            }
        }
    }
}

/// A form that POSTs to `action` with the CSRF field and one submit button: for actions like
/// "Revoke" that need no other input. `confirm` adds a confirmation step (console.js).
pub(crate) fn button_form(
    action: &str,
    csrf_token: &str,
    label: &str,
    class: &str,
    confirm: Option<&str>,
) -> Markup {
    html! {
        form method="post" action=(action) class="inline" data-confirm=[confirm] {
            (csrf(csrf_token))
            button type="submit" class=(class) { (label) }
        }
    }
}

fn autocomplete(kind: &str, name: &str) -> Option<&'static str> {
    match (kind, name) {
        ("password", "password") => Some("current-password"),
        ("password", "current_password") => Some("current-password"),
        ("password", _) => Some("new-password"),
        (_, "login") => Some("username"),
        (_, "email") => Some("email"),
        _ => None,
    }
}
