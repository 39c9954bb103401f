//! `feed-fanout`: what each follower of the revocation feed costs the auth replica it follows,
//! and how late the last of them hears of a revocation, with 1, 4 and 16 followers.
//!
//! Per count, on a fresh auth service (`--backend`): its idle cost with no follower and with
//! N (heartbeats only), then sessions ended with `Logout` at a steady rate while N followers
//! listen. The followers are lean `WatchRevocations` clients, not fitness services: the stream
//! the auth service serves them is the one it serves fitness (same request, same service key,
//! a connection each), and a fitness replica applies an event a hash insert after it arrives,
//! so the arrival is when it knows. Sixteen in-process fitness services would add sixteen
//! pools and key refreshers to the CPU counted here, none of it the feed's cost; the whole
//! path through fitness is `revocation-latency`'s figure.
//!
//! Followers and revoker run on a runtime of their own, so the auth service's CPU (its
//! runtime's threads and PostgreSQL) is told apart from theirs (see `thread_cpu`).

mod clients;
mod rows;
mod thread_cpu;

use std::time::{Duration, Instant};

use anyhow::Result;
use shared::pb::auth::v1::TokenPair;
use tokio::sync::watch;

use self::clients::{CLIENT_THREADS, ClientRuntime, Follower};
use self::rows::{idle_row, revoking_row};
use self::thread_cpu::ThreadCpu;
use super::{Ctx, setup};
use crate::machine::CpuTime;
use crate::report::Row;
use crate::stack::{self, Argon2Cost};

/// Follower counts measured, in one run.
const FOLLOWERS: [usize; 3] = [1, 4, 16];
/// Revocations offered per second (`--quick`: [`QUICK_RATE`]): a steady load well inside what
/// one replica sustains, so latency is the feed's, not a queue's.
const RATE: f64 = 200.0;
/// Revocations offered per second in quick mode.
const QUICK_RATE: f64 = 50.0;
/// `Logout` calls in flight at most.
const IN_FLIGHT: usize = 4;
/// Revocations before the measured ones (pools and caches warm).
const WARMUP: usize = 5;
/// A revocation not heard by every follower this long after the phase is an error.
const GIVE_UP: Duration = Duration::from_secs(10);
/// Idle time measured with no follower and with N (`--quick`: 300 ms).
const IDLE: Duration = Duration::from_secs(4);

/// Runs the scenario for every count of [`FOLLOWERS`].
pub async fn run(ctx: &Ctx) -> Result<Vec<Row>> {
    let mut rows = Vec::new();
    let mut first: Option<f64> = None;
    for n in FOLLOWERS {
        let Some(measured) = measure(ctx, n).await? else {
            return Ok(vec![Row::skipped(
                "feed-fanout",
                "auth answers UNIMPLEMENTED for CheckRevocation: token lifecycle not built yet",
            )]);
        };
        let Measured {
            mut revoking,
            idle,
            auth_us,
        } = measured;
        // The basis of comparison: the same load with one follower.
        match (first, auth_us) {
            (None, Some(us)) => first = Some(us),
            (Some(one), Some(us)) => {
                revoking.note = format!(
                    "{}; each follower beyond the first: {:+.0} µs of auth CPU per revocation",
                    revoking.note,
                    (us - one) / (n - 1) as f64
                );
            }
            _ => {}
        }
        rows.push(revoking);
        rows.push(idle);
    }
    Ok(rows)
}

/// The two rows of one follower count, and the auth side's CPU per revocation.
struct Measured {
    revoking: Row,
    idle: Row,
    auth_us: Option<f64>,
}

