//! WorkoutService: CRUD, field masks, filters, ordering, pagination and validation.

mod batches;
mod crud;
mod filters;
mod paging;
mod validation;

use prost_types::FieldMask;
use shared::pb::fitness::v1 as pb;

use crate::helpers::{User, workout};

/// A field mask of `paths`.
fn mask(paths: &[&str]) -> Option<FieldMask> {
    Some(FieldMask {
        paths: paths.iter().map(|p| p.to_string()).collect(),
    })
}

/// Creates workouts (title, date, type) one by one so `created_at` follows the list order.
pub async fn seed(ada: &mut User, rows: &[(&str, &str, pb::WorkoutType)]) -> Vec<pb::Workout> {
    let mut out = Vec::new();
    for (title, date, t) in rows {
        out.push(
            ada.workouts
                .create_workout(pb::CreateWorkoutRequest {
                    workout: Some(workout(title, date, *t)),
                    request_id: String::new(),
                })
                .await
                .unwrap()
                .into_inner(),
        );
    }
    out
}
