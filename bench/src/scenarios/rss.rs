//! `idle-rss`: each service as its own process, configured as in production (production Argon2
//! defaults, logging on), started, used a little, then left idle; its `VmRSS` is read from
//! `/proc/<pid>/status`. Then auth serves a burst of logins and its `VmRSS` is followed for
//! 30 s, since an allocator may return freed memory to the kernel on a timer.
//!
//! The process is the real `stride serve auth|fitness` when a `stride` binary sits next to
//! this one (`cargo build --release -p stride-cli`); otherwise this binary serves the service
//! itself (`--serve-child`), which runs the same library code through the same
//! `shared::server::service_main` as the per-service binaries.

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, anyhow, bail};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

use super::{Ctx, setup};
use crate::machine::Rss;
use crate::report::{Row, Verdict};
use crate::stack;

/// Idle RSS target per service (docs/BENCHMARKS.md), KiB.
pub const TARGET_KIB: u64 = 30 * 1024;

/// How the child processes are started.
#[derive(Debug, Clone)]
enum Launcher {
    /// `stride serve <service>`.
    Stride(PathBuf),
    /// `stride-bench --serve-child <service>`.
    SelfExe(PathBuf),
}

impl Launcher {
    fn find() -> Result<Self> {
        let me = std::env::current_exe().context("locate this executable")?;
        let stride = me.with_file_name("stride");
        Ok(if stride.is_file() {
            Launcher::Stride(stride)
        } else {
            Launcher::SelfExe(me)
        })
    }

    fn command(&self, service: &str) -> Command {
        match self {
            Launcher::Stride(path) => {
                let mut c = Command::new(path);
                c.args(["serve", service]);
                c
            }
            Launcher::SelfExe(path) => {
                let mut c = Command::new(path);
                c.args(["--serve-child", service]);
                c
            }
        }
    }

    fn describe(&self) -> String {
        match self {
            Launcher::Stride(path) => format!("{} serve …", path.display()),
            Launcher::SelfExe(_) => {
                "stride-bench --serve-child … (no stride binary beside it)".into()
            }
        }
    }
}

/// A child process, terminated (SIGTERM, then SIGKILL) when dropped.
struct ChildService {
    child: Child,
}

