//! `replicas` (PostgreSQL): one against two replicas of each service on one database server.
//!
//! With one replica, then with a second pair added (auth-2 on the same auth database, fitness-2
//! on the same fitness database, following auth-2), then with the first pair alone again (the
//! second idle, so what order does shows apart from what the second replica does):
//! authenticated `GetWorkout` spread over the fitness replicas, and `Refresh` spread over the
//! auth replicas. Every replica runs in this
//! process, on the same cores: on a 2-core machine a second replica adds no CPU, so the
//! comparable figure is CPU per request (does a replica cost anything by being one of two?),
//! not throughput. Then, with both pairs: sessions ended on auth-1, and how long until
//! fitness-1 (following auth-1, woken by the revoking commit) and fitness-2 (following auth-2,
//! which learns of it through its poll of the shared database's feed head) refuse the token.

mod deployment;
mod revocations;

use std::sync::Arc;

use anyhow::Result;
use shared::db::Backend;
use shared::pb::auth::v1::RefreshRequest;
use shared::pb::auth::v1::auth_service_client::AuthServiceClient;
use tonic::transport::Channel;

use self::deployment::Deployment;
use super::setup::{self, Identity, User};
use super::workout::{Target, get_workers};
use super::{Ctx, process_rss};
use crate::load::{Outcome, Worker, warm_then_drive};
use crate::report::Row;
use crate::stack;

/// The scenario's name, the prefix of its rows.
const NAME: &str = "replicas";

/// Runs the scenario; skipped unless `--backend postgres`.
pub async fn run(ctx: &Ctx) -> Result<Vec<Row>> {
    if ctx.plan.backend != Backend::Postgres {
        return Ok(vec![Row::skipped(
            NAME,
            "needs --backend postgres: replicas share one database, and SQLite serves one \
             process per file (a second server on the same file is refused)",
        )]);
    }
    let mut deployment = Deployment::start().await?;
    let auth_1 = stack::channels(deployment.auth[0].addr, 1).await?.remove(0);
    if let Some(why) = setup::lifecycle_missing(&auth_1).await? {
        deployment.stop().await?;
        return Ok(vec![Row::skipped(NAME, why)]);
    }
    let users =
        setup::register_many(&auth_1, &format!("rp{}", setup::run_tag()), ctx.users()).await?;
    let fitness_1 = stack::channels(deployment.fitness[0].addr, 1)
        .await?
        .remove(0);
    let mut targets = Vec::with_capacity(users.len());
    for (i, user) in users.iter().enumerate() {
        let who = Identity::Bearer(setup::bearer(&user.tokens.access_token)?);
        let id = setup::create_workout(&fitness_1, &who, &format!("Workout {i}")).await?;
        targets.push(Target { who, id });
    }
    let targets = Arc::new(targets);

    let one_read = get_workout(ctx, &deployment, &targets).await?;
    let one_refresh = refresh(ctx, &deployment, &users).await?;
    deployment.add_pair().await?;
    let two_read = get_workout(ctx, &deployment, &targets).await?;
    let two_refresh = refresh(ctx, &deployment, &users).await?;
    // One replica again, after the two: what order alone (warmer caches, more rows) does.
    let again_read = get_workout_on(ctx, &deployment, &targets, 1).await?;
    let again_refresh = refresh_on(ctx, &deployment, &users, 1).await?;
    let mut rows = vec![
        row("GetWorkout", Phase::One, &one_read, None),
        row("GetWorkout", Phase::Two, &two_read, Some(&one_read)),
        row("GetWorkout", Phase::OneAgain, &again_read, Some(&two_read)),
        row("Refresh", Phase::One, &one_refresh, None),
        row("Refresh", Phase::Two, &two_refresh, Some(&one_refresh)),
        row(
            "Refresh",
            Phase::OneAgain,
            &again_refresh,
            Some(&two_refresh),
        ),
    ];
    rows.extend(revocations::run(ctx, &deployment, &users[0]).await?);
    deployment.stop().await?;
    Ok(rows)
}

/// `n` connections to each of `addrs`, interleaved so workers taking them round-robin spread
/// evenly over the replicas.
async fn spread(
    addrs: impl Iterator<Item = std::net::SocketAddr>,
    n: usize,
) -> Result<Vec<Channel>> {
    let mut per_replica = Vec::new();
    for addr in addrs {
        per_replica.push(stack::channels(addr, n).await?);
    }
    Ok((0..n)
        .flat_map(|i| per_replica.iter().map(move |channels| channels[i].clone()))
        .collect())
}

