//! `--external`: the floor and `GetWorkout` measured again by h2load (Debian's
//! `nghttp2-client`), a load generator this project did not write, against the same servers
//! in the same run, so the published figures can be reproduced without trusting ours.
//!
//! h2load sends one prepared gRPC request (a 5-byte gRPC frame header and the protobuf
//! message, with `content-type: application/grpc` and `te: trailers`) over `-c` connections
//! with `-m` streams each, one thread. It counts HTTP statuses, and gRPC errors travel in
//! trailers with HTTP 200, so every response is also checked to have carried a message: the
//! DATA bytes received must be at least the requests done times the size of one good reply
//! (a trailers-only error carries none).
//!
//! The servers run in this process, so this process's CPU during the run is theirs (plus
//! PostgreSQL's, as everywhere); h2load's own CPU is reported beside it.

use std::net::SocketAddr;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context as _, Result, anyhow, bail};

use crate::load::Outcome;
use crate::machine::CpuTime;
use crate::report::Row;

/// Suffix of the rows h2load measured.
pub const SUFFIX: &str = " · h2load";

/// One gRPC call for h2load to repeat.
#[derive(Debug, Clone)]
pub struct Call {
    /// `/package.Service/Method`.
    pub path: String,
    /// Extra headers (`authorization`, …).
    pub headers: Vec<(String, String)>,
    /// The encoded request message.
    pub message: Vec<u8>,
    /// The encoded length of one good reply's message.
    pub reply_len: usize,
}

/// What h2load printed that matters here.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Seconds of the measured run.
    pub seconds: f64,
    /// Requests done.
    pub done: u64,
    /// Requests that got a 2xx.
    pub succeeded: u64,
    /// Requests failed or errored.
    pub failed: u64,
    /// DATA bytes received.
    pub data_bytes: u64,
    /// Mean time per request, microseconds.
    pub mean_us: f64,
}

/// Whether h2load runs here (probed as `stride dev --gateway` probes Envoy: by running it),
/// or why not.
pub fn find() -> Result<(), String> {
    std::process::Command::new("h2load")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .ok()
        .filter(std::process::ExitStatus::success)
        .map(drop)
        .ok_or_else(|| "h2load not installed (apt-get install nghttp2-client)".to_owned())
}

/// Runs h2load with `call` against `addr` for `duration` with `concurrency` requests in
/// flight over `connections`; a row named `name` + [`SUFFIX`].
pub async fn measure(
    name: &str,
    addr: SocketAddr,
    call: &Call,
    duration: Duration,
    concurrency: usize,
    connections: usize,
) -> Result<Row> {
    let row_name = format!("{name}{SUFFIX}");
    if let Err(why) = find() {
        // CI installs h2load and sets this, so a missing tool fails there instead of
        // skipping.
        if std::env::var("STRIDE_BENCH_EXTERNAL").as_deref() == Ok("required") {
            bail!("{why}; STRIDE_BENCH_EXTERNAL=required");
        }
        return Ok(Row::skipped(row_name, why));
    }
    let dir = tempfile::tempdir()?;
    let body = dir.path().join("request.bin");
    std::fs::write(&body, frame(&call.message)?)?;
    let streams = concurrency.div_ceil(connections).max(1);
    let mut command = tokio::process::Command::new("h2load");
    command
        .arg("-c")
        .arg(connections.to_string())
        .arg("-m")
        .arg(streams.to_string())
        .arg("-t")
        .arg("1")
        .arg("-D")
        .arg(format!("{}", duration.as_secs().max(1)))
        .arg("-H")
        .arg("content-type: application/grpc")
        .arg("-H")
        .arg("te: trailers")
        .arg("-d")
        .arg(&body);
    for (header, value) in &call.headers {
        command.arg("-H").arg(format!("{header}: {value}"));
    }
    command
        .arg(format!("http://{addr}{}", call.path))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let before = CpuTime::now();
    let children_before = children_cpu();
    let output = command.output().await.context("running h2load")?;
    let services = CpuTime::now().since(before);
    let h2load_cpu = children_cpu().saturating_sub(children_before);
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "h2load failed ({}): {}{}",
            output.status,
            stdout.trim(),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let report = parse(&stdout).ok_or_else(|| anyhow!("unreadable h2load output: {stdout}"))?;
    let good_reply = u64::try_from(5 + call.reply_len).unwrap_or(u64::MAX);
    let mut errors = report.failed + report.done.saturating_sub(report.succeeded);
    let mut examples = Vec::new();
    if report.data_bytes < report.done.saturating_mul(good_reply) {
        // Some replies carried no message: gRPC errors behind HTTP 200.
        errors = errors.max(1);
        examples.push(format!(
            "{} DATA bytes for {} replies of {good_reply} bytes: gRPC errors",
            report.data_bytes, report.done
        ));
    }
    let outcome = Outcome {
        ok: report.succeeded,
        errors,
        error_examples: examples,
        elapsed: Duration::from_secs_f64(report.seconds.max(0.001)),
        latency: None,
        cpu: services,
    };
    let per_request = |cpu: Duration| cpu.as_secs_f64() * 1e6 / (report.done.max(1) as f64);
    Ok(Row::from_outcome(row_name, &outcome).noted(format!(
        "h2load -c {connections} -m {streams} -t 1, one request repeated; mean {:.0} µs; \
         h2load's own CPU {:.0} µs/req (not in the CPU column)",
        report.mean_us,
        per_request(h2load_cpu)
    )))
}

