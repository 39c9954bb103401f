//! Reading one field of a record as what its column holds: a name, a number, a local time;
//! each failure names the field's line and column.

use jiff::civil::DateTime;

use super::numbers::Decimal;
use super::reader::{Malformed, Record};
use crate::domain::values::{MAX_NAME_CHARS, MAX_SET_NOTES_CHARS, MAX_TEXT_CHARS};

/// Longest workout notes, in characters.
pub const WORKOUT_NOTES_CHARS: usize = MAX_TEXT_CHARS;
/// Longest entry or set notes, in characters.
pub const SHORT_NOTES_CHARS: usize = MAX_SET_NOTES_CHARS;

/// The index of the column named `name` (compared case-insensitively, spaces trimmed).
pub fn find(headers: &[String], name: &str) -> Option<usize> {
    headers
        .iter()
        .position(|h| h.trim().eq_ignore_ascii_case(name))
}

/// The text of optional column `column` (empty when the file has no such column).
pub fn raw<'a>(record: &Record<'a>, column: Option<usize>) -> &'a str {
    column.map_or("", |c| record.field(c))
}

/// A title or an exercise name: 1–255 characters, not blank; kept as written, trimmed.
pub fn name<'a>(record: &Record<'a>, column: usize) -> Result<&'a str, Malformed> {
    let text = record.field(column).trim();
    if text.is_empty() {
        return Err(Malformed::field(record, column, "required"));
    }
    if text.chars().count() > MAX_NAME_CHARS {
        return Err(Malformed::field(
            record,
            column,
            format!("at most {MAX_NAME_CHARS} characters"),
        ));
    }
    Ok(text)
}

/// Free text of at most `max` characters, trimmed.
pub fn text<'a>(
    record: &Record<'a>,
    column: Option<usize>,
    max: usize,
) -> Result<&'a str, Malformed> {
    let text = raw(record, column).trim();
    match column {
        Some(c) if text.chars().count() > max => Err(Malformed::field(
            record,
            c,
            format!("at most {max} characters"),
        )),
        _ => Ok(text),
    }
}

/// A number, or `None` for an empty field (or a column the file lacks).
pub fn number(record: &Record<'_>, column: Option<usize>) -> Result<Option<Decimal>, Malformed> {
    let Some(c) = column else {
        return Ok(None);
    };
    let text = record.field(c).trim();
    if text.is_empty() {
        return Ok(None);
    }
    Decimal::parse(text)
        .map(Some)
        .ok_or_else(|| Malformed::field(record, c, format!("not a number: {}", quoted(text))))
}

/// A local date and time in one of `formats` (strftime), shown as `example` when it fails.
pub fn local_time(
    record: &Record<'_>,
    column: usize,
    formats: &[&str],
    example: &str,
) -> Result<DateTime, Malformed> {
    let text = record.field(column).trim();
    formats
        .iter()
        .find_map(|format| DateTime::strptime(format, text).ok())
        .ok_or_else(|| {
            Malformed::field(
                record,
                column,
                format!("not a date and time like \"{example}\": {}", quoted(text)),
            )
        })
}

/// `text` quoted for a message, cut to 40 characters.
pub fn quoted(text: &str) -> String {
    let cut: String = text.chars().take(40).collect();
    if cut.len() < text.len() {
        format!("\"{cut}…\"")
    } else {
        format!("\"{cut}\"")
    }
}
