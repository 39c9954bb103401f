//! `revocation-latency`: from the moment `RevokeSession` returns to the first fitness call that
//! rejects that session's access token, polled in a tight loop, over N revocations.

use std::time::{Duration, Instant};

use anyhow::{Result, anyhow};
use shared::pb::auth::v1::RevokeSessionRequest;
use shared::pb::auth::v1::session_service_client::SessionServiceClient;
use shared::pb::fitness::v1::GetWorkoutRequest;
use shared::pb::fitness::v1::workout_service_client::WorkoutServiceClient;
use tonic::transport::Channel;

use super::setup::{self, Identity};
use super::{Ctx, process_rss};
use crate::report::{Row, Verdict};
use crate::stack::{self, Argon2Cost};
use crate::stats::{Latency, Samples};

/// Target p99 of revocation → rejection (docs/BENCHMARKS.md), microseconds.
pub const TARGET_P99_MICROS: u64 = 50_000;
/// Give up on one revocation after this long: it counts as an error.
const GIVE_UP: Duration = Duration::from_secs(5);

/// What polling after one revocation saw.
enum Poll {
    /// The first rejection came after this long.
    Rejected(Duration),
    /// Still accepted when we gave up, or another failure.
    Failed(String),
}

/// `GetWorkout` with `who`'s token; the error as it came.
pub(crate) async fn get(
    fitness: &mut WorkoutServiceClient<Channel>,
    who: &Identity,
    id: &str,
) -> Result<(), tonic::Status> {
    let mut request = tonic::Request::new(GetWorkoutRequest {
        include_entries: false,
        id: id.to_owned(),
        include_exercises: false,
    });
    who.apply(&mut request);
    fitness.get_workout(request).await.map(drop)
}

/// Polls `GetWorkout` with `who` until UNAUTHENTICATED, from `since`.
async fn until_rejected(
    fitness: &mut WorkoutServiceClient<Channel>,
    who: &Identity,
    id: &str,
    since: Instant,
) -> Poll {
    // Bounded by time: a poll is a loopback round trip (well under a millisecond) and we stop
    // after GIVE_UP whatever happens.
    loop {
        match get(fitness, who, id).await {
            Err(status) if status.code() == tonic::Code::Unauthenticated => {
                return Poll::Rejected(since.elapsed());
            }
            Err(status) => {
                return Poll::Failed(format!("{:?}: {}", status.code(), status.message()));
            }
            Ok(()) if since.elapsed() > GIVE_UP => {
                return Poll::Failed(format!("still accepted {GIVE_UP:?} after RevokeSession"));
            }
            Ok(()) => tokio::task::yield_now().await,
        }
    }
}

/// Runs `ctx.plan.revocations` revocations, one at a time.
pub async fn run(ctx: &Ctx) -> Result<Vec<Row>> {
    let backend = ctx.plan.backend;
    let auth = stack::start_auth(backend, Argon2Cost::Fast).await?;
    let auth_channel = stack::channels(auth.addr, 1).await?.remove(0);
    if let Some(why) = setup::lifecycle_missing(&auth_channel).await? {
        auth.stop().await?;
        return Ok(vec![Row::skipped("revocation-latency", why)]);
    }
    let fitness = stack::start_fitness(backend, auth.url(), false).await?;
    let fitness_channel = stack::channels(fitness.addr, 1).await?.remove(0);
    let user = setup::register(&auth_channel, &format!("rv{}", setup::run_tag())).await?;
    let owner = Identity::Bearer(setup::bearer(&user.tokens.access_token)?);
    let workout = setup::create_workout(&fitness_channel, &owner, "Revocation").await?;
    let mut sessions = SessionServiceClient::new(auth_channel.clone());
    let mut reader = WorkoutServiceClient::new(fitness_channel.clone());

    let mut samples = Samples::with_capacity(ctx.plan.revocations);
    let mut errors = 0_u64;
    let mut examples: Vec<String> = Vec::new();
    let started = Instant::now();
    for _ in 0..ctx.plan.revocations {
        let pair = setup::login(&auth_channel, &user.username).await?;
        let who = Identity::Bearer(setup::bearer(&pair.access_token)?);
        // The token works (and sits in fitness's verified-token cache) before it is revoked.
        get(&mut reader, &who, &workout)
            .await
            .map_err(|s| anyhow!("a fresh session's token is refused: {s}"))?;
        let mut revoke = tonic::Request::new(RevokeSessionRequest {
            session_id: pair.session_id.clone(),
        });
        if let Identity::Bearer(value) = &who {
            revoke.metadata_mut().insert("authorization", value.clone());
        }
        sessions
            .revoke_session(revoke)
            .await
            .map_err(|s| anyhow!("RevokeSession: {s}"))?;
        let returned = Instant::now();
        match until_rejected(&mut reader, &who, &workout, returned).await {
            Poll::Rejected(latency) => samples.record(latency),
            Poll::Failed(why) => {
                errors += 1;
                if examples.len() < 3 && !examples.contains(&why) {
                    examples.push(why);
                }
            }
        }
    }
    let elapsed = started.elapsed();
    let ok = samples.len() as u64;
    let latency: Option<Latency> = samples.summary();
    let p99 = latency.map_or(u64::MAX, |l| l.p99);
    let mut row = Row::empty("revocation-latency");
    row.latency = latency;
    row.ok = ok;
    row.errors = errors;
    row.error_examples = examples;
    row = row
        .judged(
            "p99 ≤ 50 ms",
            Verdict::check(p99 <= TARGET_P99_MICROS, || {
                format!("p99 {:.1} ms", p99 as f64 / 1000.0)
            }),
        )
        .noted(format!(
            "{ok} revocations in {:.1} s (each: Login, GetWorkout, RevokeSession, poll)",
            elapsed.as_secs_f64()
        ));
    row.rss = process_rss();
    fitness.stop().await?;
    auth.stop().await?;
    Ok(vec![row])
}
