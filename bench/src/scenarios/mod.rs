//! The scenarios: each starts the services it needs, sets up its data, measures, stops them
//! (dropping their databases) and returns rows of results.

pub mod console;
pub mod fanout;
pub mod gateway;
pub mod health;
pub mod list;
pub mod replicas;
pub mod revocation;
pub mod rss;
pub mod setup;
pub mod soak;
pub mod tokens;
pub mod training;
pub mod workout;

use anyhow::Result;

use crate::args::{Plan, Scenario};
use crate::load::Limits;
use crate::report::Row;

/// What every scenario reads.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// Limits and counts of this run.
    pub plan: Plan,
    /// Logical CPUs.
    pub cpus: usize,
}

impl Ctx {
    /// Limits of one measured phase.
    pub fn limits(&self) -> Limits {
        Limits {
            duration: self.plan.duration,
            requests: self.plan.requests,
        }
    }

    /// How many users share the load of the scenarios that spread it over several
    /// callers (distinct tokens, distinct rows).
    pub fn users(&self) -> usize {
        if self.plan.quick { 2 } else { 16 }
    }
}

/// Runs one scenario.
pub async fn run(scenario: Scenario, ctx: &Ctx) -> Result<Vec<Row>> {
    match scenario {
        Scenario::All => Ok(Vec::new()),
        Scenario::Health => health::run(ctx).await,
        Scenario::GetWorkout => workout::get_workout(ctx, true).await,
        Scenario::GetWorkoutNoauth => workout::get_workout(ctx, false).await,
        Scenario::Refresh => tokens::refresh(ctx).await,
        Scenario::RefreshBackends => tokens::refresh_backends(ctx).await,
        Scenario::Introspect => tokens::introspect(ctx).await,
        Scenario::Login => tokens::login(ctx).await,
        Scenario::RevocationLatency => revocation::run(ctx).await,
        Scenario::LoginStorm => workout::login_storm(ctx).await,
        Scenario::ListWorkouts => list::run(ctx).await,
        Scenario::Training => training::run(ctx).await,
        Scenario::ConsolePages => console::run(ctx).await,
        Scenario::IdleRss => rss::run(ctx).await,
        Scenario::Gateway => gateway::run(ctx).await,
        Scenario::FeedFanout => fanout::run(ctx).await,
        Scenario::Replicas => replicas::run(ctx).await,
        Scenario::Soak => soak::run(ctx).await,
    }
}

/// The resident memory of this process (both services and the load generator), for rows of
/// in-process scenarios.
pub fn process_rss() -> String {
    crate::machine::Rss::of_self()
        .map(|rss| format!("{:.1} MiB (process)", rss.now_mib()))
        .unwrap_or_default()
}
