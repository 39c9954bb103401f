//! The enums and units of a set, with their stored names.

/// How an exercise's sets are measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TrackingMode {
    /// Weight and reps, both required.
    WeightReps,
    /// Reps only; a weight is refused.
    RepsOnly,
    /// Reps required; weight optional, added load.
    Bodyweight,
    /// Reps required; weight optional, assistance (never volume, never a weight record).
    Assisted,
    /// Duration required; reps, weight and distance refused.
    Duration,
    /// Distance required, duration optional; reps and weight refused.
    DistanceDuration,
}

impl TrackingMode {
    /// Every mode.
    pub const ALL: [TrackingMode; 6] = [
        Self::WeightReps,
        Self::RepsOnly,
        Self::Bodyweight,
        Self::Assisted,
        Self::Duration,
        Self::DistanceDuration,
    ];

    /// The stored name.
    pub fn db_name(self) -> &'static str {
        match self {
            Self::WeightReps => "WEIGHT_REPS",
            Self::RepsOnly => "REPS_ONLY",
            Self::Bodyweight => "BODYWEIGHT",
            Self::Assisted => "ASSISTED",
            Self::Duration => "DURATION",
            Self::DistanceDuration => "DISTANCE_DURATION",
        }
    }

    /// The mode of a stored name.
    pub fn from_db_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.db_name() == name)
    }

    /// Whether weight × reps of its sets counts as volume (and weight as a weight record).
    pub fn counts_volume(self) -> bool {
        matches!(self, Self::WeightReps | Self::Bodyweight)
    }
}

/// Kind of a set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SetType {
    /// A working set.
    Normal,
    /// A warm-up: counted in totals, never a record.
    Warmup,
    /// A drop set.
    Drop,
    /// A set to failure.
    Failure,
}

impl SetType {
    /// Every type.
    pub const ALL: [SetType; 4] = [Self::Normal, Self::Warmup, Self::Drop, Self::Failure];

    /// The stored name.
    pub fn db_name(self) -> &'static str {
        match self {
            Self::Normal => "NORMAL",
            Self::Warmup => "WARMUP",
            Self::Drop => "DROP",
            Self::Failure => "FAILURE",
        }
    }

    /// The type of a stored name.
    pub fn from_db_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.db_name() == name)
    }
}

/// Unit a weight was entered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WeightUnit {
    /// Kilograms.
    Kg,
    /// Pounds, exactly 0.45359237 kg.
    Lb,
}

impl WeightUnit {
    /// The stored name.
    pub fn db_name(self) -> &'static str {
        match self {
            Self::Kg => "KG",
            Self::Lb => "LB",
        }
    }

    /// The unit of a stored name.
    pub fn from_db_name(name: &str) -> Option<Self> {
        match name {
            "KG" => Some(Self::Kg),
            "LB" => Some(Self::Lb),
            _ => None,
        }
    }
}

/// A stored integer in thousandths of what clients see (grams, millimetres, milliseconds,
/// thousandths of an entered weight) in that unit (kg, metres, seconds, the entered unit).
pub fn thousandths(value: i64) -> f64 {
    value as f64 / 1000.0
}

/// Largest weight accepted, in the entered unit.
pub const MAX_WEIGHT: f64 = 2000.0;

/// A weight as entered: thousandths of its unit. Converted to grams by [`Weight::grams`],
/// with integer arithmetic, so every reader sees the same grams for the same entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Weight {
    milli: i64,
    unit: WeightUnit,
}

impl Weight {
    /// A weight of `milli` thousandths of `unit` (as stored).
    pub fn from_milli(milli: i64, unit: WeightUnit) -> Self {
        Self { milli, unit }
    }

    /// A client's weight: 0 to [`MAX_WEIGHT`], at most 3 decimals.
    pub fn parse(value: f64, unit: WeightUnit) -> Result<Self, String> {
        if !value.is_finite() || !(0.0..=MAX_WEIGHT).contains(&value) {
            return Err(format!("must be between 0 and {MAX_WEIGHT}"));
        }
        let milli = (value * 1000.0).round();
        if (milli / 1000.0 - value).abs() > 1e-9 {
            return Err("at most 3 decimals".to_owned());
        }
        // In range: at most 2,000,000.
        Ok(Self {
            milli: milli as i64,
            unit,
        })
    }

    /// Thousandths of the entered unit.
    pub fn milli(self) -> i64 {
        self.milli
    }

    /// The entered unit.
    pub fn unit(self) -> WeightUnit {
        self.unit
    }

    /// The entered value.
    pub fn value(self) -> f64 {
        thousandths(self.milli)
    }

    /// Grams, rounded half up: kg thousandths are grams; a pound is 453.59237 g.
    pub fn grams(self) -> i64 {
        match self.unit {
            WeightUnit::Kg => self.milli,
            // milli-lb × 0.45359237 g = milli × 45,359,237 / 10^8 g.
            WeightUnit::Lb => (self.milli * 45_359_237 + 50_000_000) / 100_000_000,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pounds_convert_exactly_once() {
        let w = Weight::parse(225.0, WeightUnit::Lb).expect("valid");
        assert_eq!(w.grams(), 102_058);
        assert_eq!(w.value(), 225.0);
        assert_eq!(
            Weight::parse(102.5, WeightUnit::Kg).expect("valid").grams(),
            102_500
        );
        assert!(Weight::parse(1.2345, WeightUnit::Kg).is_err());
        assert!(Weight::parse(-1.0, WeightUnit::Kg).is_err());
        assert!(Weight::parse(f64::NAN, WeightUnit::Kg).is_err());
    }
}
