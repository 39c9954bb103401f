//! `stride.fitness.v1.ExerciseService`: the signed-in user's exercises.

use shared::pb::fitness::v1::exercise_service_server::ExerciseService;

/// Handler of `ExerciseService`.
#[derive(Debug, Clone, Default)]
pub struct ExerciseApi;

#[tonic::async_trait]
impl ExerciseService for ExerciseApi {}
