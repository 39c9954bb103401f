//! The CSV export: one row per set with its workout and exercise (RFC 4180, a header row),
//! workouts newest first, then entries and sets in order; a workout without sets is one row
//! with the exercise and set columns empty. Workouts are read in keyset pages of
//! [`WORKOUTS_PER_PAGE`], each page's sets in one query (at most 1,000 sets a workout), and
//! every page's rows are quoted by the csv crate into the chunk buffer.

use std::collections::HashMap;

use shared::chunks::Chunks;
use shared::db::Db;

use super::shapes::time;
use crate::error::{Error, Fitness, Result};
use crate::store::sets::{self, SetLine};
use crate::store::workouts::{self, After, Order, WorkoutRow};

/// Workouts per page: with at most 1,000 sets each, a page holds at most 20,000 sets.
const WORKOUTS_PER_PAGE: i64 = 20;

/// The columns, in order.
const HEADER: [&str; 24] = [
    "workout_id",
    "title",
    "date",
    "started_at",
    "ended_at",
    "time_zone",
    "workout_type",
    "exercise_id",
    "exercise_name",
    "catalogue_entry_id",
    "entry_position",
    "superset",
    "set_position",
    "set_type",
    "reps",
    "weight",
    "weight_unit",
    "weight_kg",
    "distance_m",
    "duration_s",
    "rpe",
    "rir",
    "rest_s",
    "notes",
];

/// Thousandths as a decimal without trailing zeros: 102500 → "102.5".
fn thousandths(value: i64) -> String {
    let sign = if value < 0 { "-" } else { "" };
    let (whole, fraction) = (value.unsigned_abs() / 1000, value.unsigned_abs() % 1000);
    if fraction == 0 {
        format!("{sign}{whole}")
    } else {
        let digits = format!("{fraction:03}");
        format!("{sign}{whole}.{}", digits.trim_end_matches('0'))
    }
}

/// An optional value as a field.
fn opt<T: ToString>(value: Option<T>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// The workout's columns.
fn workout_fields(w: &WorkoutRow) -> Vec<String> {
    vec![
        w.id.clone(),
        w.title.clone(),
        w.workout_date.clone(),
        opt(w.started_at.map(time)),
        opt(w.ended_at.map(time)),
        w.time_zone.clone(),
        w.workout_type.clone(),
    ]
}

/// The exercise and set columns of a set.
fn set_fields(line: &SetLine) -> Vec<String> {
    let s = &line.set;
    vec![
        s.exercise_id.clone(),
        line.exercise_name.clone(),
        opt(line.catalogue_entry_id.clone()),
        line.entry_position.to_string(),
        line.superset.to_string(),
        s.position.to_string(),
        s.set_type.clone(),
        opt(s.reps),
        opt(s.weight_milli.map(thousandths)),
        if s.weight_milli.is_some() {
            s.weight_unit.clone()
        } else {
            String::new()
        },
        opt(s.weight_g.map(thousandths)),
        opt(s.distance_mm.map(thousandths)),
        opt(s.duration_s),
        opt(s.rpe_half.map(|h| thousandths(i64::from(h) * 500))),
        opt(s.rir),
        opt(s.rest_s),
        s.notes.clone(),
    ]
}

/// Writes the whole CSV document into `out`.
pub async fn produce(db: &Db, user_id: &str, out: &mut Chunks<Fitness>) -> Result<()> {
    let cannot = |e: csv::Error| Error::internal(format_args!("cannot write the CSV export: {e}"));
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(HEADER).map_err(cannot)?;
    let mut after: Option<After> = None;
    loop {
        let (page, sets) = {
            let mut conn = db.read().await?;
            let filter = workouts::Filter::default();
            let page = workouts::list(
                &mut conn,
                user_id,
                &filter,
                Order::DateDesc,
                after.as_ref(),
                WORKOUTS_PER_PAGE,
            )
            .await?;
            let ids: Vec<String> = page.iter().map(|w| w.id.clone()).collect();
            let sets = sets::lines_of_workouts(&mut conn, user_id, &ids).await?;
            (page, sets)
        };
        let full = page.len() == usize::try_from(WORKOUTS_PER_PAGE).unwrap_or(usize::MAX);
        after = page
            .last()
            .map(|w| After::Date(w.workout_date.clone(), w.id.clone()));
        let mut by_workout: HashMap<&str, Vec<&SetLine>> = HashMap::new();
        for set in &sets {
            by_workout
                .entry(set.set.workout_id.as_str())
                .or_default()
                .push(set);
        }
        for workout in &page {
            let head = workout_fields(workout);
            match by_workout.get(workout.id.as_str()) {
                None => {
                    let mut row = head;
                    row.resize(HEADER.len(), String::new());
                    writer.write_record(&row).map_err(cannot)?;
                }
                Some(sets) => {
                    for set in sets {
                        let mut row = head.clone();
                        row.extend(set_fields(set));
                        writer.write_record(&row).map_err(cannot)?;
                    }
                }
            }
        }
        // Each page's rows go out as they are written; a fresh writer takes the next page.
        let bytes = writer
            .into_inner()
            .map_err(|e| cannot(e.into_error().into()))?;
        out.write(&bytes).await?;
        writer = csv::Writer::from_writer(Vec::new());
        if !full {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousandths_are_written_without_trailing_zeros() {
        assert_eq!(thousandths(102_500), "102.5");
        assert_eq!(thousandths(102_058), "102.058");
        assert_eq!(thousandths(40_000), "40");
        assert_eq!(thousandths(5), "0.005");
        assert_eq!(thousandths(-1_500), "-1.5");
        assert_eq!(thousandths(i64::from(17) * 500), "8.5");
    }
}
