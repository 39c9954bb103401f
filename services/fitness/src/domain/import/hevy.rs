//! Hevy's "Export workouts" CSV: one row per set, the workout and exercise repeated on each.
//!
//! `start_time` and `end_time` are local ("26 Mar 2024, 08:12"), `set_type` is normal,
//! warmup, dropset or failure, `superset_id` groups exercises (empty for none). The header
//! names the units: `weight_kg` or `weight_lbs`, `distance_km` or `distance_miles`.

use super::fields::{self, SHORT_NOTES_CHARS, WORKOUT_NOTES_CHARS};
use super::reader::{Malformed, Record};
use super::sets::{self, Raw};
use super::upload::{Head, Line};
use crate::domain::training::{SetType, WeightUnit};

/// Most superset groups a file's `superset_id` may name.
const MAX_SUPERSET_ID: u32 = 1_000_000;
/// Formats of Hevy's times.
const TIME_FORMATS: [&str; 3] = ["%d %b %Y, %H:%M", "%d %b %Y, %H:%M:%S", "%Y-%m-%d %H:%M:%S"];
/// An example of Hevy's times, for messages.
const TIME_EXAMPLE: &str = "26 Mar 2024, 08:12";

/// Where each of Hevy's columns is.
#[derive(Debug, Clone)]
pub struct Columns {
    title: usize,
    start: usize,
    end: Option<usize>,
    description: Option<usize>,
    exercise: usize,
    superset: Option<usize>,
    exercise_notes: Option<usize>,
    set_type: usize,
    weight: usize,
    weight_unit: WeightUnit,
    reps: usize,
    distance: Option<usize>,
    miles: bool,
    duration: Option<usize>,
    rpe: Option<usize>,
}

impl Columns {
    /// The columns of the header `headers` (at `line`); every required one missing is named.
    pub fn new(headers: &[String], line: u64) -> Result<Self, Malformed> {
        let mut missing = Vec::new();
        let mut required = |name: &'static str, found: Option<usize>| {
            found.unwrap_or_else(|| {
                missing.push(name);
                0
            })
        };
        let find = |name: &str| fields::find(headers, name);
        let kg = find("weight_kg");
        let (weight, weight_unit) = match (kg, find("weight_lbs")) {
            (Some(c), _) => (Some(c), WeightUnit::Kg),
            (None, lbs) => (lbs, WeightUnit::Lb),
        };
        let km = find("distance_km");
        let (distance, miles) = match (km, find("distance_miles")) {
            (Some(c), _) => (Some(c), false),
            (None, miles) => (miles, miles.is_some()),
        };
        let columns = Self {
            title: required("title", find("title")),
            start: required("start_time", find("start_time")),
            exercise: required("exercise_title", find("exercise_title")),
            set_type: required("set_type", find("set_type")),
            weight: required("weight_kg (or weight_lbs)", weight),
            reps: required("reps", find("reps")),
            weight_unit,
            end: find("end_time"),
            description: find("description"),
            superset: find("superset_id"),
            exercise_notes: find("exercise_notes"),
            distance,
            miles,
            duration: find("duration_seconds"),
            rpe: find("rpe"),
        };
        if missing.is_empty() {
            Ok(columns)
        } else {
            Err(Malformed::line(
                line,
                format!("not a Hevy export: missing columns {}", missing.join(", ")),
            ))
        }
    }

    /// One data row.
    pub fn read<'a>(&self, record: &Record<'a>) -> Result<Line<'a>, Malformed> {
        let title = fields::name(record, self.title)?;
        let start = fields::local_time(record, self.start, &TIME_FORMATS, TIME_EXAMPLE)?;
        let end = match self.end {
            Some(c) if !record.field(c).trim().is_empty() => {
                Some(fields::local_time(record, c, &TIME_FORMATS, TIME_EXAMPLE)?)
            }
            _ => None,
        };
        let notes = fields::text(record, self.description, WORKOUT_NOTES_CHARS)?;
        let exercise = fields::name(record, self.exercise)?;
        let superset = match self.superset {
            Some(c) if !record.field(c).trim().is_empty() => {
                let text = record.field(c).trim();
                let id = text.parse::<u32>().ok().filter(|&id| id <= MAX_SUPERSET_ID);
                Some(id.ok_or_else(|| {
                    Malformed::field(
                        record,
                        c,
                        format!("not a superset number: {}", fields::quoted(text)),
                    )
                })?)
            }
            _ => None,
        };
        let entry_notes = fields::text(record, self.exercise_notes, SHORT_NOTES_CHARS)?;
        let kind = record.field(self.set_type).trim();
        let set_type = match kind.to_ascii_lowercase().as_str() {
            "" | "normal" => SetType::Normal,
            "warmup" => SetType::Warmup,
            "dropset" => SetType::Drop,
            "failure" => SetType::Failure,
            _ => {
                return Err(Malformed::field(
                    record,
                    self.set_type,
                    format!(
                        "not normal, warmup, dropset or failure: {}",
                        fields::quoted(kind)
                    ),
                ));
            }
        };
        let raw = Raw {
            set_type,
            reps: fields::number(record, Some(self.reps))?,
            weight: fields::number(record, Some(self.weight))?,
            weight_unit: self.weight_unit,
            distance: fields::number(record, self.distance)?,
            miles: self.miles,
            seconds: fields::number(record, self.duration)?,
            rpe: fields::number(record, self.rpe)?,
        };
        Ok(Line {
            head: Head {
                title,
                start,
                end,
                notes,
            },
            exercise,
            entry_notes,
            superset,
            set: sets::draft(raw, ""),
        })
    }
}
