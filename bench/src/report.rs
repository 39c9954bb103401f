//! Rows of results, their verdicts against the targets in docs/BENCHMARKS.md, and the printed tables.

use std::fmt::Write as _;

use crate::load::Outcome;
use crate::stats::{Latency, ms};

/// How a figure compares with its target.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// No target: context (the floor, a baseline, a component of a ratio).
    Info,
    /// Meets the target.
    Met,
    /// Misses the target; the text says by how much.
    Missed(String),
    /// Not measured; the text says why.
    Skipped(String),
}

impl Verdict {
    /// `Met` when `ok`, otherwise `Missed(gap)`.
    pub fn check(ok: bool, gap: impl FnOnce() -> String) -> Self {
        if ok {
            Verdict::Met
        } else {
            Verdict::Missed(gap())
        }
    }

    fn label(&self) -> String {
        match self {
            Verdict::Info => String::new(),
            Verdict::Met => "met".into(),
            Verdict::Missed(gap) => format!("MISSED: {gap}"),
            Verdict::Skipped(why) => format!("skipped: {why}"),
        }
    }
}

/// One line of results.
#[derive(Debug, Clone)]
pub struct Row {
    /// Scenario (and phase) name.
    pub name: String,
    /// Successful requests per second, when meaningful.
    pub throughput: Option<f64>,
    /// Latency of successful requests.
    pub latency: Option<Latency>,
    /// Successful requests measured.
    pub ok: u64,
    /// Failed requests.
    pub errors: u64,
    /// CPU microseconds per request, this process and PostgreSQL together.
    pub cpu_us: Option<f64>,
    /// Throughput as a fraction of the floor measured in the same run.
    pub of_floor: Option<f64>,
    /// Examples of the errors.
    pub error_examples: Vec<String>,
    /// Resident memory, as text (what was measured differs per scenario).
    pub rss: String,
    /// The target, as docs/BENCHMARKS.md states it (empty when none).
    pub target: String,
    /// Against the target.
    pub verdict: Verdict,
    /// Anything else worth knowing (a ratio, a ceiling, a count).
    pub note: String,
}

impl Row {
    /// A row from a load phase.
    pub fn from_outcome(name: impl Into<String>, outcome: &Outcome) -> Self {
        Self {
            name: name.into(),
            throughput: Some(outcome.throughput()),
            latency: outcome.latency,
            ok: outcome.ok,
            errors: outcome.errors,
            cpu_us: outcome.cpu_per_request(),
            of_floor: None,
            error_examples: outcome.error_examples.clone(),
            rss: String::new(),
            target: String::new(),
            verdict: Verdict::Info,
            note: String::new(),
        }
    }

    /// A row with no measurement.
    pub fn empty(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            throughput: None,
            latency: None,
            ok: 0,
            errors: 0,
            cpu_us: None,
            of_floor: None,
            error_examples: Vec::new(),
            rss: String::new(),
            target: String::new(),
            verdict: Verdict::Info,
            note: String::new(),
        }
    }

    /// A skipped scenario.
    pub fn skipped(name: impl Into<String>, why: impl Into<String>) -> Self {
        let mut row = Self::empty(name);
        row.verdict = Verdict::Skipped(why.into());
        row
    }

    /// Sets the target and verdict.
    pub fn judged(mut self, target: impl Into<String>, verdict: Verdict) -> Self {
        self.target = target.into();
        self.verdict = verdict;
        self
    }

    /// Sets the note.
    pub fn noted(mut self, note: impl Into<String>) -> Self {
        self.note = note.into();
        self
    }

    /// True when this row measured something (a skipped row did not).
    pub fn measured(&self) -> bool {
        !matches!(self.verdict, Verdict::Skipped(_))
    }

    /// What is wrong with this row for a correctness check: errors, or a measured row with no
    /// successful request.
    pub fn problem(&self) -> Option<String> {
        if !self.measured() {
            return None;
        }
        if self.errors > 0 {
            return Some(format!(
                "{}: {} errors ({})",
                self.name,
                self.errors,
                self.error_examples.join("; ")
            ));
        }
        if self.throughput.is_some() && self.ok == 0 {
            return Some(format!("{}: no successful request", self.name));
        }
        // A derived row (a ratio) carries its verdict instead of figures of its own.
        if self.throughput.is_none()
            && self.latency.is_none()
            && self.rss.is_empty()
            && self.verdict == Verdict::Info
        {
            return Some(format!("{}: produced no figure", self.name));
        }
        None
    }
}

