//! `soak`: mixed traffic for `--soak-duration` (10 minutes in the documented run) against both
//! services in this process, sampling every few seconds the process's resident memory, its
//! open file descriptors and the p99 latency of the window; then judges whether each stayed
//! flat and draws the chart (SVG).
//!
//! The traffic, all at once: workout CRUD (create, get, list, delete) by several users, refresh
//! rotation chains, sign-ins at production Argon2 cost each followed by a sign-out (a
//! revocation on the feed), and consumers of the revocation feed that follow it for a few
//! seconds, then reconnect. Access tokens are refreshed before they expire, as a client does.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use shared::pb::auth::v1::auth_service_client::AuthServiceClient;
use shared::pb::auth::v1::token_introspection_service_client::TokenIntrospectionServiceClient;
use shared::pb::auth::v1::{LogoutRequest, RefreshRequest, TokenPair, WatchRevocationsRequest};
use shared::pb::fitness::v1::workout_service_client::WorkoutServiceClient;
use shared::pb::fitness::v1::{
    CreateWorkoutRequest, DeleteWorkoutRequest, GetWorkoutRequest, ListWorkoutsRequest, Workout,
    WorkoutType,
};
use tonic::transport::Channel;

use super::{Ctx, setup};
use crate::machine::Rss;
use crate::report::{Row, Verdict};
use crate::stack::{self, Argon2Cost, SERVICE_KEY};
use crate::stats::percentile;

/// Users doing CRUD at once.
const CRUD_USERS: usize = 4;
/// Refresh chains rotating at once.
const REFRESH_CHAINS: usize = 2;
/// Feed consumers following at once.
const FEED_CONSUMERS: usize = 2;
/// How long a feed consumer follows before it reconnects.
const FOLLOW_FOR: Duration = Duration::from_secs(5);
/// Pause between two refreshes of one chain, so rotation does not crowd out the rest.
const REFRESH_PAUSE: Duration = Duration::from_millis(10);
/// An access token is refreshed once it is this old (they live 10 minutes).
const TOKEN_AGE: Duration = Duration::from_secs(240);
/// The part of the run before the first sample counted: warm-up.
const WARM_UP: f64 = 0.2;

/// What happened in one sampling window.
#[derive(Debug, Default)]
struct Window {
    /// Latency of CRUD calls and refreshes, µs.
    interactive: Vec<u64>,
    /// Latency of sign-ins, µs.
    logins: Vec<u64>,
    errors: u64,
    first_error: Option<String>,
}

/// One sample of the run.
#[derive(Debug, Clone, Copy)]
struct Sample {
    /// Seconds since the start.
    at: f64,
    rss_mib: f64,
    fds: usize,
    /// p99 of CRUD and refresh calls in the window, ms.
    p99_ms: Option<f64>,
    /// p99 of sign-ins in the window, ms.
    login_p99_ms: Option<f64>,
    /// Calls per second in the window.
    rate: f64,
}

/// Where the workers record.
#[derive(Debug, Default)]
struct Recorder {
    window: Mutex<Window>,
}

impl Recorder {
    fn lock(&self) -> std::sync::MutexGuard<'_, Window> {
        // Pushes and swaps only: a panic cannot leave a window torn.
        self.window.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn interactive(&self, started: Instant) {
        self.lock().interactive.push(micros(started));
    }

    fn login(&self, started: Instant) {
        self.lock().logins.push(micros(started));
    }

    fn error(&self, what: &str, status: &tonic::Status) {
        let mut window = self.lock();
        window.errors += 1;
        if window.first_error.is_none() {
            window.first_error = Some(format!("{what}: {status}"));
        }
    }

    fn take(&self) -> Window {
        std::mem::take(&mut *self.lock())
    }
}

fn micros(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX)
}

