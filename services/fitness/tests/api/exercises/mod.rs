//! ExerciseService: CRUD, links to workouts and the counters they drive, filters, pagination
//! and validation.

mod catalogue_refs;
mod counters;
mod listing;
mod validation;

use prost_types::FieldMask;

/// A field mask of `paths`.
fn mask(paths: &[&str]) -> Option<FieldMask> {
    Some(FieldMask {
        paths: paths.iter().map(|p| p.to_string()).collect(),
    })
}
