//! What a catalogue entry is: its category, the muscles it trains and the equipment it is done
//! with, each with the name it is stored under (the proto enum's value without its prefix).

/// An enum with one stored name per variant, listed in proto order in `ALL`.
macro_rules! stored {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $db:literal,)+ }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vdoc])* $variant,)+
        }

        impl $name {
            /// Every value, in proto order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The stored name.
            pub fn db_name(self) -> &'static str {
                match self {
                    $($name::$variant => $db,)+
                }
            }

            /// The value of a stored name.
            pub fn from_db_name(name: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.db_name() == name)
            }
        }
    };
}

stored!(
    /// Broad kind of exercise.
    Category {
        /// Resistance training.
        Strength = "STRENGTH",
        /// Cardiovascular training.
        Cardio = "CARDIO",
        /// Stretching and mobility.
        Stretching = "STRETCHING",
        /// Jumps and explosive bodyweight work.
        Plyometrics = "PLYOMETRICS",
        /// Snatch, clean, jerk and their variants.
        Olympic = "OLYMPIC",
    }
);

stored!(
    /// A muscle group.
    Muscle {
        /// Abdominals.
        Abdominals = "ABDOMINALS",
        /// Deltoids.
        Shoulders = "SHOULDERS",
        /// Biceps.
        Biceps = "BICEPS",
        /// Triceps.
        Triceps = "TRICEPS",
        /// Forearms.
        Forearms = "FOREARMS",
        /// Quadriceps.
        Quadriceps = "QUADRICEPS",
        /// Hamstrings.
        Hamstrings = "HAMSTRINGS",
        /// Calves.
        Calves = "CALVES",
        /// Glutes.
        Glutes = "GLUTES",
        /// Abductors.
        Abductors = "ABDUCTORS",
        /// Adductors.
        Adductors = "ADDUCTORS",
        /// Latissimus dorsi.
        Lats = "LATS",
        /// Rhomboids and rear delts.
        UpperBack = "UPPER_BACK",
        /// Trapezius.
        Traps = "TRAPS",
        /// Erectors.
        LowerBack = "LOWER_BACK",
        /// Pectorals.
        Chest = "CHEST",
        /// Heart and lungs.
        Cardio = "CARDIO",
        /// Neck.
        Neck = "NECK",
        /// The whole body.
        FullBody = "FULL_BODY",
    }
);

stored!(
    /// What an exercise is done with.
    Equipment {
        /// Body weight only.
        None = "NONE",
        /// Barbell.
        Barbell = "BARBELL",
        /// Dumbbells.
        Dumbbell = "DUMBBELL",
        /// Kettlebell.
        Kettlebell = "KETTLEBELL",
        /// Weight-stack or plate-loaded machine.
        Machine = "MACHINE",
        /// Cable station.
        Cable = "CABLE",
        /// A weight plate.
        Plate = "PLATE",
        /// Resistance band.
        ResistanceBand = "RESISTANCE_BAND",
        /// Suspension trainer, rings, bars.
        Suspension = "SUSPENSION",
        /// Anything else.
        Other = "OTHER",
    }
);

/// Muscles stored as a comma-separated list of their names, e.g. `CHEST,TRICEPS`.
pub fn muscles_to_db(muscles: &[Muscle]) -> String {
    let names: Vec<&str> = muscles.iter().map(|m| m.db_name()).collect();
    names.join(",")
}

/// The muscles of a stored list; `None` when a name is unknown.
pub fn muscles_from_db(list: &str) -> Option<Vec<Muscle>> {
    if list.is_empty() {
        return Some(Vec::new());
    }
    list.split(',').map(Muscle::from_db_name).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_names_round_trip() {
        for c in Category::ALL {
            assert_eq!(Category::from_db_name(c.db_name()), Some(*c));
        }
        for e in Equipment::ALL {
            assert_eq!(Equipment::from_db_name(e.db_name()), Some(*e));
        }
        let all = muscles_to_db(Muscle::ALL);
        assert_eq!(muscles_from_db(&all).as_deref(), Some(Muscle::ALL));
        assert_eq!(muscles_from_db(""), Some(Vec::new()));
        assert_eq!(muscles_from_db("CHEST,ARMS"), None);
    }
}
