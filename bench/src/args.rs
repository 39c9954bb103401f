//! Command line: `stride-bench <scenario> [--backend sqlite|postgres] [--duration 10s]
//! [--concurrency N] [--requests N] [--quick] [--external]`.

use std::time::Duration;

use clap::{Parser, ValueEnum};
use shared::db::Backend;

/// Load generator for Stride: starts the real services in-process on loopback and measures the
/// scenarios of docs/BENCHMARKS.md. Every run is bounded in requests and in time.
#[derive(Debug, Clone, Parser)]
#[command(name = "stride-bench", version, about, long_about = None)]
pub struct Args {
    /// What to measure (`all` runs every scenario in order).
    #[arg(required_unless_present = "serve_child")]
    pub scenario: Option<Scenario>,
    /// Database of both services. PostgreSQL uses a fresh database per service on the server
    /// named by STRIDE_BENCH_POSTGRES_URL, dropped after the run.
    #[arg(long, value_enum, default_value_t = BackendArg::Sqlite)]
    pub backend: BackendArg,
    /// Measuring time per scenario (after a short warm-up), e.g. `10s`, `500ms`.
    #[arg(long, value_parser = parse_duration)]
    pub duration: Option<Duration>,
    /// Requests in flight at once (closed loop: one per worker).
    #[arg(long)]
    pub concurrency: Option<usize>,
    /// Upper bound of measured requests per scenario, whatever the duration.
    #[arg(long)]
    pub requests: Option<u64>,
    /// A few seconds in all: SQLite, tiny counts. Checks the run is correct, not its speed,
    /// and exits non-zero on any error.
    #[arg(long)]
    pub quick: bool,
    /// Also measure the floor (`health`) and `get-workout` with h2load (Debian's
    /// `nghttp2-client`), a load generator this project did not write, against the same
    /// servers in the same run.
    #[arg(long)]
    pub external: bool,
    /// How long `soak` runs (default 10m; `--quick`: 3s).
    #[arg(long, value_parser = parse_duration)]
    pub soak_duration: Option<Duration>,
    /// Where `soak` writes its chart (SVG; default: a file in the temporary directory).
    #[arg(long)]
    pub soak_chart: Option<std::path::PathBuf>,
    /// Hidden: run one service as a child process for `idle-rss` when no `stride` binary sits
    /// next to this one (configuration from the environment, as `stride serve`).
    #[arg(long, hide = true, value_enum)]
    pub serve_child: Option<ChildService>,
}

/// One benchmark scenario (the table in docs/BENCHMARKS.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Scenario {
    /// Every scenario below, in this order.
    All,
    /// Bare gRPC health `Check` on the fitness service: the floor of this machine.
    Health,
    /// Authenticated `GetWorkout`.
    GetWorkout,
    /// `GetWorkout` with the auth layer switched off (a configuration only the benchmark sets,
    /// in code).
    GetWorkoutNoauth,
    /// `Refresh` rotation; each worker refreshes its own chain.
    Refresh,
    /// `Refresh` on SQLite and on PostgreSQL, interleaved in one run: the default backend
    /// must keep up with PostgreSQL (whatever `--backend` says).
    RefreshBackends,
    /// `IntrospectToken` with the service key.
    Introspect,
    /// `Login` with production Argon2 parameters, against the measured cost of one hash.
    Login,
    /// `RevokeSession` returns → fitness rejects that session's access token.
    RevocationLatency,
    /// `GetWorkout` p99 while a concurrent `Login` storm saturates Argon2.
    LoginStorm,
    /// First page of `ListWorkouts` for a user with few vs very many rows.
    ListWorkouts,
    /// Sets: ListWorkouts, exercise history and a records-recomputing edit for a user with
    /// 1k vs 1M sets, and a workout of 30 entries × 5 sets written and read back.
    Training,
    /// Each web console page's server-side response time (p50, p99) with 1,000 users and
    /// 100,000 workouts, signed in as an admin through the sign-in form.
    ConsolePages,
    /// Resident memory of each service, idle, as its own process.
    IdleRss,
    /// Authenticated `GetWorkout` over HTTP/JSON through the real Envoy versus gRPC direct.
    Gateway,
    /// The revocation feed's cost and delivery latency with 1, 4 and 16 consumers.
    FeedFanout,
    /// One versus two replicas of each service on one PostgreSQL: throughput and CPU per
    /// request, and a revocation's latency from one auth replica to a fitness replica
    /// following the other.
    Replicas,
    /// Mixed traffic for `--soak-duration`, sampling each service's memory, open files and
    /// p99 latency; draws the chart.
    Soak,
}

