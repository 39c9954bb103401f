//! `stride-bench`: measures Stride against the targets in docs/BENCHMARKS.md on this machine, with the real services
//! started in-process on loopback (see docs/BENCHMARKS.md).
#![forbid(unsafe_code)]
// A benchmark's report is its output.
#![allow(clippy::print_stdout)]

mod args;
mod external;
mod floor;
mod load;
mod machine;
mod report;
mod scenarios;
mod stack;
mod stats;

use std::process::ExitCode;
use std::time::Instant;

use clap::Parser as _;

use crate::args::{Args, ChildService, Scenario};
use crate::report::{Row, Verdict};
use crate::scenarios::Ctx;

/// jemalloc, which returns freed memory to the kernel: with glibc's allocator auth kept its
/// 19 MiB Argon2 blocks resident after a burst of logins (docs/BENCHMARKS.md).
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("stride-bench: cannot start the runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(service) = args.serve_child {
        return runtime.block_on(serve_child(service));
    }
    runtime.block_on(bench(args))
}

/// Runs one service from the environment, exactly as its own binary does.
async fn serve_child(service: ChildService) -> ExitCode {
    match service {
        ChildService::Auth => {
            shared::server::service_main(
                "stride-auth",
                stride_auth::Config::from_env,
                stride_auth::App::build,
                |app, shutdown| app.run(shutdown),
            )
            .await
        }
        ChildService::Fitness => {
            shared::server::service_main(
                "stride-fitness",
                stride_fitness::Config::from_env,
                stride_fitness::App::build,
                |app, shutdown| app.run(shutdown),
            )
            .await
        }
    }
}

/// Installs a log subscriber as a service's `main` would (so per-RPC spans cost what they
/// cost in production), writing to stderr so the report on stdout stays clean.
fn init_logging() {
    let filter = std::env::var("STRIDE_LOG").unwrap_or_else(|_| "info".into());
    let filter = tracing_subscriber::EnvFilter::try_new(&filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

async fn bench(args: Args) -> ExitCode {
    let plan = match args.plan() {
        Ok(plan) => plan,
        Err(err) => {
            eprintln!("stride-bench: {err}");
            return ExitCode::from(2);
        }
    };
    init_logging();
    let machine = machine::Machine::describe();
    let command: Vec<String> = std::env::args().collect();
    println!("# stride-bench");
    println!("command:  {}", command.join(" "));
    println!("machine:  {machine}");
    println!(
        "backend:  {}{}",
        plan.backend.name(),
        if plan.backend == shared::db::Backend::Postgres {
            format!(" ({})", redact(&stack::postgres_admin_url()))
        } else {
            String::new()
        }
    );
    println!(
        "limits:   {:?} per phase, at most {} requests, {} in flight{}",
        plan.duration,
        plan.requests,
        plan.concurrency,
        if plan.quick {
            " (quick: correctness only)"
        } else {
            ""
        }
    );
    println!(
        "build:    {}",
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    );
    println!();
    let ctx = Ctx {
        plan: plan.clone(),
        cpus: machine.cpus,
    };
    let started = Instant::now();
    let mut rows: Vec<Row> = Vec::new();
    let mut failures: Vec<String> = Vec::new();
    let mut selected = args.scenario.unwrap_or(Scenario::All).expand();
    // Every run measures its own floor first: targets are ratios to it.
    if !selected.contains(&Scenario::Health) {
        selected.insert(0, Scenario::Health);
    }
    let mut floors = floor::Floors::default();
    for scenario in selected {
        println!("## {}  ({})", scenario.name(), machine::load());
        match scenarios::run(scenario, &ctx).await {
            Ok(new_rows) => {
                for mut row in new_rows {
                    floors.note(&row);
                    floors.judge(&mut row, plan.backend);
                    println!("{}", report::line(&row));
                    rows.push(row);
                }
            }
            Err(err) => {
                println!("FAILED: {err:#}");
                failures.push(format!("{}: {err:#}", scenario.name()));
            }
        }
        println!();
    }
    if let Some(row) = auth_cost(&rows) {
        println!("{}\n", report::line(&row));
        rows.push(row);
    }
    println!(
        "## summary ({}, {:.1} s, {})",
        plan.backend.name(),
        started.elapsed().as_secs_f64(),
        machine::load()
    );
    println!("{}", report::markdown(&rows, machine.cpus));
    let problems: Vec<String> = rows.iter().filter_map(Row::problem).collect();
    for failure in &failures {
        println!("FAILED {failure}");
    }
    if plan.quick {
        for problem in &problems {
            println!("PROBLEM {problem}");
        }
        let measured = rows.iter().filter(|r| r.measured()).count();
        let skipped = rows.len() - measured;
        let bad = failures.len() + problems.len();
        // One plain closing line, as test runners print.
        println!("bench: {measured} passed, {bad} failed, {skipped} skipped");
        if bad > 0 {
            return ExitCode::FAILURE;
        }
    } else if !failures.is_empty() {
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// The auth layer's cost, when both `get-workout` rows were measured in this run. Judged on
/// CPU per request (1 − CPU without auth / CPU with auth), which is what throughput tends to on
/// a quiet machine where both are CPU-bound, but which time stolen by other processes does not
/// distort; the throughput ratio is shown beside it.
fn auth_cost(rows: &[Row]) -> Option<Row> {
    let find = |name: &str| rows.iter().find(|r| r.name == name && r.measured());
    let with = find("get-workout")?;
    let without = find("get-workout-noauth")?;
    let (with_rps, without_rps) = (with.throughput?, without.throughput?);
    let (with_cpu, without_cpu) = (with.cpu_us?, without.cpu_us?);
    if without_rps <= 0.0 || with_cpu <= 0.0 {
        return None;
    }
    let cpu_cost = 1.0 - without_cpu / with_cpu;
    let rps_cost = 1.0 - with_rps / without_rps;
    Some(
        Row::empty("get-workout: auth layer cost")
            .judged(
                "≤ 15 % vs auth off",
                Verdict::check(cpu_cost <= scenarios::workout::AUTH_COST_TARGET, || {
                    format!("{:.1} % (target 15 %)", cpu_cost * 100.0)
                }),
            )
            .noted(format!(
                "CPU: 1 − {without_cpu:.0} / {with_cpu:.0} µs = {:.1} %; throughput: 1 − {with_rps:.0} / {without_rps:.0} = {:.1} %",
                cpu_cost * 100.0,
                rps_cost * 100.0
            )),
    )
}

/// A PostgreSQL URL without its password, for printing.
fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("redacted"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}
