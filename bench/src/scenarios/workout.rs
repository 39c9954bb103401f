//! `get-workout`, `get-workout-noauth` and `login-storm`: one cheap authenticated read, with and
//! without the auth layer, and while Argon2 is saturated by logins.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use prost::Message as _;
use shared::pb::fitness::v1::GetWorkoutRequest;
use shared::pb::fitness::v1::workout_service_client::WorkoutServiceClient;
use tonic::transport::Channel;

use super::setup::{self, Identity};
use super::tokens::LoginWorker;
use super::{Ctx, process_rss};
use crate::external;
use crate::load::{Limits, Worker, drive, warm_then_drive};
use crate::report::{Row, Verdict};
use crate::stack::{self, Argon2Cost, Running};

/// Largest accepted cost of the auth layer, as a fraction of the unauthenticated throughput.
pub const AUTH_COST_TARGET: f64 = 0.15;
/// `GetWorkout` p99 during a login storm, microseconds.
pub const STORM_P99_TARGET_MICROS: u64 = 10_000;

/// One caller's workout: who asks and for which id.
#[derive(Debug, Clone)]
pub struct Target {
    pub(super) who: Identity,
    pub(super) id: String,
}

/// Reads workouts round-robin over every caller, starting at its own index so concurrent
/// workers spread over distinct tokens and rows.
pub struct GetWorker {
    client: WorkoutServiceClient<Channel>,
    targets: Arc<Vec<Target>>,
    next: usize,
}

impl Worker for GetWorker {
    async fn call(&mut self) -> Result<(), tonic::Status> {
        let target = &self.targets[self.next % self.targets.len()];
        self.next = self.next.wrapping_add(1);
        let mut request = tonic::Request::new(GetWorkoutRequest {
            include_entries: false,
            id: target.id.clone(),
            include_exercises: false,
        });
        target.who.apply(&mut request);
        let response = self.client.get_workout(request).await?.into_inner();
        match response.workout {
            Some(w) if w.id == target.id => Ok(()),
            _ => Err(tonic::Status::internal(
                "GetWorkout returned another workout",
            )),
        }
    }
}

/// Builds `n` workers over `channels`.
pub(super) fn get_workers(
    channels: &[Channel],
    targets: &Arc<Vec<Target>>,
    n: usize,
) -> Vec<GetWorker> {
    (0..n)
        .map(|i| GetWorker {
            client: WorkoutServiceClient::new(channels[i % channels.len()].clone()),
            targets: Arc::clone(targets),
            next: i,
        })
        .collect()
}

/// A stack for `GetWorkout`, its callers (one workout each) and connections to fitness.
pub(super) struct Fixture {
    pub(super) auth: Option<Running>,
    pub(super) fitness: Running,
    pub(super) targets: Arc<Vec<Target>>,
}

impl Fixture {
    /// With `authenticated`, real users and tokens through a running auth service (`cost` is
    /// its Argon2 setting); otherwise fitness runs with its auth layer disabled and callers are
    /// named by `x-stride-user-id`. `None` when the token lifecycle is not built yet.
    pub(super) async fn start(
        ctx: &Ctx,
        authenticated: bool,
        cost: Argon2Cost,
    ) -> Result<Result<Self, String>> {
        let backend = ctx.plan.backend;
        let users = ctx.users();
        if !authenticated {
            let fitness = stack::start_fitness(backend, "http://127.0.0.1:9".into(), true).await?;
            let channel = &stack::channels(fitness.addr, 1).await?[0];
            let mut targets = Vec::with_capacity(users);
            for i in 0..users {
                let who = Identity::UserId(setup::ascii(&uuid::Uuid::now_v7().to_string())?);
                let id = setup::create_workout(channel, &who, &format!("Workout {i}")).await?;
                targets.push(Target { who, id });
            }
            return Ok(Ok(Self {
                auth: None,
                fitness,
                targets: Arc::new(targets),
            }));
        }
        let auth = stack::start_auth(backend, cost).await?;
        let auth_channel = &stack::channels(auth.addr, 1).await?[0];
        if let Some(why) = setup::lifecycle_missing(auth_channel).await? {
            auth.stop().await?;
            return Ok(Err(why));
        }
        let fitness = stack::start_fitness(backend, auth.url(), false).await?;
        let channel = &stack::channels(fitness.addr, 1).await?[0];
        let registered =
            setup::register_many(auth_channel, &format!("gw{}", setup::run_tag()), users).await?;
        let mut targets = Vec::with_capacity(users);
        for (i, user) in registered.iter().enumerate() {
            let who = Identity::Bearer(setup::bearer(&user.tokens.access_token)?);
            let id = setup::create_workout(channel, &who, &format!("Workout {i}")).await?;
            targets.push(Target { who, id });
        }
        Ok(Ok(Self {
            auth: Some(auth),
            fitness,
            targets: Arc::new(targets),
        }))
    }

    pub(super) async fn stop(self) -> Result<()> {
        self.fitness.stop().await?;
        if let Some(auth) = self.auth {
            auth.stop().await?;
        }
        Ok(())
    }
}

