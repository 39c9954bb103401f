//! The revocation half of `replicas`: sessions opened and ended (`Logout`) on auth-1, one at
//! a time, and how long until fitness-1 (following auth-1, whose streams the revoking commit
//! wakes) and fitness-2 (following auth-2, which learns of it at its next poll of the shared
//! database's feed head) refuse the session's access token.

use std::time::{Duration, Instant};

use anyhow::{Result, anyhow};
use shared::pb::auth::v1::LogoutRequest;
use shared::pb::auth::v1::auth_service_client::AuthServiceClient;
use shared::pb::fitness::v1::workout_service_client::WorkoutServiceClient;
use tonic::transport::Channel;

use super::deployment::Deployment;
use super::{NAME, spread};
use crate::report::{Row, Verdict};
use crate::scenarios::revocation::TARGET_P99_MICROS;
use crate::scenarios::revocation::get;
use crate::scenarios::setup::{self, Identity, User};
use crate::scenarios::{Ctx, process_rss};
use crate::stack;
use crate::stats::Samples;

/// Give up on one revocation after this long: it counts as an error.
const GIVE_UP: Duration = Duration::from_secs(5);

/// Calls `GetWorkout` in a tight loop until the token is refused; how long after `since`.
async fn until_refused(
    mut fitness: WorkoutServiceClient<Channel>,
    who: &Identity,
    id: &str,
    since: Instant,
) -> Result<Duration, String> {
    loop {
        match get(&mut fitness, who, id).await {
            Err(status) if status.code() == tonic::Code::Unauthenticated => {
                return Ok(since.elapsed());
            }
            Err(status) => return Err(format!("{:?}: {}", status.code(), status.message())),
            Ok(()) if since.elapsed() > GIVE_UP => {
                return Err(format!("still accepted {GIVE_UP:?} after Logout"));
            }
            Ok(()) => tokio::task::yield_now().await,
        }
    }
}

/// Latencies (or failures) of one fitness replica.
#[derive(Default)]
struct Refusals {
    samples: Samples,
    errors: u64,
    examples: Vec<String>,
}

impl Refusals {
    fn note(&mut self, result: Result<Duration, String>) {
        match result {
            Ok(latency) => self.samples.record(latency),
            Err(why) => {
                self.errors += 1;
                if self.examples.len() < 3 && !self.examples.contains(&why) {
                    self.examples.push(why);
                }
            }
        }
    }
}

/// Sessions of `user` opened and ended (`Logout`) on auth-1, one at a time: how long until
/// fitness-1 and fitness-2 refuse the session's access token, polled at once.
pub async fn run(ctx: &Ctx, deployment: &Deployment, user: &User) -> Result<Vec<Row>> {
    let auth_1 = stack::channels(deployment.auth[0].addr, 1).await?.remove(0);
    let fitness = spread(deployment.fitness.iter().map(|s| s.addr), 1).await?;
    let [fitness_1, fitness_2] =
        [&fitness[0], &fitness[1]].map(|c| WorkoutServiceClient::new(c.clone()));
    let owner = Identity::Bearer(setup::bearer(&user.tokens.access_token)?);
    let workout = setup::create_workout(&fitness[0], &owner, "Replicas").await?;
    let mut logout = AuthServiceClient::new(auth_1.clone());
    let (mut near, mut far) = (Refusals::default(), Refusals::default());
    let started = Instant::now();
    let poll_micros = u64::try_from(deployment.poll_interval.as_micros()).unwrap_or(u64::MAX);
    for _ in 0..ctx.plan.revocations {
        // A random pause first: one revocation at a time would otherwise fall into step with
        // auth-2's poll timer and sample the same point of its interval every time.
        let pause = rand::Rng::gen_range(&mut rand::thread_rng(), 0..poll_micros.max(1));
        tokio::time::sleep(Duration::from_micros(pause)).await;
        let pair = setup::login(&auth_1, &user.username).await?;
        let who = Identity::Bearer(setup::bearer(&pair.access_token)?);
        // The token works on both (and sits in both verified-token caches) before it is revoked.
        for client in [&fitness_1, &fitness_2] {
            get(&mut client.clone(), &who, &workout)
                .await
                .map_err(|s| anyhow!("a fresh session's token is refused: {s}"))?;
        }
        logout
            .logout(LogoutRequest {
                refresh_token: pair.refresh_token,
            })
            .await
            .map_err(|s| anyhow!("Logout: {s}"))?;
        let returned = Instant::now();
        let (one, two) = tokio::join!(
            until_refused(fitness_1.clone(), &who, &workout, returned),
            until_refused(fitness_2.clone(), &who, &workout, returned),
        );
        near.note(one);
        far.note(two);
    }
    let elapsed = started.elapsed();
    let poll = deployment.poll_interval;
    let far_bound = u64::try_from((poll + Duration::from_micros(TARGET_P99_MICROS)).as_micros())
        .unwrap_or(u64::MAX);
    let rows = [
        (
            near,
            "fitness-1 refuses (follows auth-1)",
            "p99 ≤ 50 ms (revocation-latency's)".to_owned(),
            TARGET_P99_MICROS,
        ),
        (
            far,
            "fitness-2 refuses (follows auth-2)",
            format!("p99 ≤ poll interval {} ms + 50 ms", poll.as_millis()),
            far_bound,
        ),
    ];
    Ok(rows
        .into_iter()
        .map(|(refusals, what, target, bound)| {
            let latency = refusals.samples.summary();
            let p99 = latency.map_or(u64::MAX, |l| l.p99);
            let mut row = Row::empty(format!("{NAME}: Logout on auth-1 → {what}"));
            row.ok = latency.map_or(0, |l| l.count as u64);
            row.latency = latency;
            row.errors = refusals.errors;
            row.error_examples = refusals.examples;
            row.rss = process_rss();
            row.judged(
                target,
                Verdict::check(p99 <= bound, || format!("p99 {:.1} ms", p99 as f64 / 1000.0)),
            )
            .noted(format!(
                "{} revocations in {:.1} s (each: a random pause within one poll interval, Login, GetWorkout on both, Logout, both polled at once); auth-2 reads the feed head every {} ms (STRIDE_REVOCATION_POLL_INTERVAL)",
                ctx.plan.revocations,
                elapsed.as_secs_f64(),
                poll.as_millis()
            ))
        })
        .collect())
}