/// Runs the scenario.
pub async fn run(ctx: &Ctx) -> Result<Vec<Row>> {
    let backend = ctx.plan.backend;
    let auth = stack::start_auth(backend, Argon2Cost::Production).await?;
    let fitness = stack::start_fitness(backend, auth.url(), false).await?;
    let auth_channel = stack::channels(auth.addr, 1).await?.remove(0);
    let fitness_channel = stack::channels(fitness.addr, 1).await?.remove(0);
    let tag = setup::run_tag();
    let users = setup::register_many(&auth_channel, &format!("soak{tag}"), CRUD_USERS + 1).await?;

    let recorder = Arc::new(Recorder::default());
    let started = Instant::now();
    let end = started + ctx.plan.soak;
    let mut tasks = tokio::task::JoinSet::new();
    let (signer, crud_users) = users.split_first().context("no users")?;
    for user in crud_users {
        tasks.spawn(crud(
            auth_channel.clone(),
            fitness_channel.clone(),
            user.tokens.clone(),
            Arc::clone(&recorder),
            end,
        ));
    }
    for _ in 0..REFRESH_CHAINS {
        let pair = setup::login(&auth_channel, &signer.username).await?;
        tasks.spawn(refresh_chain(
            auth_channel.clone(),
            pair,
            Arc::clone(&recorder),
            end,
        ));
    }
    tasks.spawn(sign_in_and_out(
        auth_channel.clone(),
        signer.username.clone(),
        Arc::clone(&recorder),
        end,
    ));
    for _ in 0..FEED_CONSUMERS {
        tasks.spawn(follow_feed(
            auth_channel.clone(),
            Arc::clone(&recorder),
            end,
        ));
    }

    let interval = if ctx.plan.quick {
        Duration::from_millis(500)
    } else {
        Duration::from_secs(5)
    };
    let mut samples = Vec::new();
    let mut errors = 0;
    let mut first_error = None;
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
    while Instant::now() < end {
        ticks.tick().await;
        let window = recorder.take();
        errors += window.errors;
        first_error = first_error.or(window.first_error.clone());
        samples.push(sample(started, interval, window));
    }
    while let Some(done) = tasks.join_next().await {
        done.context("a soak worker panicked")?;
    }
    let last = recorder.take();
    errors += last.errors;
    first_error = first_error.or(last.first_error);

    fitness.stop().await?;
    auth.stop().await?;

    let chart = chart_path(ctx);
    std::fs::write(&chart, chart_svg(&samples, ctx.plan.soak))
        .with_context(|| format!("write {}", chart.display()))?;
    Ok(rows(ctx, &samples, errors, first_error, &chart))
}

fn sample(started: Instant, interval: Duration, mut window: Window) -> Sample {
    let p99 = |values: &mut Vec<u64>| {
        values.sort_unstable();
        percentile(values, 99.0).map(|us| us as f64 / 1000.0)
    };
    let calls = window.interactive.len() + window.logins.len();
    Sample {
        at: started.elapsed().as_secs_f64(),
        rss_mib: Rss::of_self().map_or(0.0, Rss::now_mib),
        fds: std::fs::read_dir("/proc/self/fd").map_or(0, Iterator::count),
        p99_ms: p99(&mut window.interactive),
        login_p99_ms: p99(&mut window.logins),
        rate: calls as f64 / interval.as_secs_f64(),
    }
}

/// CRUD by one user: create, get, list, delete, over and over; the token refreshed as it ages.
async fn crud(
    auth: Channel,
    fitness: Channel,
    mut tokens: TokenPair,
    recorder: Arc<Recorder>,
    end: Instant,
) {
    let mut client = WorkoutServiceClient::new(fitness);
    let mut issued = Instant::now();
    let mut n = 0u64;
    while Instant::now() < end {
        if issued.elapsed() > TOKEN_AGE {
            let started = Instant::now();
            match refresh(&auth, &tokens).await {
                Ok(pair) => {
                    recorder.interactive(started);
                    tokens = pair;
                    issued = Instant::now();
                }
                Err(status) => recorder.error("Refresh", &status),
            }
        }
        n += 1;
        let Ok(token) = setup::bearer(&tokens.access_token) else {
            return;
        };
        let started = Instant::now();
        let created = client
            .create_workout(authorised(
                CreateWorkoutRequest {
                    workout: Some(Workout {
                        title: format!("soak {n}"),
                        date: "2026-01-15".into(),
                        workout_type: WorkoutType::Cardio as i32,
                        ..Workout::default()
                    }),
                    request_id: uuid::Uuid::now_v7().to_string(),
                },
                &token,
            ))
            .await;
        let id = match created {
            Ok(workout) => {
                recorder.interactive(started);
                workout.into_inner().id
            }
            Err(status) => {
                recorder.error("CreateWorkout", &status);
                continue;
            }
        };
        let started = Instant::now();
        match client
            .get_workout(authorised(
                GetWorkoutRequest {
                    include_entries: false,
                    id: id.clone(),
                    include_exercises: false,
                },
                &token,
            ))
            .await
        {
            Ok(_) => recorder.interactive(started),
            Err(status) => recorder.error("GetWorkout", &status),
        }
        let started = Instant::now();
        match client
            .list_workouts(authorised(
                ListWorkoutsRequest {
                    page_size: 20,
                    ..ListWorkoutsRequest::default()
                },
                &token,
            ))
            .await
        {
            Ok(_) => recorder.interactive(started),
            Err(status) => recorder.error("ListWorkouts", &status),
        }
        let started = Instant::now();
        match client
            .delete_workout(authorised(DeleteWorkoutRequest { id }, &token))
            .await
        {
            Ok(_) => recorder.interactive(started),
            Err(status) => recorder.error("DeleteWorkout", &status),
        }
    }
}

