//! What every page is built from: the layout, form fields that show their errors, notices,
//! badges, times, pagination and charts. Everything goes through maud, which HTML-escapes every
//! value it is given, so text from users (a workout titled `<script>…`) renders as text.

pub(crate) mod charts;
pub(crate) mod form;
pub(crate) mod layout;
pub(crate) mod tree;

use maud::{Markup, html};
use prost_types::Timestamp;
use time::OffsetDateTime;
use time::macros::format_description;

use crate::feedback::Feedback;

/// The colour of a badge.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Tone {
    Good,
    Bad,
    Warn,
    Muted,
    Info,
}

impl Tone {
    fn class(self) -> &'static str {
        match self {
            Tone::Good => "badge good",
            Tone::Bad => "badge bad",
            Tone::Warn => "badge warn",
            Tone::Muted => "badge muted",
            Tone::Info => "badge info",
        }
    }
}

/// A small coloured label.
pub(crate) fn badge(text: &str, tone: Tone) -> Markup {
    html! { span class=(tone.class()) { (text) } }
}

/// The form-level message of a failed call, if any (fields show their own).
pub(crate) fn notice(feedback: &Feedback) -> Markup {
    html! {
        @if !feedback.message.is_empty() {
            div class="notice bad" role="alert" { (feedback.message) }
        }
    }
}

/// A success message after a redirect (`?done=…`, looked up in a fixed table by the page, so
/// no text from the URL is ever shown).
pub(crate) fn flash(message: Option<&str>) -> Markup {
    html! {
        @if let Some(message) = message {
            div class="notice good" role="status" { (message) }
        }
    }
}

/// A timestamp as "2026-12-07 14:03 UTC", or "—".
pub(crate) fn time(ts: Option<&Timestamp>) -> Markup {
    match ts.and_then(|t| OffsetDateTime::from_unix_timestamp(t.seconds).ok()) {
        Some(at) => {
            let shown = at
                .format(format_description!(
                    "[year]-[month]-[day] [hour]:[minute] UTC"
                ))
                .unwrap_or_default();
            let machine = at
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default();
            html! { time datetime=(machine) { (shown) } }
        }
        None => html! { span class="muted" { "—" } },
    }
}

/// A date as "7 December 2026", or "—".
pub(crate) fn date(ts: Option<&Timestamp>) -> Markup {
    match ts.and_then(|t| OffsetDateTime::from_unix_timestamp(t.seconds).ok()) {
        Some(at) => {
            let shown = at
                .format(format_description!(
                    "[day padding:none] [month repr:long] [year]"
                ))
                .unwrap_or_default();
            html! { time datetime=(at.date().to_string()) { (shown) } }
        }
        None => html! { span class="muted" { "—" } },
    }
}

/// "Next page" and "First page" links; `query` is the current filters, URL-encoded, without
/// the page token.
pub(crate) fn pager(path: &str, query: &str, next_page_token: &str, on_first_page: bool) -> Markup {
    let join = if query.is_empty() { "" } else { "&" };
    let next = format!(
        "{path}?{query}{join}page_token={}",
        percent_encoding::utf8_percent_encode(next_page_token, percent_encoding::NON_ALPHANUMERIC)
    );
    let first = if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    };
    html! {
        nav class="pager" aria-label="Pages" {
            @if !on_first_page { a href=(first) { "« First page" } }
            @if !next_page_token.is_empty() { a href=(next) rel="next" { "Next page »" } }
        }
    }
}

/// An empty-state panel.
pub(crate) fn empty(text: &str) -> Markup {
    html! { p class="empty" { (text) } }
}
