//! `stride.fitness.v1.WorkoutService`: the signed-in user's workouts.

use shared::pb::fitness::v1::workout_service_server::WorkoutService;

/// Handler of `WorkoutService`.
#[derive(Debug, Clone, Default)]
pub struct WorkoutApi;

#[tonic::async_trait]
impl WorkoutService for WorkoutApi {}