/// `message` with `authorization: <token>`.
fn authorised<T>(message: T, token: &tonic::metadata::AsciiMetadataValue) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request
        .metadata_mut()
        .insert("authorization", token.clone());
    request
}

async fn refresh(auth: &Channel, tokens: &TokenPair) -> Result<TokenPair, tonic::Status> {
    AuthServiceClient::new(auth.clone())
        .refresh(RefreshRequest {
            refresh_token: tokens.refresh_token.clone(),
        })
        .await?
        .into_inner()
        .tokens
        .ok_or_else(|| tonic::Status::internal("Refresh returned no tokens"))
}

/// One session's refresh chain, rotated over and over.
async fn refresh_chain(
    auth: Channel,
    mut tokens: TokenPair,
    recorder: Arc<Recorder>,
    end: Instant,
) {
    while Instant::now() < end {
        let started = Instant::now();
        match refresh(&auth, &tokens).await {
            Ok(pair) => {
                recorder.interactive(started);
                tokens = pair;
            }
            Err(status) => {
                // A chain whose token failed cannot go on.
                recorder.error("Refresh", &status);
                return;
            }
        }
        tokio::time::sleep(REFRESH_PAUSE).await;
    }
}

/// Signs `username` in (a production-cost hash) and out (a revocation), over and over.
async fn sign_in_and_out(auth: Channel, username: String, recorder: Arc<Recorder>, end: Instant) {
    let mut client = AuthServiceClient::new(auth.clone());
    while Instant::now() < end {
        let started = Instant::now();
        let pair = match setup::login(&auth, &username).await {
            Ok(pair) => {
                recorder.login(started);
                pair
            }
            Err(err) => {
                recorder.error("Login", &tonic::Status::unknown(format!("{err:#}")));
                continue;
            }
        };
        if let Err(status) = client
            .logout(LogoutRequest {
                refresh_token: pair.refresh_token,
            })
            .await
        {
            recorder.error("Logout", &status);
        }
    }
}

/// A feed consumer: follows the feed for a while, then reconnects, as a resource server does
/// when its connection is recycled.
async fn follow_feed(auth: Channel, recorder: Arc<Recorder>, end: Instant) {
    let mut client = TokenIntrospectionServiceClient::new(auth);
    let Ok(key) = setup::ascii(SERVICE_KEY) else {
        return;
    };
    while Instant::now() < end {
        let mut request = tonic::Request::new(WatchRevocationsRequest::default());
        request
            .metadata_mut()
            .insert("x-stride-service-key", key.clone());
        let mut stream = match client.watch_revocations(request).await {
            Ok(stream) => stream.into_inner(),
            Err(status) => {
                recorder.error("WatchRevocations", &status);
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            }
        };
        let until = (Instant::now() + FOLLOW_FOR).min(end);
        while let Ok(Ok(Some(_))) = tokio::time::timeout(
            until.saturating_duration_since(Instant::now()),
            stream.message(),
        )
        .await
        {}
    }
}

fn chart_path(ctx: &Ctx) -> PathBuf {
    ctx.plan.soak_chart.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("stride-soak-{}.svg", setup::run_tag()))
    })
}

