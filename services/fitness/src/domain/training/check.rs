//! Which of a set's measures its exercise's tracking mode requires and which it refuses.

use shared::error::Violations;

use super::{NewSet, TrackingMode};

/// Whether a mode needs, allows or refuses a measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    /// Must be present.
    Required,
    /// May be present.
    Optional,
    /// Must be absent.
    Refused,
}

impl TrackingMode {
    /// Rules for reps, weight, distance and duration, in that order.
    fn rules(self) -> [Rule; 4] {
        use Rule::{Optional, Refused, Required};
        match self {
            Self::WeightReps => [Required, Required, Refused, Refused],
            Self::RepsOnly => [Required, Refused, Refused, Refused],
            Self::Bodyweight | Self::Assisted => [Required, Optional, Refused, Refused],
            Self::Duration => [Refused, Refused, Refused, Required],
            Self::DistanceDuration => [Refused, Refused, Required, Optional],
        }
    }

    /// The stored name in lower case with spaces, for messages ("weight reps").
    fn label(self) -> String {
        self.db_name().to_lowercase().replace('_', " ")
    }

    /// Records into `v`, at `at` (e.g. `entries[2].sets[0]`), every measure of `set` this
    /// mode requires and is missing or refuses and is present.
    pub fn check(self, set: &NewSet, at: &str, v: &mut Violations) {
        let present = [
            ("reps", set.reps.is_some()),
            ("weight", set.weight.is_some()),
            ("distance_meters", set.distance_mm.is_some()),
            ("duration_seconds", set.duration_s.is_some()),
        ];
        for ((field, present), rule) in present.into_iter().zip(self.rules()) {
            match (rule, present) {
                (Rule::Required, false) => v.add(
                    format!("{at}.{field}"),
                    format!(
                        "required by the exercise's tracking mode ({})",
                        self.label()
                    ),
                ),
                (Rule::Refused, true) => v.add(
                    format!("{at}.{field}"),
                    format!(
                        "not allowed by the exercise's tracking mode ({})",
                        self.label()
                    ),
                ),
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::training::{SetType, Weight, units::WeightUnit};
    use crate::domain::values::Text;

    fn set(reps: bool, weight: bool, distance: bool, duration: bool) -> NewSet {
        NewSet {
            id: None,
            set_type: SetType::Normal,
            reps: reps.then_some(5),
            weight: weight.then(|| Weight::from_milli(1000, WeightUnit::Kg)),
            distance_mm: distance.then_some(1000),
            duration_s: duration.then_some(60),
            rpe_half: None,
            rir: None,
            rest_s: None,
            notes: Text::default(),
        }
    }

    fn fields(mode: TrackingMode, s: &NewSet) -> Vec<String> {
        let mut v = Violations::new();
        mode.check(s, "s", &mut v);
        v.fields().iter().map(|f| f.field.clone()).collect()
    }

    #[test]
    fn each_mode_requires_and_refuses_its_measures() {
        assert!(fields(TrackingMode::WeightReps, &set(true, true, false, false)).is_empty());
        assert_eq!(
            fields(TrackingMode::WeightReps, &set(false, false, true, true)),
            [
                "s.reps",
                "s.weight",
                "s.distance_meters",
                "s.duration_seconds"
            ]
        );
        assert_eq!(
            fields(TrackingMode::RepsOnly, &set(true, true, false, false)),
            ["s.weight"]
        );
        assert!(fields(TrackingMode::Bodyweight, &set(true, false, false, false)).is_empty());
        assert!(fields(TrackingMode::Assisted, &set(true, true, false, false)).is_empty());
        assert_eq!(
            fields(TrackingMode::Duration, &set(true, false, false, false)),
            ["s.reps", "s.duration_seconds"]
        );
        assert!(
            fields(
                TrackingMode::DistanceDuration,
                &set(false, false, true, false)
            )
            .is_empty()
        );
        assert_eq!(
            fields(
                TrackingMode::DistanceDuration,
                &set(false, true, false, true)
            ),
            ["s.weight", "s.distance_meters"]
        );
    }
}
