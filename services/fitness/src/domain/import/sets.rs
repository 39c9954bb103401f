//! A row's measures as a set: converted to the stored units and range-checked when the row
//! is read, then fitted to its exercise's tracking mode once the exercise is known. Exports
//! write 0 into columns a set does not use, so a zero where the mode refuses or merely
//! allows a measure means "not recorded"; a row without any non-zero measure is no set.

use shared::error::Violations;

use super::numbers::Decimal;
use crate::domain::training::{NewSet, SetType, TrackingMode, Weight, WeightUnit};
use crate::domain::values::Text;

/// Most reps of a set.
const MAX_REPS: i64 = 1000;
/// Heaviest weight in its unit, in thousandths.
const MAX_WEIGHT_MILLI: i64 = 2_000_000;
/// Longest distance, in millimetres (1,000 km).
const MAX_DISTANCE_MM: i64 = 1_000_000_000;
/// Longest duration, in seconds (a day).
const MAX_SECONDS: i64 = 86_400;

/// A row's measures as the file writes them.
#[derive(Debug, Clone, Copy)]
pub struct Raw {
    /// Kind of set.
    pub set_type: SetType,
    /// Repetitions.
    pub reps: Option<Decimal>,
    /// Weight in `weight_unit`.
    pub weight: Option<Decimal>,
    /// The weight's unit.
    pub weight_unit: WeightUnit,
    /// Distance, in km or miles.
    pub distance: Option<Decimal>,
    /// True when `distance` is in miles.
    pub miles: bool,
    /// Duration in seconds.
    pub seconds: Option<Decimal>,
    /// Rate of perceived exertion.
    pub rpe: Option<Decimal>,
}

/// A row's measures in stored units, each in range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetDraft {
    /// Kind of set.
    pub set_type: SetType,
    /// Repetitions.
    pub reps: Option<i32>,
    /// Weight as entered.
    pub weight: Option<Weight>,
    /// Distance in millimetres.
    pub distance_mm: Option<i64>,
    /// Duration in seconds.
    pub duration_s: Option<i32>,
    /// RPE × 2.
    pub rpe_half: Option<i32>,
    /// The set's notes (at most 1,000 characters, checked when read).
    pub notes: Box<str>,
}

/// `value` as an i32 when it lies in `0..=max`, else why not.
fn within(field: &str, value: i64, max: i64, unit: &str) -> Result<i32, String> {
    if (0..=max).contains(&value) {
        // In range, so it fits.
        Ok(i32::try_from(value).unwrap_or(i32::MAX))
    } else {
        Err(format!("{field} must be between 0 and {max}{unit}"))
    }
}

/// The row's measures in stored units; why not when one is out of range.
pub fn draft(raw: Raw, notes: &str) -> Result<SetDraft, String> {
    let reps = match raw.reps {
        None => None,
        Some(r) => {
            let whole = r.whole().ok_or("reps must be a whole number")?;
            Some(within("reps", whole, MAX_REPS, "")?)
        }
    };
    let weight = match raw.weight {
        None => None,
        Some(w) => {
            let milli = w.milli();
            if !(0..=MAX_WEIGHT_MILLI).contains(&milli) {
                return Err("weight must be between 0 and 2000".to_owned());
            }
            Some(Weight::from_milli(milli, raw.weight_unit))
        }
    };
    let distance_mm = match raw.distance {
        None => None,
        Some(d) => {
            let mm = if raw.miles {
                d.miles_to_mm()
            } else {
                d.km_to_mm()
            };
            if !(0..=MAX_DISTANCE_MM).contains(&mm) {
                return Err("distance must be between 0 and 1000 km".to_owned());
            }
            Some(mm)
        }
    };
    let duration_s = match raw.seconds {
        None => None,
        Some(s) => Some(within("duration", s.rounded(), MAX_SECONDS, " seconds")?),
    };
    let rpe_half = match raw.rpe {
        None => None,
        Some(r) => match r.halves() {
            Some(half @ 12..=20) => Some(within("rpe", half, 20, "")?),
            _ => return Err("rpe must be between 6 and 10 in steps of 0.5".to_owned()),
        },
    };
    Ok(SetDraft {
        set_type: raw.set_type,
        reps,
        weight,
        distance_mm,
        duration_s,
        rpe_half,
        notes: notes.into(),
    })
}

/// Whether a draft records anything at all.
pub fn has_measures(set: &SetDraft) -> bool {
    set.reps.is_some_and(|r| r != 0)
        || set.weight.is_some_and(|w| w.milli() != 0)
        || set.distance_mm.is_some_and(|d| d != 0)
        || set.duration_s.is_some_and(|d| d != 0)
}