/// Whether `values` (after the warm-up) stayed flat: the mean of the last quarter at most
/// `slack` above the mean of the first quarter.
fn flat(values: &[f64], slack: impl Fn(f64) -> f64) -> Option<(f64, f64, bool)> {
    let counted = &values[((values.len() as f64) * WARM_UP) as usize..];
    let quarter = counted.len() / 4;
    if quarter == 0 {
        return None;
    }
    let mean = |part: &[f64]| part.iter().sum::<f64>() / part.len() as f64;
    let first = mean(&counted[..quarter]);
    let last = mean(&counted[counted.len() - quarter..]);
    Some((first, last, last <= first + slack(first)))
}

fn rows(
    ctx: &Ctx,
    samples: &[Sample],
    errors: u64,
    first_error: Option<String>,
    chart: &std::path::Path,
) -> Vec<Row> {
    let judged = !ctx.plan.quick && samples.len() >= 20;
    let rss: Vec<f64> = samples.iter().map(|s| s.rss_mib).collect();
    let fds: Vec<f64> = samples.iter().map(|s| s.fds as f64).collect();
    let p99: Vec<f64> = samples.iter().filter_map(|s| s.p99_ms).collect();
    let rate: Vec<f64> = samples.iter().map(|s| s.rate).collect();
    let minutes = ctx.plan.soak.as_secs_f64() / 60.0;

    let mut summary = Row::empty(format!("soak ({minutes:.1} min, mixed)"));
    summary.throughput = Some(rate.iter().sum::<f64>() / rate.len().max(1) as f64);
    summary.errors = errors;
    summary.ok = samples.len() as u64;
    summary.error_examples = first_error.into_iter().collect();
    summary.rss = samples
        .last()
        .map(|s| format!("{:.1} MiB (process)", s.rss_mib))
        .unwrap_or_default();
    let summary = summary.noted(format!(
        "{} samples; chart: {}",
        samples.len(),
        chart.display()
    ));

    let checks = [
        (
            "soak: resident memory",
            "flat: last quarter ≤ first + max(10 %, 8 MiB)",
            flat(&rss, |first| (first * 0.10).max(8.0)),
            "MiB",
        ),
        (
            "soak: open file descriptors",
            "flat: last quarter ≤ first + 8",
            flat(&fds, |_| 8.0),
            "fds",
        ),
        (
            "soak: p99 of CRUD and refresh",
            "flat: last quarter ≤ 2 × first",
            flat(&p99, |first| first),
            "ms",
        ),
    ];
    if !judged {
        // Too short to judge flatness: the figures go in the summary's note.
        let seen: Vec<String> = checks
            .iter()
            .filter_map(|(name, _, result, unit)| {
                result.map(|(first, last, _)| format!("{name}: {first:.1} → {last:.1} {unit}"))
            })
            .collect();
        let note = format!("{}; {} (too short to judge)", summary.note, seen.join(", "));
        return vec![summary.noted(note)];
    }
    let mut rows = vec![summary];
    for (name, target, result, unit) in checks {
        let row = match result {
            Some((first, last, ok)) => Row::empty(name)
                .judged(
                    target,
                    Verdict::check(ok, || format!("{first:.1} → {last:.1} {unit}")),
                )
                .noted(format!(
                    "first quarter {first:.1} {unit}, last quarter {last:.1} {unit}"
                )),
            None => Row::skipped(name, "too few samples"),
        };
        rows.push(row);
    }
    rows
}

/// Points of one line of the chart: (seconds, value when there is one).
type Series = Vec<(f64, Option<f64>)>;