/// One count: `None` when the token lifecycle is not built.
async fn measure(ctx: &Ctx, n: usize) -> Result<Option<Measured>> {
    let quick = ctx.plan.quick;
    let (rate, idle) = if quick {
        (QUICK_RATE, Duration::from_millis(300))
    } else {
        (RATE, IDLE)
    };
    let planned = ((rate * ctx.plan.duration.as_secs_f64()) as usize)
        .clamp(1, usize::try_from(ctx.plan.requests).unwrap_or(usize::MAX));
    let auth = stack::start_auth(ctx.plan.backend, Argon2Cost::Fast).await?;
    let channel = stack::channels(auth.addr, 1).await?.remove(0);
    if setup::lifecycle_missing(&channel).await?.is_some() {
        auth.stop().await?;
        return Ok(None);
    }
    let mut sessions = open_sessions(&channel, WARMUP + planned).await?;
    let measured_sessions = sessions.split_off(WARMUP);
    let clients = ClientRuntime::start(ctx.cpus)?;
    let (stop, stopped) = watch::channel(false);

    tokio::time::sleep(Duration::from_millis(200)).await;
    // Twice with no follower: how far apart two such windows are is the resolution of the
    // idle figures.
    let alone = [idle_cpu(idle).await, idle_cpu(idle).await];
    let mut followers = Vec::with_capacity(n);
    for _ in 0..n {
        followers.push(Follower::start(&clients, auth.url(), stopped.clone()).await?);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let idle_from = Instant::now();
    let followed = idle_cpu(idle).await;
    let idle_to = Instant::now();

    let warm = clients::revoke_steadily(&clients, auth.url(), sessions, rate, IN_FLIGHT).await?;
    let warm_count = warm.revoked.len();
    all_heard(&followers, warm_count).await;

    let cpu_before = CpuTime::now();
    let threads_before = ThreadCpu::now();
    let revoking =
        clients::revoke_steadily(&clients, auth.url(), measured_sessions, rate, IN_FLIGHT).await?;
    all_heard(&followers, warm_count + revoking.revoked.len()).await;
    let cpu = CpuTime::now().since(cpu_before);
    let clients_cpu = ThreadCpu::now().since(&threads_before, |name| name == CLIENT_THREADS);

    let _ = stop.send(true);
    let mut heard = Vec::with_capacity(n);
    for follower in followers {
        heard.push(follower.heard().await?);
    }
    drop(clients);
    auth.stop().await?;

    let heartbeats = heard
        .iter()
        .flat_map(|h| &h.heartbeats)
        .filter(|at| (idle_from..idle_to).contains(*at))
        .count();
    let idle_row = idle_row(n, idle, &alone, &followed, heartbeats);
    let (revoking_row, auth_us) = revoking_row(n, rate, &revoking, &heard, cpu, clients_cpu);
    Ok(Some(Measured {
        revoking: revoking_row,
        idle: idle_row,
        auth_us,
    }))
}

/// `count` sessions of a few users, logged in 8 at a time (fast Argon2: setup, not measured).
async fn open_sessions(
    channel: &tonic::transport::Channel,
    count: usize,
) -> Result<Vec<TokenPair>> {
    let users = setup::register_many(channel, &format!("ff{}", setup::run_tag()), 4).await?;
    let mut sessions = Vec::with_capacity(count);
    for chunk_start in (0..count).step_by(8) {
        let chunk = (chunk_start..count.min(chunk_start + 8))
            .map(|i| setup::login(channel, &users[i % users.len()].username));
        sessions.extend(futures::future::try_join_all(chunk).await?);
    }
    Ok(sessions)
}

/// CPU of the auth side (every thread but the clients') and of the clients over `window`.
struct IdleCpu {
    /// Every thread but the clients'.
    auth: Duration,
    /// The clients' threads.
    clients: Duration,
    /// How long the window lasted.
    window: Duration,
}

async fn idle_cpu(window: Duration) -> IdleCpu {
    let before = ThreadCpu::now();
    let started = Instant::now();
    tokio::time::sleep(window).await;
    let after = ThreadCpu::now();
    IdleCpu {
        auth: after.since(&before, |name| name != CLIENT_THREADS),
        clients: after.since(&before, |name| name == CLIENT_THREADS),
        window: started.elapsed(),
    }
}

/// Waits until every follower has heard `events` events, or [`GIVE_UP`] (what is missing
/// then is counted as errors by the caller).
async fn all_heard(followers: &[Follower], events: usize) {
    let deadline = Instant::now() + GIVE_UP;
    while Instant::now() < deadline
        && followers
            .iter()
            .any(|f| f.events.load(std::sync::atomic::Ordering::Relaxed) < events)
    {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::rows::per_second;
    use super::*;

    #[test]
    fn cpu_per_second_is_microseconds_over_the_window() {
        assert_eq!(
            per_second(Duration::from_millis(3), Duration::from_secs(2)),
            1_500.0
        );
    }

    #[test]
    fn the_follower_counts_start_at_one_so_the_first_is_the_basis() {
        assert_eq!(FOLLOWERS[0], 1);
        assert!(FOLLOWERS.windows(2).all(|w| w[0] < w[1]));
    }
}
