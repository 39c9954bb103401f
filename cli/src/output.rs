//! What client commands print: human tables and key/value blocks by default, the canonical
//! proto3 JSON mapping of the response with `--json` (the same shape grpcurl prints, so
//! scripts can switch between the two).
//!
//! Rendering returns strings (unit-tested); [`Output`] is the one place that writes stdout.
#![allow(clippy::print_stdout)] // Printing results is the CLI's job; this module is where it happens.

use std::sync::OnceLock;

use prost::Message;
use prost_reflect::{DescriptorPool, DynamicMessage, SerializeOptions};

use crate::error::Failure;

/// Where results go, and in which form.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    /// `--json`: print the response message as proto3 JSON instead of a table.
    pub json: bool,
}

impl Output {
    /// Prints `message` (a `full_name` proto message) as JSON, or `human()` as text.
    pub fn show<M: Message>(
        &self,
        message: &M,
        full_name: &str,
        human: impl FnOnce() -> String,
    ) -> Result<(), Failure> {
        if self.json {
            println!("{}", proto_json(message, full_name)?);
        } else {
            print_block(&human());
        }
        Ok(())
    }

    /// Prints a confirmation: `{}` (an empty message) in JSON, the sentence otherwise.
    pub fn done(&self, sentence: &str) {
        if self.json {
            println!("{{}}");
        } else {
            println!("{sentence}");
        }
    }

    /// Prints a JSON value as is (`--json`), or `human` as text.
    pub fn value(&self, value: &serde_json::Value, human: &str) -> Result<(), Failure> {
        if self.json {
            let text = serde_json::to_string_pretty(value)
                .map_err(|e| Failure::Other(format!("cannot render JSON: {e}")))?;
            println!("{text}");
        } else {
            print_block(human);
        }
        Ok(())
    }
}

/// Prints a plain line on stdout (for output whose form does not depend on `--json`, such as
/// the id printed by `create --quiet`).
pub fn line(text: &str) {
    println!("{text}");
}

/// Writes raw bytes on stdout (a streamed CSV export), as they come.
pub fn bytes(data: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(data)?;
    stdout.flush()
}

fn print_block(text: &str) {
    if text.ends_with('\n') {
        print!("{text}");
    } else {
        println!("{text}");
    }
}

/// Every Stride message and its imports, decoded once from the descriptor set.
fn pool() -> Result<&'static DescriptorPool, Failure> {
    static POOL: OnceLock<Result<DescriptorPool, String>> = OnceLock::new();
    POOL.get_or_init(|| {
        DescriptorPool::decode(shared::FILE_DESCRIPTOR_SET).map_err(|e| e.to_string())
    })
    .as_ref()
    .map_err(|e| Failure::Other(format!("cannot read the built-in descriptor set: {e}")))
}

/// `message` in the canonical proto3 JSON mapping (lowerCamelCase names, RFC 3339 timestamps,
/// enum names, default values omitted), pretty-printed.
pub fn proto_json<M: Message>(message: &M, full_name: &str) -> Result<String, Failure> {
    let descriptor = pool()?
        .get_message_by_name(full_name)
        .ok_or_else(|| Failure::Other(format!("unknown message type {full_name}")))?;
    let dynamic = DynamicMessage::decode(descriptor, message.encode_to_vec().as_slice())
        .map_err(|e| Failure::Other(format!("cannot render {full_name}: {e}")))?;
    let mut buffer = Vec::new();
    let mut serializer = serde_json::Serializer::pretty(&mut buffer);
    dynamic
        .serialize_with_options(&mut serializer, &SerializeOptions::new())
        .map_err(|e| Failure::Other(format!("cannot render {full_name}: {e}")))?;
    String::from_utf8(buffer).map_err(|e| Failure::Other(format!("cannot render JSON: {e}")))
}