impl ChildService {
    fn spawn(launcher: &Launcher, service: &str, env: &[(&str, String)]) -> Result<Self> {
        let mut command = launcher.command(service);
        for (key, _) in std::env::vars() {
            if key.starts_with("STRIDE_") {
                command.env_remove(key);
            }
        }
        command
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .env("STRIDE_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        let child = command
            .spawn()
            .with_context(|| format!("start the {service} process"))?;
        Ok(Self { child })
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn rss(&self) -> Result<Rss> {
        Rss::of(self.pid()).ok_or_else(|| anyhow!("cannot read /proc/{}/status", self.pid()))
    }
}

impl Drop for ChildService {
    fn drop(&mut self) {
        // Graceful first (the service drains and closes its database), by this child's pid.
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A free loopback port (closed again at once; the child binds it a moment later).
fn free_port() -> Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    Ok(listener.local_addr()?.port())
}

/// Waits until `addr` answers health checks with SERVING, for at most 30 s.
async fn wait_serving(addr: SocketAddr, child: &mut ChildService) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.child.try_wait() {
            bail!("the service at {addr} exited at start: {status}");
        }
        if let Ok(channel) = stack::channels(addr, 1).await
            && let Some(channel) = channel.into_iter().next()
            && let Ok(response) = HealthClient::new(channel)
                .check(HealthCheckRequest {
                    service: String::new(),
                })
                .await
            && response.into_inner().status == 1
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!("the service at {addr} did not become SERVING within 30 s")
}

/// Registers a user and logs it in 16 times, 4 at a time; returns the number of logins.
async fn login_burst(auth: SocketAddr) -> Result<usize> {
    let channel = stack::channels(auth, 1).await?.remove(0);
    let user = setup::register(&channel, &format!("rss{}", setup::run_tag())).await?;
    let rounds = futures::future::try_join_all((0..4).map(|_| {
        let channel = channel.clone();
        let name = user.username.clone();
        async move {
            for _ in 0..4 {
                setup::login(&channel, &name).await?;
            }
            anyhow::Ok(4)
        }
    }))
    .await?;
    Ok(rounds.into_iter().sum())
}

/// Starts auth then fitness as child processes, waits until both serve and fitness has had time
/// to follow auth's feed and fetch its keys, then reads both processes' resident memory.
pub async fn run(ctx: &Ctx) -> Result<Vec<Row>> {
    let launcher = Launcher::find()?;
    let backend = ctx.plan.backend;
    let auth_db = stack::create_db("auth", backend).await?;
    let fitness_db = stack::create_db("fitness", backend).await?;
    let auth_addr = SocketAddr::from((Ipv4Addr::LOCALHOST, free_port()?));
    let fitness_addr = SocketAddr::from((Ipv4Addr::LOCALHOST, free_port()?));
    // The binaries run as in production, which refuses development secrets: fresh random ones.
    let common = [("STRIDE_SERVICE_KEY", random_key())];

    let mut auth_env = common.to_vec();
    auth_env.push(("STRIDE_MASTER_KEY", random_master_key()));
    auth_env.push(("STRIDE_AUTH_ADDR", auth_addr.to_string()));
    auth_env.push((
        "STRIDE_AUTH_DATABASE_URL",
        auth_db.url().as_str().to_owned(),
    ));
    let mut auth = ChildService::spawn(&launcher, "auth", &auth_env)?;
    wait_serving(auth_addr, &mut auth).await?;

    let mut fitness_env = common.to_vec();
    fitness_env.push(("STRIDE_FITNESS_ADDR", fitness_addr.to_string()));
    fitness_env.push((
        "STRIDE_FITNESS_DATABASE_URL",
        fitness_db.url().as_str().to_owned(),
    ));
    fitness_env.push(("STRIDE_AUTH_URL", format!("http://{auth_addr}")));
    let mut fitness = ChildService::spawn(&launcher, "fitness", &fitness_env)?;
    wait_serving(fitness_addr, &mut fitness).await?;

    // Idle: long enough for the feed to connect and heartbeat and the keys to be fetched.
    let idle = if ctx.plan.quick {
        Duration::from_millis(500)
    } else {
        Duration::from_secs(3)
    };
    tokio::time::sleep(idle).await;
    let mut rows = Vec::new();
    for (name, child) in [("idle-rss: auth", &auth), ("idle-rss: fitness", &fitness)] {
        let rss = child.rss()?;
        let mut row = Row::empty(name)
            .judged(
                "≤ 30 MiB",
                Verdict::check(rss.now_kib <= TARGET_KIB, || {
                    format!("{:.1} MiB over", (rss.now_kib - TARGET_KIB) as f64 / 1024.0)
                }),
            )
            .noted(format!(
                "peak (VmHWM) {:.1} MiB; {} after {:?} idle",
                rss.peak_kib as f64 / 1024.0,
                launcher.describe(),
                idle
            ));
        row.rss = format!("{:.1} MiB", rss.now_mib());
        rows.push(row);
    }
    // Idle again after a little real work: logins hash with production Argon2 (19 MiB each).
    // An allocator may hand freed memory back on a timer, so auth's RSS is followed for a
    // while: the row after `idle` as before, and one at the end of the watch.
    let idle_kib = auth.rss()?.now_kib;
    let logins = login_burst(auth_addr).await?;
    let watch = Watch::follow(&auth, idle, idle_kib, ctx.plan.quick).await?;
    let rss = watch.at_idle;
    let mut row = Row::empty(format!("idle-rss: auth after {logins} logins"))
        .judged(
            "≤ 30 MiB",
            Verdict::check(rss.now_kib <= TARGET_KIB, || {
                format!("{:.1} MiB over", (rss.now_kib - TARGET_KIB) as f64 / 1024.0)
            }),
        )
        .noted(format!(
            "peak (VmHWM) {:.1} MiB; Register + {logins} Logins 4 at a time, then {idle:?} idle; \
             right after {:.1} MiB",
            rss.peak_kib as f64 / 1024.0,
            watch.right_after.now_mib(),
        ));
    row.rss = format!("{:.1} MiB", rss.now_mib());
    rows.push(row);
    let last = watch.last;
    let mut row = Row::empty(format!(
        "idle-rss: auth {:?} after {logins} logins",
        watch.watched
    ))
    .judged(
        "≤ 30 MiB",
        Verdict::check(last.now_kib <= TARGET_KIB, || {
            format!(
                "{:.1} MiB over",
                (last.now_kib - TARGET_KIB) as f64 / 1024.0
            )
        }),
    )
    .noted(match watch.settled_after {
        Some(after) => format!(
            "within {SETTLED_MIB} MiB of idle ({:.1} MiB) {:.1} s after the last login",
            idle_kib as f64 / 1024.0,
            after.as_secs_f64()
        ),
        None => format!(
            "not within {SETTLED_MIB} MiB of idle ({:.1} MiB) in {:?}",
            idle_kib as f64 / 1024.0,
            watch.watched
        ),
    });
    row.rss = format!("{:.1} MiB", last.now_mib());
    rows.push(row);
    drop(fitness);
    drop(auth);
    fitness_db
        .drop_now()
        .await
        .map_err(|e| anyhow::anyhow!(e))?;
    auth_db.drop_now().await.map_err(|e| anyhow::anyhow!(e))?;
    Ok(rows)
}

/// How close to its idle size auth must come to count as settled, MiB: what the first
/// registration and logins build on first use and keep is 7–9 MiB with every allocator
/// measured; each Argon2 block kept would be 19 MiB. The bound of the tour test
/// `after_a_burst_of_logins_the_process_returns_near_its_idle_size`.
const SETTLED_MIB: u64 = 16;

/// Auth's resident memory followed after a burst of logins.
struct Watch {
    /// Read as soon as the last login answered.
    right_after: Rss,
    /// Read `idle` after the last login.
    at_idle: Rss,
    /// Read at the end of the watch.
    last: Rss,
    /// How long the watch lasted.
    watched: Duration,
    /// When it first came within [`SETTLED_MIB`] of `idle_kib`, if it did.
    settled_after: Option<Duration>,
}

impl Watch {
    /// Reads `child`'s RSS every 100 ms for 30 s (3 s with `quick`), at least until `idle`.
    async fn follow(
        child: &ChildService,
        idle: Duration,
        idle_kib: u64,
        quick: bool,
    ) -> Result<Self> {
        let watched = if quick {
            Duration::from_secs(3)
        } else {
            Duration::from_secs(30)
        }
        .max(idle);
        let start = Instant::now();
        let right_after = child.rss()?;
        let mut at_idle = None;
        let mut settled_after = None;
        let mut last = right_after;
        loop {
            let elapsed = start.elapsed();
            if settled_after.is_none() && last.now_kib <= idle_kib + SETTLED_MIB * 1024 {
                settled_after = Some(elapsed);
            }
            if at_idle.is_none() && elapsed >= idle {
                at_idle = Some(last);
            }
            if elapsed >= watched {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            last = child.rss()?;
        }
        Ok(Self {
            right_after,
            at_idle: at_idle.unwrap_or(last),
            last,
            watched,
            settled_after,
        })
    }
}

/// A service key production accepts: 40 random alphanumeric characters.
fn random_key() -> String {
    use rand::Rng as _;
    rand::thread_rng()
        .sample_iter(&rand::distributions::Alphanumeric)
        .take(40)
        .map(char::from)
        .collect()
}

/// A master key: 32 random bytes, base64.
fn random_master_key() -> String {
    use base64::Engine as _;
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
