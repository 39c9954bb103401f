//! `stride.fitness.v1.StatsService`: per-user stats, leaderboard and evaluations.

use shared::pb::fitness::v1::stats_service_server::StatsService;

/// Handler of `StatsService`.
#[derive(Debug, Clone, Default)]
pub struct StatsApi;

#[tonic::async_trait]
impl StatsService for StatsApi {}