/// The set an exercise tracked in `mode` makes of `set`, or why it cannot take it.
pub fn fit(mode: TrackingMode, set: &SetDraft) -> Result<NewSet, String> {
    if !has_measures(set) {
        return Err("no reps, weight, distance or duration".to_owned());
    }
    let (reps, weight, distance, duration) = match mode {
        TrackingMode::WeightReps => (true, true, false, false),
        TrackingMode::RepsOnly => (true, false, false, false),
        TrackingMode::Bodyweight | TrackingMode::Assisted => (true, false, false, false),
        TrackingMode::Duration => (false, false, false, true),
        TrackingMode::DistanceDuration => (false, false, true, false),
    };
    // Zero where the mode does not require the measure: not recorded.
    let notes = Text::parse(&set.notes).map_err(|e| format!("notes: {e}"))?;
    let new = NewSet {
        id: None,
        set_type: set.set_type,
        reps: set.reps.filter(|&r| reps || r != 0),
        weight: set.weight.filter(|w| weight || w.milli() != 0),
        distance_mm: set.distance_mm.filter(|&d| distance || d != 0),
        duration_s: set.duration_s.filter(|&d| duration || d != 0),
        rpe_half: set.rpe_half,
        rir: None,
        rest_s: None,
        notes,
    };
    let mut v = Violations::new();
    mode.check(&new, "set", &mut v);
    match v.fields().first() {
        None => Ok(new),
        Some(first) => {
            let field = first.field.trim_start_matches("set.");
            Err(format!("{field}: {}", first.description))
        }
    }
}

/// What the rows of one exercise name record, to choose a tracking mode for a name the
/// catalogue lacks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    /// Rows with reps.
    pub reps: u32,
    /// Rows with reps and a weight.
    pub weighted: u32,
    /// Rows with a distance.
    pub distance: u32,
    /// Rows with a duration.
    pub duration: u32,
}

impl Usage {
    /// Counts the non-zero measures of `set`.
    pub fn add(&mut self, set: &SetDraft) {
        let reps = set.reps.is_some_and(|r| r > 0);
        let weight = set.weight.is_some_and(|w| w.milli() > 0);
        self.reps += u32::from(reps);
        self.weighted += u32::from(reps && weight);
        self.distance += u32::from(set.distance_mm.is_some_and(|d| d > 0));
        self.duration += u32::from(set.duration_s.is_some_and(|d| d > 0));
    }

    /// The mode these rows fit best: distance → distance and duration; reps, all with a
    /// weight → weight and reps; reps, some without → body weight (weight optional); only
    /// durations → duration; nothing → weight and reps.
    pub fn mode(self) -> TrackingMode {
        if self.distance > 0 {
            TrackingMode::DistanceDuration
        } else if self.reps > 0 && self.weighted == self.reps {
            TrackingMode::WeightReps
        } else if self.reps > 0 {
            TrackingMode::Bodyweight
        } else if self.duration > 0 {
            TrackingMode::Duration
        } else {
            TrackingMode::WeightReps
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(reps: &str, weight: &str, distance: &str, seconds: &str) -> Raw {
        let d = |s: &str| Decimal::parse(s);
        Raw {
            set_type: SetType::Normal,
            reps: d(reps),
            weight: d(weight),
            weight_unit: WeightUnit::Kg,
            distance: d(distance),
            miles: false,
            seconds: d(seconds),
            rpe: None,
        }
    }

    #[test]
    fn zeros_a_mode_does_not_need_are_dropped() {
        let run = draft(raw("0", "0", "5.2", "1800"), "").unwrap();
        let set = fit(TrackingMode::DistanceDuration, &run).unwrap();
        assert_eq!(
            (set.reps, set.weight, set.distance_mm, set.duration_s),
            (None, None, Some(5_200_000), Some(1800))
        );
        let bench = draft(raw("10", "0", "0", "0"), "").unwrap();
        let set = fit(TrackingMode::WeightReps, &bench).unwrap();
        assert_eq!(
            set.weight.map(Weight::grams),
            Some(0),
            "a required zero stays"
        );
        assert_eq!(fit(TrackingMode::Bodyweight, &bench).unwrap().weight, None);
        let refused = fit(TrackingMode::Duration, &bench).unwrap_err();
        assert!(refused.starts_with("reps:"), "{refused}");
    }

    #[test]
    fn rows_without_measures_or_out_of_range_are_no_sets() {
        let empty = draft(raw("0", "0", "0", "0"), "").unwrap();
        assert!(fit(TrackingMode::WeightReps, &empty).is_err());
        assert!(draft(raw("10.5", "", "", ""), "").is_err());
        assert!(draft(raw("10", "2000.001", "", ""), "").is_err());
        assert!(draft(raw("10", "-1", "", ""), "").is_err());
        assert!(draft(raw("", "", "", "86401"), "").is_err());
        let mut rpe = raw("5", "100", "", "");
        rpe.rpe = Decimal::parse("9.5");
        assert_eq!(draft(rpe, "").unwrap().rpe_half, Some(19));
        rpe.rpe = Decimal::parse("5");
        assert!(draft(rpe, "").is_err());
    }

    #[test]
    fn unknown_names_get_the_mode_their_rows_fit() {
        let mode = |rows: &[Raw]| {
            let mut usage = Usage::default();
            for r in rows {
                usage.add(&draft(*r, "").unwrap());
            }
            usage.mode()
        };
        let lift = raw("5", "100", "0", "0");
        let pull_up = raw("8", "0", "0", "0");
        let plank = raw("0", "0", "0", "60");
        let row = raw("0", "0", "2", "600");
        assert_eq!(mode(&[lift, lift]), TrackingMode::WeightReps);
        assert_eq!(mode(&[lift, pull_up]), TrackingMode::Bodyweight);
        assert_eq!(mode(&[plank]), TrackingMode::Duration);
        assert_eq!(mode(&[row, plank]), TrackingMode::DistanceDuration);
        assert_eq!(mode(&[]), TrackingMode::WeightReps);
    }
}
