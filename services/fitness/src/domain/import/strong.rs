//! Strong's "Export workout data" CSV: one row per set (and per rest timer), the workout
//! repeated on each.
//!
//! `Date` is the local start ("2024-03-26 08:12:45"), `Duration` the workout's length ("1h
//! 5m", "45m", "50s"), `Set Order` the set's number, or W, D or F for a warm-up, drop or
//! failure set, or "Rest Timer" for a rest (skipped). `Weight` is in the unit the app was set
//! to, which the file does not say: the import's `weight_unit` (kilograms by default). The
//! file does not name the distance unit either: `Distance` is read as kilometres, or as
//! miles when the import's `weight_unit` is pounds (the app's imperial setting).

use jiff::SignedDuration;

use super::Options;
use super::fields::{self, SHORT_NOTES_CHARS, WORKOUT_NOTES_CHARS};
use super::numbers::strong_duration;
use super::reader::{Malformed, Record};
use super::sets::{self, Raw};
use super::upload::{Head, Line};
use crate::domain::training::{SetType, WeightUnit};

/// Where each of Strong's columns is.
#[derive(Debug, Clone)]
pub struct Columns {
    date: usize,
    title: usize,
    duration: Option<usize>,
    exercise: usize,
    set_order: usize,
    weight: usize,
    reps: usize,
    distance: Option<usize>,
    seconds: Option<usize>,
    notes: Option<usize>,
    workout_notes: Option<usize>,
    rpe: Option<usize>,
}

impl Columns {
    /// The columns of the header `headers` (at `line`); every required one missing is named.
    pub fn new(headers: &[String], line: u64) -> Result<Self, Malformed> {
        let mut missing = Vec::new();
        let mut required = |name: &'static str| {
            fields::find(headers, name).unwrap_or_else(|| {
                missing.push(name);
                0
            })
        };
        let columns = Self {
            date: required("Date"),
            title: required("Workout Name"),
            exercise: required("Exercise Name"),
            set_order: required("Set Order"),
            weight: required("Weight"),
            reps: required("Reps"),
            duration: fields::find(headers, "Duration"),
            distance: fields::find(headers, "Distance"),
            seconds: fields::find(headers, "Seconds"),
            notes: fields::find(headers, "Notes"),
            workout_notes: fields::find(headers, "Workout Notes"),
            rpe: fields::find(headers, "RPE"),
        };
        if missing.is_empty() {
            Ok(columns)
        } else {
            Err(Malformed::line(
                line,
                format!(
                    "not a Strong export: missing columns {}",
                    missing.join(", ")
                ),
            ))
        }
    }

    /// One data row.
    pub fn read<'a>(&self, record: &Record<'a>, options: &Options) -> Result<Line<'a>, Malformed> {
        let start = fields::local_time(
            record,
            self.date,
            &["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"],
            "2024-03-26 08:12:45",
        )?;
        let title = fields::name(record, self.title)?;
        let end = match self.duration {
            Some(c) if !record.field(c).trim().is_empty() => {
                let seconds = strong_duration(record.field(c)).ok_or_else(|| {
                    Malformed::field(
                        record,
                        c,
                        format!(
                            "not a duration like \"1h 5m\": {}",
                            fields::quoted(record.field(c))
                        ),
                    )
                })?;
                start.checked_add(SignedDuration::from_secs(seconds)).ok()
            }
            _ => None,
        };
        let workout_notes = fields::text(record, self.workout_notes, WORKOUT_NOTES_CHARS)?;
        let exercise = fields::name(record, self.exercise)?;
        let order = record.field(self.set_order).trim();
        let set_type = match order {
            "W" | "w" => Some(SetType::Warmup),
            "D" | "d" => Some(SetType::Drop),
            "F" | "f" => Some(SetType::Failure),
            _ if order.eq_ignore_ascii_case("rest timer") => None,
            _ if !order.is_empty() && order.bytes().all(|b| b.is_ascii_digit()) => {
                Some(SetType::Normal)
            }
            _ => {
                return Err(Malformed::field(
                    record,
                    self.set_order,
                    format!(
                        "not a set number, W, D, F or Rest Timer: {}",
                        fields::quoted(order)
                    ),
                ));
            }
        };
        let unit = options.weight_unit;
        let raw = Raw {
            set_type: set_type.unwrap_or(SetType::Normal),
            reps: fields::number(record, Some(self.reps))?,
            weight: fields::number(record, Some(self.weight))?,
            weight_unit: unit,
            distance: fields::number(record, self.distance)?,
            miles: unit == WeightUnit::Lb,
            seconds: fields::number(record, self.seconds)?,
            rpe: fields::number(record, self.rpe)?,
        };
        let notes = fields::text(record, self.notes, SHORT_NOTES_CHARS)?;
        let set = match set_type {
            None => Err("a rest timer, not a set".to_owned()),
            Some(_) => sets::draft(raw, notes),
        };
        Ok(Line {
            head: Head {
                title,
                start,
                end,
                notes: workout_notes,
            },
            exercise,
            entry_notes: "",
            superset: None,
            set,
        })
    }
}