impl Scenario {
    /// Every concrete scenario, in the order `all` runs them.
    pub const EVERY: [Scenario; 17] = [
        Scenario::Health,
        Scenario::GetWorkoutNoauth,
        Scenario::GetWorkout,
        Scenario::Refresh,
        Scenario::RefreshBackends,
        Scenario::Introspect,
        Scenario::Login,
        Scenario::RevocationLatency,
        Scenario::LoginStorm,
        Scenario::ListWorkouts,
        Scenario::Training,
        Scenario::ConsolePages,
        Scenario::IdleRss,
        Scenario::Gateway,
        Scenario::FeedFanout,
        Scenario::Replicas,
        Scenario::Soak,
    ];

    /// The scenarios this argument selects.
    pub fn expand(self) -> Vec<Scenario> {
        match self {
            Scenario::All => Self::EVERY.to_vec(),
            one => vec![one],
        }
    }

    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::All => "all",
            Scenario::Health => "health",
            Scenario::GetWorkout => "get-workout",
            Scenario::GetWorkoutNoauth => "get-workout-noauth",
            Scenario::Refresh => "refresh",
            Scenario::RefreshBackends => "refresh-backends",
            Scenario::Introspect => "introspect",
            Scenario::Login => "login",
            Scenario::RevocationLatency => "revocation-latency",
            Scenario::LoginStorm => "login-storm",
            Scenario::ListWorkouts => "list-workouts",
            Scenario::Training => "training",
            Scenario::ConsolePages => "console-pages",
            Scenario::IdleRss => "idle-rss",
            Scenario::Gateway => "gateway",
            Scenario::FeedFanout => "feed-fanout",
            Scenario::Replicas => "replicas",
            Scenario::Soak => "soak",
        }
    }
}

/// `--backend`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BackendArg {
    /// An SQLite file per service in a temporary directory.
    Sqlite,
    /// A fresh database per service on STRIDE_BENCH_POSTGRES_URL.
    Postgres,
}

impl From<BackendArg> for Backend {
    fn from(arg: BackendArg) -> Self {
        match arg {
            BackendArg::Sqlite => Backend::Sqlite,
            BackendArg::Postgres => Backend::Postgres,
        }
    }
}

/// `--serve-child`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ChildService {
    /// The auth service.
    Auth,
    /// The fitness service.
    Fitness,
}

/// Parses `500ms`, `10s`, `2m` (a bare number is seconds).
pub fn parse_duration(raw: &str) -> Result<Duration, String> {
    let raw = raw.trim();
    let split = raw.find(|c: char| !c.is_ascii_digit()).unwrap_or(raw.len());
    let (number, unit) = raw.split_at(split);
    let value: u64 = number
        .parse()
        .map_err(|_| format!("`{raw}`: expected a number with ms, s or m, e.g. 10s"))?;
    let duration = match unit {
        "ms" => Duration::from_millis(value),
        "" | "s" => Duration::from_secs(value),
        "m" => Duration::from_secs(value.saturating_mul(60)),
        _ => return Err(format!("`{raw}`: unknown unit `{unit}` (ms, s or m)")),
    };
    if duration.is_zero() {
        return Err(format!("`{raw}`: must be greater than zero"));
    }
    Ok(duration)
}

/// The limits every scenario runs under, after defaults and `--quick` are applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Backend of both services.
    pub backend: Backend,
    /// Measuring time of one load phase.
    pub duration: Duration,
    /// Requests in flight, for the throughput scenarios.
    pub concurrency: usize,
    /// Upper bound of measured requests of one load phase.
    pub requests: u64,
    /// Quick mode: tiny counts, correctness only.
    pub quick: bool,
    /// `--external`: h2load measures the floor and `get-workout` too.
    pub external: bool,
    /// Revocations measured by `revocation-latency`.
    pub revocations: usize,
    /// Rows of the small and the large user of `list-workouts`, and sets of those of
    /// `training`.
    pub list_rows: (u64, u64),
    /// How long `soak` runs.
    pub soak: Duration,
    /// Where `soak` writes its chart.
    pub soak_chart: Option<std::path::PathBuf>,
}

/// Default in-flight requests: enough to keep 2 cores busy through the loopback round trip.
pub const DEFAULT_CONCURRENCY: usize = 32;

