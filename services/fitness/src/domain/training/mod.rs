//! Training data: the units of a set, the tracking modes that decide which of a set's fields
//! are required or refused, and the sums every derived value is built from. Shared by the
//! entries write path, records, weekly summaries and the CSV import.
//!
//! Every quantity is an integer in its smallest unit, so that totals stay exactly equal to
//! the rows under any sequence of edits: weights in grams (converted from the unit the client
//! entered exactly once, on write), distances in millimetres, durations in seconds, RPE in
//! half points.

mod check;
pub(crate) mod units;

pub use units::{SetType, TrackingMode, Weight, WeightUnit, thousandths};

use super::ids::Id;
use super::values::Text;

/// A validated set to write: which fields are present was checked against the exercise's
/// tracking mode by [`TrackingMode::check`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSet {
    /// Keep this id (one of the workout's current sets); `None` makes a new one.
    pub id: Option<Id>,
    /// Kind of set.
    pub set_type: SetType,
    /// Repetitions, 0–1000.
    pub reps: Option<i32>,
    /// Weight as entered.
    pub weight: Option<Weight>,
    /// Distance in millimetres.
    pub distance_mm: Option<i64>,
    /// Duration in seconds.
    pub duration_s: Option<i32>,
    /// RPE × 2, 12–20.
    pub rpe_half: Option<i32>,
    /// Reps in reserve, 0–10.
    pub rir: Option<i32>,
    /// Rest after the set in seconds.
    pub rest_s: Option<i32>,
    /// Free text, up to 1,000 chars.
    pub notes: Text,
}

/// A validated entry: one of the user's exercises within a workout, with its sets in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEntry {
    /// One of the user's exercises (checked on write).
    pub exercise_id: Id,
    /// Superset group, 0 for none.
    pub superset: i32,
    /// Free text, up to 1,000 chars.
    pub notes: Text,
    /// The sets, in order.
    pub sets: Vec<NewSet>,
}

/// Sums over sets (and a workout count), signed so that one value can add or remove: the one
/// shape in which the workout row, the user's totals and the weekly summaries change.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sums {
    /// Workouts (only the weekly summaries and the user's totals count these).
    pub workouts: i64,
    /// Sets.
    pub sets: i64,
    /// Sum of reps.
    pub reps: i64,
    /// Sum of weight_g × reps, assisted sets excluded.
    pub volume_g: i64,
    /// Sum of distances in millimetres.
    pub distance_mm: i64,
    /// Sum of set durations in seconds.
    pub set_seconds: i64,
}

impl Sums {
    /// The contribution of one set of an exercise tracked in `mode`.
    pub fn of_set(mode: TrackingMode, set: &NewSet) -> Self {
        let reps = i64::from(set.reps.unwrap_or(0));
        let grams = set.weight.map_or(0, |w| w.grams());
        Self {
            workouts: 0,
            sets: 1,
            reps,
            volume_g: if mode.counts_volume() {
                grams.saturating_mul(reps)
            } else {
                0
            },
            distance_mm: set.distance_mm.unwrap_or(0),
            set_seconds: i64::from(set.duration_s.unwrap_or(0)),
        }
    }

    /// The same sums with every sign flipped: what removing them adds.
    pub fn negated(self) -> Self {
        Self {
            workouts: -self.workouts,
            sets: -self.sets,
            reps: -self.reps,
            volume_g: -self.volume_g,
            distance_mm: -self.distance_mm,
            set_seconds: -self.set_seconds,
        }
    }

    /// True when adding these changes nothing.
    pub fn is_zero(&self) -> bool {
        *self == Self::default()
    }
}

impl std::ops::Add for Sums {
    type Output = Self;

    fn add(self, other: Self) -> Self {
        Self {
            workouts: self.workouts + other.workouts,
            sets: self.sets + other.sets,
            reps: self.reps + other.reps,
            volume_g: self.volume_g + other.volume_g,
            distance_mm: self.distance_mm + other.distance_mm,
            set_seconds: self.set_seconds + other.set_seconds,
        }
    }
}

impl std::ops::AddAssign for Sums {
    fn add_assign(&mut self, other: Self) {
        *self = *self + other;
    }
}

/// The Monday of the ISO week of `date` (YYYY-MM-DD), the key of weekly summaries; `None`
/// for a malformed date (stored dates never are).
pub fn week_start(date: &str) -> Option<String> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let day = time::Date::parse(date, format).ok()?;
    let monday = day - time::Duration::days(i64::from(day.weekday().number_days_from_monday()));
    monday.format(format).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_start_on_monday() {
        assert_eq!(week_start("2026-12-07").as_deref(), Some("2026-12-07"));
        assert_eq!(week_start("2026-12-13").as_deref(), Some("2026-12-07"));
        assert_eq!(week_start("2027-01-01").as_deref(), Some("2026-12-28"));
        assert_eq!(week_start("2026-02-30"), None);
    }

    #[test]
    fn sums_add_and_cancel() {
        let set = NewSet {
            id: None,
            set_type: SetType::Normal,
            reps: Some(5),
            weight: Some(Weight::from_milli(100_000, WeightUnit::Kg)),
            distance_mm: None,
            duration_s: None,
            rpe_half: None,
            rir: None,
            rest_s: None,
            notes: Text::parse("").expect("empty text is valid"),
        };
        let one = Sums::of_set(TrackingMode::WeightReps, &set);
        assert_eq!(one.volume_g, 500_000);
        assert!((one + one.negated()).is_zero());
        assert_eq!(Sums::of_set(TrackingMode::Assisted, &set).volume_g, 0);
    }
}