fn rps(row: &Row) -> String {
    row.throughput
        .map_or_else(|| "-".into(), |t| format!("{t:.0}"))
}

fn cpu(row: &Row) -> String {
    row.cpu_us
        .map_or_else(|| "-".into(), |us| format!("{us:.0}"))
}

fn floor(row: &Row) -> String {
    row.of_floor
        .map_or_else(|| "-".into(), |ratio| format!("{ratio:.2}"))
}

fn lat(row: &Row, pick: fn(&Latency) -> u64) -> String {
    row.latency
        .as_ref()
        .map_or_else(|| "-".into(), |l| ms(pick(l)))
}

/// The fixed-width line printed as each row is measured.
pub fn line(row: &Row) -> String {
    let mut out = format!(
        "{:<34} {:>9} req/s {:>5} of floor {:>6} cpu-µs/req  p50 {:>8}  p90 {:>8}  p99 {:>8}  max {:>9} ms  err {:<4} {}",
        row.name,
        rps(row),
        floor(row),
        cpu(row),
        lat(row, |l| l.p50),
        lat(row, |l| l.p90),
        lat(row, |l| l.p99),
        lat(row, |l| l.max),
        row.errors,
        row.rss,
    );
    let verdict = row.verdict.label();
    if !row.target.is_empty() || !verdict.is_empty() {
        let _ = write!(out, "\n{:<34} target {}  → {}", "", row.target, verdict);
    }
    if !row.note.is_empty() {
        let _ = write!(out, "\n{:<34} {}", "", row.note);
    }
    for example in &row.error_examples {
        let _ = write!(out, "\n{:<34} error: {example}", "");
    }
    out
}

/// The results as a Markdown table (what docs/BENCHMARKS.md quotes). "CPU ceiling" is
/// `cpus` seconds of CPU per second over the CPU one request costs: the throughput this stack
/// would reach on this machine with nothing else running, a figure noise hardly moves.
pub fn markdown(rows: &[Row], cpus: usize) -> String {
    let mut out = String::from(
        "| scenario | req/s | of floor | CPU µs/req | CPU ceiling req/s | p50 ms | p90 ms | p99 ms | max ms | errors | RSS | target | verdict | note |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|---|\n",
    );
    for row in rows {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            row.name,
            rps(row),
            floor(row),
            cpu(row),
            row.cpu_us
                .filter(|us| *us > 0.0)
                .map_or_else(|| "-".into(), |us| format!("{:.0}", cpus as f64 * 1e6 / us)),
            lat(row, |l| l.p50),
            lat(row, |l| l.p90),
            lat(row, |l| l.p99),
            lat(row, |l| l.max),
            row.errors,
            row.rss,
            row.target,
            row.verdict.label(),
            row.note,
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn outcome(ok: u64, errors: u64) -> Outcome {
        Outcome {
            ok,
            errors,
            error_examples: if errors > 0 {
                vec!["Unavailable: down".into()]
            } else {
                Vec::new()
            },
            elapsed: Duration::from_secs(1),
            latency: None,
            cpu: Duration::from_millis(500),
        }
    }

    #[test]
    fn a_row_with_errors_or_no_success_is_a_problem_but_a_skipped_one_is_not() {
        assert!(Row::from_outcome("a", &outcome(10, 0)).problem().is_none());
        let errors = Row::from_outcome("b", &outcome(10, 2)).problem().unwrap();
        assert!(errors.contains("2 errors") && errors.contains("Unavailable"));
        assert!(Row::from_outcome("c", &outcome(0, 0)).problem().is_some());
        assert!(Row::skipped("d", "not built").problem().is_none());
        assert!(Row::empty("e").problem().is_some());
    }

    #[test]
    fn the_markdown_table_has_a_line_per_row_with_its_verdict() {
        let rows = vec![
            Row::from_outcome("health", &outcome(1000, 0)),
            Row::from_outcome("get-workout", &outcome(5000, 0))
                .judged("≥ 10,000 req/s", Verdict::check(false, || "50 %".into())),
        ];
        let table = markdown(&rows, 2);
        assert_eq!(table.lines().count(), 4);
        assert!(table.contains("| health | 1000 | - | 500 | 4000 |"));
        assert!(table.contains("MISSED: 50 %"));
    }
}