/// `get-workout` (with `authenticated`) or `get-workout-noauth`.
pub async fn get_workout(ctx: &Ctx, authenticated: bool) -> Result<Vec<Row>> {
    let name = if authenticated {
        "get-workout"
    } else {
        "get-workout-noauth"
    };
    let fixture = match Fixture::start(ctx, authenticated, Argon2Cost::Fast).await? {
        Ok(fixture) => fixture,
        Err(why) => return Ok(vec![Row::skipped(name, why)]),
    };
    let concurrency = ctx.plan.concurrency;
    let channels =
        stack::channels(fixture.fitness.addr, stack::connections_for(concurrency)).await?;
    let targets = Arc::clone(&fixture.targets);
    let outcome = warm_then_drive(
        async || Ok(get_workers(&channels, &targets, concurrency)),
        ctx.limits(),
    )
    .await?;
    let mut row = Row::from_outcome(name, &outcome).noted(format!(
        "{concurrency} in flight, {} callers, {} connections",
        targets.len(),
        channels.len()
    ));
    // The authenticated row is judged against the floor (see `floor`).
    row.rss = process_rss();
    let mut rows = vec![row];
    if ctx.plan.external && authenticated {
        let call = external_call(&channels[0], &fixture.targets[0]).await?;
        rows.push(
            external::measure(
                name,
                fixture.fitness.addr,
                &call,
                ctx.plan.duration,
                concurrency,
                channels.len(),
            )
            .await?,
        );
    }
    fixture.stop().await?;
    Ok(rows)
}

/// `GetWorkout` of `target`'s workout as h2load sends it, with the size of its good reply
/// (read with one call through our client).
async fn external_call(channel: &Channel, target: &Target) -> Result<external::Call> {
    let message = GetWorkoutRequest {
        include_entries: false,
        id: target.id.clone(),
        include_exercises: false,
    };
    let mut request = tonic::Request::new(message.clone());
    target.who.apply(&mut request);
    let reply = WorkoutServiceClient::new(channel.clone())
        .get_workout(request)
        .await?
        .into_inner();
    let headers = match &target.who {
        Identity::Bearer(value) => vec![("authorization".to_owned(), value.to_str()?.to_owned())],
        Identity::UserId(value) => {
            vec![("x-stride-user-id".to_owned(), value.to_str()?.to_owned())]
        }
    };
    Ok(external::Call {
        path: "/stride.fitness.v1.WorkoutService/GetWorkout".into(),
        headers,
        message: message.encode_to_vec(),
        reply_len: reply.encoded_len(),
    })
}

/// `login-storm`: `GetWorkout` at a modest, fixed concurrency, first alone (the baseline), then
/// while Login workers keep every Argon2 permit busy with a queue behind it.
pub async fn login_storm(ctx: &Ctx) -> Result<Vec<Row>> {
    let fixture = match Fixture::start(ctx, true, Argon2Cost::Production).await? {
        Ok(fixture) => fixture,
        Err(why) => return Ok(vec![Row::skipped("login-storm", why)]),
    };
    let Some(auth) = fixture.auth.as_ref() else {
        return Ok(vec![Row::skipped("login-storm", "no auth service")]);
    };
    let readers = 4.min(ctx.plan.concurrency);
    let stormers = 2 * ctx.cpus + 2;
    let channels = stack::channels(fixture.fitness.addr, 1).await?;
    let auth_channels = stack::channels(auth.addr, 1).await?;
    let storm_users = setup::register_many(
        &auth_channels[0],
        &format!("st{}", setup::run_tag()),
        stormers,
    )
    .await?;
    let targets = Arc::clone(&fixture.targets);
    let limits = ctx.limits();

    let alone = warm_then_drive(
        async || Ok(get_workers(&channels, &targets, readers)),
        limits,
    )
    .await?;

    let storm_limits = Limits {
        duration: limits.duration + Duration::from_millis(500),
        requests: u64::MAX,
    };
    let storm_workers: Vec<LoginWorker> = storm_users
        .iter()
        .map(|u| LoginWorker::new(&auth_channels[0], &u.username))
        .collect();
    let storm = tokio::spawn(drive(storm_workers, storm_limits));
    // Let the storm fill the hashing queue before measuring.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let during = drive(get_workers(&channels, &targets, readers), limits).await?;
    let storm = storm.await??;

    let p99 = during.latency.map_or(u64::MAX, |l| l.p99);
    let mut rows = vec![
        Row::from_outcome("login-storm: GetWorkout alone", &alone)
            .noted(format!("{readers} in flight, baseline")),
        Row::from_outcome("login-storm: GetWorkout in storm", &during)
            .judged(
                "p99 ≤ 10 ms",
                Verdict::check(p99 <= STORM_P99_TARGET_MICROS, || {
                    format!(
                        "p99 {:.1} ms, {:.1} ms over",
                        p99 as f64 / 1000.0,
                        p99.saturating_sub(STORM_P99_TARGET_MICROS) as f64 / 1000.0
                    )
                }),
            )
            .noted(format!("{readers} in flight beside {stormers} Login loops")),
        Row::from_outcome("login-storm: the Login storm", &storm).noted(format!(
            "{stormers} in flight, production Argon2, {} hashes at once",
            ctx.cpus
        )),
    ];
    for row in &mut rows {
        row.rss = process_rss();
    }
    // The two phases overlap: CPU per request would charge one with the other's work.
    rows[1].cpu_us = None;
    rows[2].cpu_us = None;
    fixture.stop().await?;
    Ok(rows)
}