/// A gRPC length-prefixed message: no compression, 4-byte big-endian length.
fn frame(message: &[u8]) -> Result<Vec<u8>> {
    let len = u32::try_from(message.len()).context("message too long")?;
    let mut out = Vec::with_capacity(5 + message.len());
    out.push(0);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(message);
    Ok(out)
}

/// CPU time of this process's waited-for children (`cutime + cstime` of `/proc/self/stat`).
fn children_cpu() -> Duration {
    let ticks = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|stat| {
            let after_name = &stat[stat.rfind(')')? + 1..];
            let fields: Vec<&str> = after_name.split_whitespace().collect();
            let cutime: u64 = fields.get(13)?.parse().ok()?;
            let cstime: u64 = fields.get(14)?.parse().ok()?;
            Some(cutime + cstime)
        })
        .unwrap_or(0);
    Duration::from_millis(ticks.saturating_mul(10))
}

/// Reads h2load's summary.
pub fn parse(out: &str) -> Option<Report> {
    let mut report = Report {
        seconds: 0.0,
        done: 0,
        succeeded: 0,
        failed: 0,
        data_bytes: 0,
        mean_us: 0.0,
    };
    let mut seen = 0;
    for line in out.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("finished in ") {
            let secs = rest.split(',').next()?.trim();
            report.seconds = duration_secs(secs)?;
            seen += 1;
        } else if let Some(rest) = line.strip_prefix("requests: ") {
            for part in rest.split(',') {
                let mut words = part.split_whitespace();
                let count: u64 = words.next()?.parse().ok()?;
                match words.next()? {
                    "done" => report.done = count,
                    "succeeded" => report.succeeded = count,
                    "failed" | "errored" | "timeout" => report.failed += count,
                    _ => {}
                }
            }
            seen += 1;
        } else if let Some(rest) = line.strip_prefix("traffic: ") {
            let data = rest.split(',').find(|p| p.trim_end().ends_with("data"))?;
            let inner = data.split('(').nth(1)?.split(')').next()?;
            report.data_bytes = inner.trim().parse().ok()?;
            seen += 1;
        } else if let Some(rest) = line.strip_prefix("time for request:") {
            // min, max, mean, sd, ±sd%.
            let mean = rest.split_whitespace().nth(2)?;
            report.mean_us = duration_secs(mean)? * 1e6;
            seen += 1;
        }
    }
    (seen == 4).then_some(report)
}

/// `10.00s`, `2.31ms`, `345us` → seconds.
fn duration_secs(text: &str) -> Option<f64> {
    let (number, scale) = if let Some(n) = text.strip_suffix("ms") {
        (n, 1e-3)
    } else if let Some(n) = text.strip_suffix("us") {
        (n, 1e-6)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1.0)
    } else {
        return None;
    };
    number.parse::<f64>().ok().map(|v| v * scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OUTPUT: &str = "starting benchmark...
spawning thread #0: 2 total client(s). 30000 total requests
finished in 10.00s, 23456.70 req/s, 2.10MB/s
requests: 234567 total, 234600 started, 234567 done, 234567 succeeded, 0 failed, 0 errored, 0 timeout
status codes: 234567 2xx, 0 3xx, 0 4xx, 0 5xx
traffic: 21.03MB (22048128) total, 5.37MB (5629608) headers (space savings 96.12%), 11.41MB (11962917) data
                     min         max         mean         sd        +/- sd
time for request:      212us     11.08ms      1.35ms       543us    72.41%
time for connect:      134us       167us       150us        23us   100.00%
";

    #[test]
    fn the_summary_is_read() {
        let report = parse(OUTPUT).unwrap();
        assert_eq!(
            report,
            Report {
                seconds: 10.0,
                done: 234_567,
                succeeded: 234_567,
                failed: 0,
                data_bytes: 11_962_917,
                mean_us: 1350.0,
            }
        );
        assert!(parse("h2load: nothing").is_none());
    }

    #[test]
    fn a_message_is_framed_as_grpc_does() {
        assert_eq!(frame(&[]).unwrap(), vec![0, 0, 0, 0, 0]);
        assert_eq!(frame(&[8, 1]).unwrap(), vec![0, 0, 0, 0, 2, 8, 1]);
    }
}
