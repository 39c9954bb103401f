//! Targets judged against the floor measured in the same run: the `health` scenario (a bare
//! gRPC round trip on the same machine, client and runtime, no work). Absolute figures drift
//! by a third between runs on a shared 2-core machine; a ratio to the floor measured minutes
//! apart in one run hardly moves. CPU per request is judged as it is: noise from other
//! processes does not enter it.

use shared::db::Backend;

use crate::external::SUFFIX;
use crate::report::{Row, Verdict};

/// Name of the floor's row.
pub const FLOOR_ROW: &str = "health (floor)";
/// Authenticated `GetWorkout`: at least this fraction of the floor.
pub const GET_WORKOUT_OF_FLOOR: f64 = 0.50;
/// `IntrospectToken`: at least this fraction of the floor.
pub const INTROSPECT_OF_FLOOR: f64 = 0.60;
/// `Refresh` on PostgreSQL: at most this much CPU per request, services and PostgreSQL.
pub const REFRESH_CPU_US: f64 = 400.0;

/// The floors of this run: measured by our load generator, and by h2load (`--external`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Floors {
    /// req/s of [`FLOOR_ROW`].
    pub ours: Option<f64>,
    /// req/s of [`FLOOR_ROW`] measured by h2load.
    pub external: Option<f64>,
}

impl Floors {
    /// Notes `row` if it is a floor.
    pub fn note(&mut self, row: &Row) {
        if !row.measured() {
            return;
        }
        if row.name == FLOOR_ROW {
            self.ours = row.throughput;
        } else if row.name == format!("{FLOOR_ROW}{SUFFIX}") {
            self.external = row.throughput;
        }
    }

    /// Sets the row's ratio to the floor its own load generator measured and judges the rows
    /// whose targets are ratios or CPU.
    pub fn judge(&self, row: &mut Row, backend: Backend) {
        let floor = if row.name.ends_with(SUFFIX) {
            self.external
        } else {
            self.ours
        };
        judge(row, floor, backend);
    }
}

/// Sets the row's ratio to `floor` (req/s of the floor row, when measured) and judges the
/// rows whose targets are ratios or CPU; rows measured by h2load by the same targets.
pub fn judge(row: &mut Row, floor: Option<f64>, backend: Backend) {
    if row.name.starts_with(FLOOR_ROW) || !row.measured() {
        return;
    }
    row.of_floor = match (row.throughput, floor) {
        (Some(rps), Some(floor)) if floor > 0.0 => Some(rps / floor),
        _ => None,
    };
    let at_least = |row: &mut Row, share: f64| {
        let target = format!("≥ {share:.2} of the floor");
        let verdict = match row.of_floor {
            Some(ratio) => Verdict::check(ratio >= share, || format!("{ratio:.2} of the floor")),
            None => Verdict::Skipped("the floor was not measured".into()),
        };
        row.target = target;
        row.verdict = verdict;
    };
    match row.name.trim_end_matches(SUFFIX) {
        "get-workout" => at_least(row, GET_WORKOUT_OF_FLOOR),
        "introspect" => at_least(row, INTROSPECT_OF_FLOOR),
        "refresh" if backend == Backend::Postgres => {
            row.target = format!("≤ {REFRESH_CPU_US:.0} CPU µs/req (services + PostgreSQL)");
            row.verdict = match row.cpu_us {
                Some(us) => Verdict::check(us <= REFRESH_CPU_US, || format!("{us:.0} µs")),
                None => Verdict::Skipped("CPU not measured".into()),
            };
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::Outcome;
    use std::time::Duration;

    fn row(name: &str, ok: u64, cpu_ms: u64) -> Row {
        Row::from_outcome(
            name,
            &Outcome {
                ok,
                errors: 0,
                error_examples: Vec::new(),
                elapsed: Duration::from_secs(1),
                latency: None,
                cpu: Duration::from_millis(cpu_ms),
            },
        )
    }

    #[test]
    fn ratios_to_the_floor_decide_the_verdicts() {
        let mut fast = row("get-workout", 6_000, 500);
        judge(&mut fast, Some(10_000.0), Backend::Sqlite);
        assert_eq!(fast.of_floor, Some(0.6));
        assert_eq!(fast.verdict, Verdict::Met);
        let mut slow = row("introspect", 5_000, 500);
        judge(&mut slow, Some(10_000.0), Backend::Sqlite);
        assert!(matches!(slow.verdict, Verdict::Missed(ref gap) if gap.contains("0.50")));
        let mut blind = row("introspect", 5_000, 500);
        judge(&mut blind, None, Backend::Sqlite);
        assert!(matches!(blind.verdict, Verdict::Skipped(_)));
    }

    #[test]
    fn refresh_is_judged_on_cpu_on_postgres_only() {
        // 1,000 requests in 0.5 s of CPU: 500 µs each.
        let mut pg = row("refresh", 1_000, 500);
        judge(&mut pg, Some(10_000.0), Backend::Postgres);
        assert!(matches!(pg.verdict, Verdict::Missed(ref gap) if gap.contains("500")));
        let mut lite = row("refresh", 1_000, 500);
        judge(&mut lite, Some(10_000.0), Backend::Sqlite);
        assert_eq!(lite.verdict, Verdict::Info);
        assert_eq!(lite.of_floor, Some(0.1));
    }
}
