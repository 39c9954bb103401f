//! The filters of the events page: parsed from the URL into what `ListSecurityEvents` takes,
//! and the GET form that sets them. Dates are whole UTC days: "from" is the start of its day,
//! "until" the end of its day (the API's `end_time` is exclusive).

use maud::{Markup, html};
use prost_types::Timestamp;
use shared::pb::auth::v1::SecurityEventType;
use time::macros::format_description;
use time::{Date, Time};

use super::EventQuery;
use super::kinds::{all_types, label, short_name, type_of};
use crate::feedback::Feedback;
use crate::ui::form;

/// Filters parsed into what the API takes.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Filters {
    pub(super) kind: i32,
    pub(super) user_id: String,
    pub(super) start_time: Option<Timestamp>,
    pub(super) end_time: Option<Timestamp>,
}

/// Parses the filters; every field that cannot be read gets an error, under the API's name
/// of the field so the form shows the API's own errors in the same places.
pub(super) fn parse(query: &EventQuery) -> Result<Filters, Feedback> {
    let mut errors = Feedback::default();
    let kind = match query.kind.trim() {
        "" => Some(SecurityEventType::Unspecified),
        raw => type_of(raw),
    };
    if kind.is_none() {
        errors
            .fields
            .insert("type".into(), "Choose an event type from the list.".into());
    }
    let start = day(&query.from);
    if start.is_err() {
        errors
            .fields
            .insert("start_time".into(), "Enter a date as YYYY-MM-DD.".into());
    }
    let end = day(&query.to);
    if end.is_err() {
        errors
            .fields
            .insert("end_time".into(), "Enter a date as YYYY-MM-DD.".into());
    }
    if let (Ok(Some(start)), Ok(Some(end))) = (start, end)
        && end < start
    {
        errors.fields.insert(
            "end_time".into(),
            "Must not be before the first day.".into(),
        );
    }
    match (kind, start, end) {
        (Some(kind), Ok(start), Ok(end)) if errors.fields.is_empty() => Ok(Filters {
            kind: kind as i32,
            user_id: query.user_id.trim().to_owned(),
            start_time: start.map(start_of),
            // The last day is included: the range ends when the next day starts.
            end_time: end.map(|d| start_of(d.next_day().unwrap_or(d))),
        }),
        _ => {
            errors.message = "Please correct the fields marked below.".into();
            Err(errors)
        }
    }
}

/// A date input: empty is no bound.
fn day(raw: &str) -> Result<Option<Date>, time::error::Parse> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    Date::parse(raw, format_description!("[year]-[month]-[day]")).map(Some)
}

/// Midnight UTC at the start of `day`.
fn start_of(day: Date) -> Timestamp {
    Timestamp {
        seconds: day.with_time(Time::MIDNIGHT).assume_utc().unix_timestamp(),
        nanos: 0,
    }
}

/// The GET form of the filters (`#event-filters`), with errors beside their fields.
pub(super) fn filter_form(query: &EventQuery, feedback: &Feedback) -> Markup {
    let mut types: Vec<(String, &str)> = vec![(String::new(), "Any event")];
    types.extend(all_types().map(|t| (short_name(t).to_owned(), label(t))));
    let options: Vec<(&str, &str)> = types.iter().map(|(v, t)| (v.as_str(), *t)).collect();
    let selected = type_of(&query.kind).map_or("", short_name);
    html! {
        form method="get" action="/admin/events" class="filters" id="event-filters" {
            (form::select("type", "Event", &options, selected, feedback, "type"))
            (form::input("user_id", "User id", "text", &query.user_id, feedback, "user_id"))
            (form::input("from", "From", "date", &query.from, feedback, "start_time"))
            (form::input("to", "Until (included)", "date", &query.to, feedback, "end_time"))
            div class="actions" {
                button type="submit" class="primary" { "Filter" }
                a href="/admin/events" { "Clear" }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(kind: &str, user_id: &str, from: &str, to: &str) -> EventQuery {
        EventQuery {
            kind: kind.into(),
            user_id: user_id.into(),
            from: from.into(),
            to: to.into(),
            page_token: String::new(),
        }
    }

    #[test]
    fn empty_filters_match_everything() {
        assert_eq!(parse(&EventQuery::default()), Ok(Filters::default()));
    }

    #[test]
    fn days_become_a_range_of_whole_utc_days() {
        let filters = parse(&query("", "", "2026-03-01", "2026-03-01")).unwrap();
        // 2026-03-01T00:00:00Z and the next midnight.
        assert_eq!(filters.start_time.map(|t| t.seconds), Some(1_772_323_200));
        assert_eq!(
            filters.end_time.map(|t| t.seconds),
            Some(1_772_323_200 + 86_400)
        );
    }

    #[test]
    fn types_are_named_without_their_prefix() {
        let filters = parse(&query("login_failed", "", "", "")).unwrap();
        assert_eq!(filters.kind, SecurityEventType::LoginFailed as i32);
        let err = parse(&query("SECURITY_EVENT_TYPE_LOGIN_FAILED", "", "", "")).unwrap_err();
        assert!(err.for_field("type").is_some());
        assert!(parse(&query("UNSPECIFIED", "", "", "")).is_err());
    }

    #[test]
    fn unreadable_filters_are_marked_beside_their_fields() {
        let err = parse(&query("NOPE", "", "yesterday", "2026-02-30")).unwrap_err();
        assert!(err.for_field("type").is_some());
        assert!(err.for_field("start_time").is_some());
        assert!(err.for_field("end_time").is_some());
        assert_eq!(err.message, "Please correct the fields marked below.");
    }

    #[test]
    fn the_last_day_may_not_come_before_the_first() {
        let err = parse(&query("", "", "2026-03-02", "2026-03-01")).unwrap_err();
        assert_eq!(
            err.for_field("end_time"),
            Some("Must not be before the first day.")
        );
        assert!(parse(&query("", "", "2026-03-02", "2026-03-02")).is_ok());
    }

    #[test]
    fn the_pager_keeps_the_filters_but_not_the_page() {
        let mut q = query("LOGIN_FAILED", "", "2026-03-01", "");
        q.page_token = "abc".into();
        assert_eq!(q.query(), "type=LOGIN_FAILED&from=2026-03-01");
    }
}