/// Authenticated `GetWorkout` spread over every fitness replica.
async fn get_workout(
    ctx: &Ctx,
    deployment: &Deployment,
    targets: &Arc<Vec<Target>>,
) -> Result<Outcome> {
    get_workout_on(ctx, deployment, targets, deployment.fitness.len()).await
}

/// Authenticated `GetWorkout` spread over the first `replicas` fitness replicas.
async fn get_workout_on(
    ctx: &Ctx,
    deployment: &Deployment,
    targets: &Arc<Vec<Target>>,
    replicas: usize,
) -> Result<Outcome> {
    let concurrency = ctx.plan.concurrency;
    let addrs = deployment.fitness.iter().take(replicas).map(|s| s.addr);
    let channels = spread(addrs, stack::connections_for(concurrency)).await?;
    warm_then_drive(
        async || Ok(get_workers(&channels, targets, concurrency)),
        ctx.limits(),
    )
    .await
}

/// Rotates its own session's refresh token on one auth replica, keeping the newest.
struct RefreshWorker {
    client: AuthServiceClient<Channel>,
    refresh_token: String,
}

impl Worker for RefreshWorker {
    async fn call(&mut self) -> Result<(), tonic::Status> {
        let tokens = self
            .client
            .refresh(RefreshRequest {
                refresh_token: self.refresh_token.clone(),
            })
            .await?
            .into_inner()
            .tokens
            .ok_or_else(|| tonic::Status::internal("Refresh returned no tokens"))?;
        self.refresh_token = tokens.refresh_token;
        Ok(())
    }
}

/// `Refresh` spread over every auth replica, each worker rotating a session of its own
/// (opened by a Login for the warm-up and again for the measured phase).
async fn refresh(ctx: &Ctx, deployment: &Deployment, users: &[User]) -> Result<Outcome> {
    refresh_on(ctx, deployment, users, deployment.auth.len()).await
}

/// `Refresh` spread over the first `replicas` auth replicas.
async fn refresh_on(
    ctx: &Ctx,
    deployment: &Deployment,
    users: &[User],
    replicas: usize,
) -> Result<Outcome> {
    let concurrency = ctx.plan.concurrency;
    let addrs = deployment.auth.iter().take(replicas).map(|s| s.addr);
    let channels = spread(addrs, stack::connections_for(concurrency)).await?;
    warm_then_drive(
        async || {
            let mut workers = Vec::with_capacity(concurrency);
            for i in 0..concurrency {
                let channel = &channels[i % channels.len()];
                let pair = setup::login(channel, &users[i % users.len()].username).await?;
                workers.push(RefreshWorker {
                    client: AuthServiceClient::new(channel.clone()),
                    refresh_token: pair.refresh_token,
                });
            }
            Ok(workers)
        },
        ctx.limits(),
    )
    .await
}

/// Which replicas a load phase spread over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Before the second pair started.
    One,
    /// Both pairs.
    Two,
    /// The first pair again, the second started but idle.
    OneAgain,
}

/// The row of one load phase; `before` is the phase just before it, its basis of comparison.
fn row(rpc: &str, phase: Phase, outcome: &Outcome, before: Option<&Outcome>) -> Row {
    let (first, second) = if rpc == "GetWorkout" {
        ("fitness-1", "fitness-2")
    } else {
        ("auth-1", "auth-2")
    };
    let (noun, spread_over) = match phase {
        Phase::One => ("1 replica", first.to_owned()),
        Phase::Two => ("2 replicas", format!("{first} and {second}")),
        Phase::OneAgain => ("1 replica again", format!("{first}, {second} idle")),
    };
    let mut note = format!("load spread over {spread_over}");
    if let Some(before) = before {
        let cpu = match (outcome.cpu_per_request(), before.cpu_per_request()) {
            (Some(now), Some(then)) if then > 0.0 => format!("{:.2}", now / then),
            _ => "-".into(),
        };
        let rps = before.throughput();
        let rps = if rps > 0.0 {
            format!("{:.2}", outcome.throughput() / rps)
        } else {
            "-".into()
        };
        let basis = if phase == Phase::Two {
            "1 replica"
        } else {
            "2 replicas"
        };
        note = format!(
            "{note}; against {basis} just before: CPU per request ×{cpu}, throughput ×{rps} \
             (every replica shares this machine's cores: CPU per request is the comparable \
             figure)"
        );
    }
    let mut row = Row::from_outcome(format!("{NAME}: {rpc}, {noun}"), outcome).noted(note);
    row.rss = process_rss();
    row
}
