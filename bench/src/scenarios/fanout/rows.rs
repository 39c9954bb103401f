//! The rows of `feed-fanout`: one per follower count for the revoking phase (delivery to the
//! last follower, revocations per second, CPU per revocation split between the auth replica
//! and the clients) and one for the idle cost of the followers (heartbeats).

use std::time::{Duration, Instant};

use super::clients::{Heard, Revoking};
use super::{GIVE_UP, IN_FLIGHT, IdleCpu};
use crate::report::{Row, Verdict};
use crate::scenarios::process_rss;
use crate::scenarios::revocation::TARGET_P99_MICROS;
use crate::stats::Samples;

/// "1 follower", "4 followers".
pub(super) fn followers(n: usize) -> String {
    if n == 1 {
        "1 follower".into()
    } else {
        format!("{n} followers")
    }
}

/// Microseconds per second of `cpu` over `window`.
pub(super) fn per_second(cpu: Duration, window: Duration) -> f64 {
    cpu.as_secs_f64() * 1e6 / window.as_secs_f64().max(1e-9)
}

/// The idle row of `n` followers: the auth side's CPU with them against two windows with
/// none, and what each follower heard.
pub(super) fn idle_row(
    n: usize,
    idle: Duration,
    alone: &[IdleCpu; 2],
    followed: &IdleCpu,
    heartbeats: usize,
) -> Row {
    let with = per_second(followed.auth, followed.window);
    let [first, second] = alone.each_ref().map(|a| per_second(a.auth, a.window));
    let without = (first + second) / 2.0;
    let each = (with - without) / n as f64;
    let spread = (first - second).abs();
    // Within twice the spread of two windows with none, the difference is noise (the
    // replica's own idle work, the head poll among it, varies more than a few heartbeats cost).
    let measurable = heartbeats > 0 && (with - without).abs() > 2.0 * spread;
    let mut row = Row::empty(format!("feed-fanout: idle, {}", followers(n)));
    // The auth side's CPU per heartbeat sent: what a follower costs while nothing happens.
    row.cpu_us =
        measurable.then(|| (with - without) * followed.window.as_secs_f64() / heartbeats as f64);
    row.rss = process_rss();
    let verdict = if measurable {
        format!(
            "{each:.0} ± {:.0} µs of CPU per second per follower",
            spread / n as f64
        )
    } else {
        format!(
            "not above the noise (±{:.0} µs/s per follower)",
            spread / n as f64
        )
    };
    row.noted(format!(
        "auth replica: {verdict} ({with:.0} µs/s with {n}; {first:.0} and {second:.0} with \
         none; windows of {:.1} s); {heartbeats} heartbeats (one per second per follower); \
         each follower's own: {:.0} µs/s",
        idle.as_secs_f64(),
        per_second(followed.clients, followed.window) / n as f64
    ))
}

/// The revoking phase's row, and the auth side's CPU per revocation.
pub(super) fn revoking_row(
    n: usize,
    rate: f64,
    revoking: &Revoking,
    heard: &[Heard],
    cpu: Duration,
    clients_cpu: Duration,
) -> (Row, Option<f64>) {
    let mut last = Samples::with_capacity(revoking.revoked.len());
    let mut every = Samples::with_capacity(revoking.revoked.len() * n);
    let (mut unheard, mut early) = (0_u64, 0_usize);
    for revoked in &revoking.revoked {
        let arrivals: Option<Vec<Instant>> = heard
            .iter()
            .map(|h| h.events.get(&revoked.sid).copied())
            .collect();
        let Some(arrivals) = arrivals else {
            unheard += 1;
            continue;
        };
        let mut slowest = Duration::ZERO;
        for at in arrivals {
            // The streams are woken by the revoking transaction's commit, before the response
            // is sent: a follower may hear before the revoker does (counted, and taken as 0).
            early += usize::from(at < revoked.returned);
            let late = at.saturating_duration_since(revoked.returned);
            every.record(late);
            slowest = slowest.max(late);
        }
        last.record(slowest);
    }
    let count = revoking.revoked.len() as u64 + revoking.errors;
    let auth_cpu = cpu.saturating_sub(clients_cpu);
    let auth_us = (count > 0).then(|| auth_cpu.as_secs_f64() * 1e6 / count as f64);
    let mut row = Row::empty(format!("feed-fanout: {}", followers(n)));
    row.throughput = Some(crate::stats::throughput(
        revoking.revoked.len() as u64,
        revoking.elapsed,
    ));
    row.latency = last.summary();
    row.ok = row.latency.map_or(0, |l| l.count as u64);
    row.errors = revoking.errors + unheard;
    row.error_examples = revoking.examples.clone();
    if unheard > 0 {
        row.error_examples.push(format!(
            "{unheard} revocations not heard by every follower within {GIVE_UP:?}"
        ));
    }
    row.cpu_us = (count > 0).then(|| cpu.as_secs_f64() * 1e6 / count as f64);
    row.rss = process_rss();
    let p99 = row.latency.map_or(u64::MAX, |l| l.p99);
    let all_p50 = every.summary().map_or(0, |l| l.p50);
    let row = row
        .judged(
            "last follower p99 ≤ 50 ms (revocation-latency's)",
            Verdict::check(p99 <= TARGET_P99_MICROS, || {
                format!("p99 {:.1} ms", p99 as f64 / 1000.0)
            }),
        )
        .noted(format!(
            "Logout → event at the last of {n}; {rate:.0}/s offered, {} in flight at most; CPU per revocation: auth replica and its database {:.0} µs, revoker and followers {:.0} µs; every delivery p50 {:.3} ms; {early} of {} heard before Logout returned",
            IN_FLIGHT,
            auth_us.unwrap_or(0.0),
            clients_cpu.as_secs_f64() * 1e6 / count.max(1) as f64,
            all_p50 as f64 / 1000.0,
            revoking.revoked.len() * n,
        ));
    (row, auth_us)
}