impl Args {
    /// Resolves the defaults. `--quick` forces SQLite and tiny counts unless overridden.
    pub fn plan(&self) -> Result<Plan, String> {
        if self.quick && self.backend == BackendArg::Postgres {
            return Err("--quick runs on SQLite only; drop --backend postgres".into());
        }
        if self.concurrency == Some(0) {
            return Err("--concurrency must be at least 1".into());
        }
        if self.requests == Some(0) {
            return Err("--requests must be at least 1".into());
        }
        let (duration, requests, concurrency, revocations, list_rows) = if self.quick {
            (Duration::from_millis(300), 300, 8, 5, (1_000, 20_000))
        } else {
            (
                Duration::from_secs(10),
                2_000_000,
                DEFAULT_CONCURRENCY,
                200,
                (1_000, 1_000_000),
            )
        };
        Ok(Plan {
            backend: self.backend.into(),
            duration: self.duration.unwrap_or(duration),
            concurrency: self.concurrency.unwrap_or(concurrency),
            requests: self.requests.unwrap_or(requests),
            quick: self.quick,
            external: self.external,
            revocations,
            list_rows,
            soak: self.soak_duration.unwrap_or(if self.quick {
                Duration::from_secs(3)
            } else {
                Duration::from_secs(600)
            }),
            soak_chart: self.soak_chart.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Args, clap::Error> {
        Args::try_parse_from(std::iter::once("stride-bench").chain(args.iter().copied()))
    }

    #[test]
    fn durations_take_milliseconds_seconds_and_minutes() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("7"), Ok(Duration::from_secs(7)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
    }

    #[test]
    fn a_zero_negative_or_unitless_garbage_duration_is_refused() {
        for raw in ["0s", "-1s", "ten", "5h", "", "1.5s"] {
            assert!(parse_duration(raw).is_err(), "{raw}");
        }
    }

    #[test]
    fn every_option_is_read() {
        let args = parse(&[
            "get-workout",
            "--backend",
            "postgres",
            "--duration",
            "3s",
            "--concurrency",
            "64",
            "--requests",
            "1000",
        ])
        .unwrap();
        assert_eq!(args.scenario, Some(Scenario::GetWorkout));
        let plan = args.plan().unwrap();
        assert_eq!(plan.backend, Backend::Postgres);
        assert_eq!(plan.duration, Duration::from_secs(3));
        assert_eq!(plan.concurrency, 64);
        assert_eq!(plan.requests, 1000);
        assert!(!plan.quick);
    }

    #[test]
    fn defaults_measure_ten_seconds_at_32_in_flight_on_sqlite() {
        let plan = parse(&["health"]).unwrap().plan().unwrap();
        assert_eq!(plan.backend, Backend::Sqlite);
        assert_eq!(plan.duration, Duration::from_secs(10));
        assert_eq!(plan.concurrency, DEFAULT_CONCURRENCY);
        assert_eq!(plan.list_rows, (1_000, 1_000_000));
    }

    #[test]
    fn quick_mode_shrinks_every_count_but_keeps_explicit_overrides() {
        let plan = parse(&["all", "--quick"]).unwrap().plan().unwrap();
        assert!(plan.quick);
        assert!(plan.duration <= Duration::from_secs(1));
        assert!(plan.list_rows.1 <= 20_000);
        let plan = parse(&["all", "--quick", "--duration", "2s"])
            .unwrap()
            .plan()
            .unwrap();
        assert_eq!(plan.duration, Duration::from_secs(2));
    }

    #[test]
    fn quick_mode_on_postgres_is_refused() {
        let args = parse(&["all", "--quick", "--backend", "postgres"]).unwrap();
        assert!(args.plan().is_err());
    }

    #[test]
    fn zero_concurrency_or_requests_is_refused() {
        assert!(
            parse(&["health", "--concurrency", "0"])
                .unwrap()
                .plan()
                .is_err()
        );
        assert!(
            parse(&["health", "--requests", "0"])
                .unwrap()
                .plan()
                .is_err()
        );
    }

    #[test]
    fn unknown_scenarios_and_backends_are_refused() {
        assert!(parse(&["everything"]).is_err());
        assert!(parse(&["health", "--backend", "mysql"]).is_err());
        assert!(parse(&[]).is_err());
    }

    #[test]
    fn all_expands_to_every_scenario_once_and_names_round_trip() {
        let every = Scenario::All.expand();
        assert_eq!(every.len(), Scenario::EVERY.len());
        assert!(!every.contains(&Scenario::All));
        for scenario in every {
            let parsed = parse(&[scenario.name()]).unwrap();
            assert_eq!(parsed.scenario, Some(scenario));
        }
    }
}