/// Three panels over time: resident memory, open descriptors, p99 latency (CRUD and refresh;
/// sign-ins dashed).
fn chart_svg(samples: &[Sample], length: Duration) -> String {
    const WIDTH: f64 = 900.0;
    const PANEL: f64 = 170.0;
    const LEFT: f64 = 70.0;
    const RIGHT: f64 = 20.0;
    const GAP: f64 = 40.0;
    let span = length.as_secs_f64().max(1.0);
    let x = |at: f64| LEFT + (at / span).min(1.0) * (WIDTH - LEFT - RIGHT);
    let mut svg = String::new();
    let height = 3.0 * (PANEL + GAP) + 30.0;
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height}\" \
         font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    );
    let panels: [(&str, Series, Series); 3] = [
        (
            "resident memory (MiB)",
            samples.iter().map(|s| (s.at, Some(s.rss_mib))).collect(),
            Vec::new(),
        ),
        (
            "open file descriptors",
            samples.iter().map(|s| (s.at, Some(s.fds as f64))).collect(),
            Vec::new(),
        ),
        (
            "p99 latency (ms): CRUD and refresh; sign-ins dashed",
            samples.iter().map(|s| (s.at, s.p99_ms)).collect(),
            samples.iter().map(|s| (s.at, s.login_p99_ms)).collect(),
        ),
    ];
    for (i, (title, line, dashed)) in panels.iter().enumerate() {
        let top = 20.0 + i as f64 * (PANEL + GAP);
        let max = line
            .iter()
            .chain(dashed.iter())
            .filter_map(|(_, v)| *v)
            .fold(0.0_f64, f64::max)
            .max(1.0)
            * 1.15;
        let y = |v: f64| top + PANEL - (v / max) * PANEL;
        let _ = writeln!(
            svg,
            "<text x=\"{LEFT}\" y=\"{}\" font-weight=\"bold\">{title}</text>",
            top - 6.0
        );
        let _ = writeln!(
            svg,
            "<rect x=\"{LEFT}\" y=\"{top}\" width=\"{}\" height=\"{PANEL}\" fill=\"none\" stroke=\"#999\"/>",
            WIDTH - LEFT - RIGHT
        );
        for step in 0..=4 {
            let value = max * f64::from(step) / 4.0;
            let _ = writeln!(
                svg,
                "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"#555\">{value:.1}</text>\
                 <line x1=\"{LEFT}\" x2=\"{}\" y1=\"{yy}\" y2=\"{yy}\" stroke=\"#eee\"/>",
                LEFT - 6.0,
                y(value) + 4.0,
                WIDTH - RIGHT,
                yy = y(value)
            );
        }
        for (points, style) in [
            (line, "stroke=\"#1f77b4\" stroke-width=\"2\""),
            (
                dashed,
                "stroke=\"#d62728\" stroke-width=\"1.5\" stroke-dasharray=\"5,4\"",
            ),
        ] {
            let path: Vec<String> = points
                .iter()
                .filter_map(|(at, v)| v.map(|v| format!("{:.1},{:.1}", x(*at), y(v))))
                .collect();
            if !path.is_empty() {
                let _ = writeln!(
                    svg,
                    "<polyline fill=\"none\" {style} points=\"{}\"/>",
                    path.join(" ")
                );
            }
        }
    }
    let bottom = 20.0 + 3.0 * (PANEL + GAP) - GAP + 16.0;
    for step in 0..=5 {
        let at = span * f64::from(step) / 5.0;
        let _ = writeln!(
            svg,
            "<text x=\"{:.1}\" y=\"{bottom}\" text-anchor=\"middle\" fill=\"#555\">{:.0} s</text>",
            x(at),
            at
        );
    }
    svg.push_str("</svg>\n");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_compares_the_last_quarter_with_the_first_after_the_warm_up() {
        // Warm-up values (the first 20 %) are ignored, however high.
        let mut values = vec![500.0; 5];
        values.extend(std::iter::repeat_n(100.0, 20));
        assert_eq!(flat(&values, |_| 8.0), Some((100.0, 100.0, true)));
        let growing: Vec<f64> = (0..25).map(|i| 100.0 + 5.0 * f64::from(i)).collect();
        let (first, last, ok) = flat(&growing, |_| 8.0).unwrap();
        assert!(last > first + 8.0 && !ok);
        assert_eq!(flat(&[1.0, 2.0], |_| 0.0), None);
    }

    #[test]
    fn the_chart_has_a_panel_per_series() {
        let samples: Vec<Sample> = (0..10)
            .map(|i| Sample {
                at: f64::from(i),
                rss_mib: 30.0,
                fds: 20,
                p99_ms: Some(2.0),
                login_p99_ms: Some(80.0),
                rate: 100.0,
            })
            .collect();
        let svg = chart_svg(&samples, Duration::from_secs(10));
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"));
        assert_eq!(svg.matches("<polyline").count(), 4);
    }
}