/// A table: a header row and aligned columns separated by two spaces. Trailing spaces are
/// trimmed; an empty table says so instead of printing a lone header.
pub fn table(headers: &[&str], rows: &[Vec<String>], empty: &str) -> String {
    if rows.is_empty() {
        return format!("{empty}\n");
    }
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(width) = widths.get_mut(i) {
                *width = (*width).max(cell.chars().count());
            }
        }
    }
    let mut out = String::new();
    let header: Vec<String> = headers.iter().map(|h| (*h).to_owned()).collect();
    for row in std::iter::once(&header).chain(rows) {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            let width = widths.get(i).copied().unwrap_or(0);
            line.push_str(cell);
            if i + 1 < row.len() {
                let pad = width.saturating_sub(cell.chars().count()) + 2;
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Aligned `key  value` lines; pairs with an empty value are left out.
pub fn fields(pairs: &[(&str, String)]) -> String {
    let width = pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for (key, value) in pairs.iter().filter(|(_, v)| !v.is_empty()) {
        let pad = width - key.chars().count() + 2;
        out.push_str(key);
        out.extend(std::iter::repeat_n(' ', pad));
        out.push_str(value);
        out.push('\n');
    }
    out
}

/// A timestamp as `YYYY-MM-DD HH:MM:SSZ` (UTC); empty when unset.
pub fn timestamp(ts: Option<&prost_types::Timestamp>) -> String {
    let Some(ts) = ts else {
        return String::new();
    };
    let Ok(at) = time::OffsetDateTime::from_unix_timestamp(ts.seconds) else {
        return format!("@{}", ts.seconds);
    };
    let format =
        time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]Z");
    at.format(&format)
        .unwrap_or_else(|_| format!("@{}", ts.seconds))
}

/// An enum value's name without its type prefix, lower case: `WORKOUT_TYPE_CARDIO` → `cardio`.
pub fn enum_label(name: &str, prefix: &str) -> String {
    name.strip_prefix(prefix)
        .unwrap_or(name)
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use shared::pb::fitness::v1::{Workout, WorkoutType};

    use super::*;

    #[test]
    fn a_table_aligns_columns_on_the_widest_cell() {
        let text = table(
            &["ID", "TITLE", "MIN"],
            &[
                vec!["1".into(), "Leg day".into(), "45".into()],
                vec!["22".into(), "Run".into(), "".into()],
            ],
            "no rows",
        );
        assert_eq!(text, "ID  TITLE    MIN\n1   Leg day  45\n22  Run\n");
    }

    #[test]
    fn a_table_counts_characters_not_bytes() {
        let text = table(
            &["NAME", "X"],
            &[
                vec!["crème".into(), "1".into()],
                vec!["ab".into(), "2".into()],
            ],
            "",
        );
        assert_eq!(text, "NAME   X\ncrème  1\nab     2\n");
    }

    #[test]
    fn an_empty_table_says_so() {
        assert_eq!(table(&["ID"], &[], "no workouts"), "no workouts\n");
    }

    #[test]
    fn fields_align_and_skip_empty_values() {
        let text = fields(&[
            ("id", "w1".into()),
            ("notes", String::new()),
            ("title", "Leg day".into()),
        ]);
        assert_eq!(text, "id     w1\ntitle  Leg day\n");
    }

    #[test]
    fn json_is_the_canonical_proto3_mapping() {
        let workout = Workout {
            id: "w1".into(),
            title: "Leg day".into(),
            date: "2025-06-01".into(),
            workout_type: WorkoutType::Strength as i32,
            total_duration_minutes: 45,
            created_at: Some(prost_types::Timestamp {
                seconds: 1_748_779_200,
                nanos: 0,
            }),
            ..Workout::default()
        };
        let json: serde_json::Value =
            serde_json::from_str(&proto_json(&workout, "stride.fitness.v1.Workout").unwrap())
                .unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "id": "w1",
                "title": "Leg day",
                "date": "2025-06-01",
                "workoutType": "WORKOUT_TYPE_STRENGTH",
                "totalDurationMinutes": 45,
                "createdAt": "2025-06-01T12:00:00Z",
            })
        );
    }

    #[test]
    fn an_unknown_message_name_is_an_error_not_a_panic() {
        let workout = Workout::default();
        assert!(proto_json(&workout, "stride.fitness.v1.Nope").is_err());
    }

    #[test]
    fn timestamps_read_as_utc_and_enums_lose_their_prefix() {
        let ts = prost_types::Timestamp {
            seconds: 1_748_779_200,
            nanos: 5,
        };
        assert_eq!(timestamp(Some(&ts)), "2025-06-01 12:00:00Z");
        assert_eq!(timestamp(None), "");
        assert_eq!(enum_label("WORKOUT_TYPE_CARDIO", "WORKOUT_TYPE_"), "cardio");
    }
}
