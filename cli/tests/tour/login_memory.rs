//! After a burst of logins at production Argon2 cost, the real `stride dev` process gives the
//! hashing memory back: its resident memory (VmRSS) returns near its idle size, with no
//! allocator setting in the environment.
//!
//! Each hash works in 19 MiB. With glibc's allocator the freed buffers stayed in its arenas
//! (the first free of a large block raises glibc's mmap and trim thresholds, so later blocks
//! come from its arenas and stay there): `stride dev` held 47 MiB above idle after 16 logins
//! for as long as it ran. The binaries use jemalloc, which returns them at once
//! (docs/BENCHMARKS.md).

use std::time::{Duration, Instant};

use testkit::users::{self, PASSWORD};

use crate::envoy::runtime;
use crate::stack::Stack;

/// Argon2id as in production (the defaults of `argon2::Params`: 19 MiB, t = 2), two hashes at
/// a time whatever the machine's CPUs.
const PRODUCTION_HASHING: [(&str, &str); 3] = [
    ("STRIDE_ARGON2_MEMORY_KIB", "19456"),
    ("STRIDE_ARGON2_ITERATIONS", "2"),
    ("STRIDE_PASSWORD_HASH_CONCURRENCY", "2"),
];
/// Clients logging in at once, and logins each.
const CLIENTS: usize = 4;
const LOGINS_EACH: usize = 4;
/// How far above idle the process may stay, MiB: a third of what glibc kept.
const SLACK_MIB: f64 = 16.0;
/// How long the memory may take to come back (an allocator may return it on a timer; a busy
/// CI machine slows everything).
const DEADLINE: Duration = Duration::from_secs(60);

/// `VmRSS` and `VmHWM` (the peak) of process `pid`, in MiB.
fn rss_mib(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |name: &str| -> f64 {
        let kib: f64 = status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.trim().strip_suffix("kB"))
            .unwrap_or_else(|| panic!("no {name} in /proc/{pid}/status"))
            .trim()
            .parse()
            .unwrap();
        kib / 1024.0
    };
    (field("VmRSS:"), field("VmHWM:"))
}

#[test]
fn after_a_burst_of_logins_the_process_returns_near_its_idle_size() {
    let stack = Stack::start_with(&PRODUCTION_HASHING);
    let pid = stack.pid();
    runtime().block_on(async {
        let auth = testkit::channel(stack.auth.parse().unwrap()).await;
        testkit::health_status(stack.auth.parse().unwrap(), "").await;
        // Idle: fitness has followed auth's feed and fetched its keys.
        tokio::time::sleep(Duration::from_secs(2)).await;
        let (idle, _) = rss_mib(pid);

        users::register(auth.clone(), "burst").await;
        let clients = (0..CLIENTS).map(|_| {
            let auth = auth.clone();
            tokio::spawn(async move {
                for _ in 0..LOGINS_EACH {
                    users::login(auth.clone(), "burst", PASSWORD, "laptop")
                        .await
                        .unwrap();
                }
            })
        });
        for client in futures::future::join_all(clients).await {
            client.unwrap();
        }
        let (right_after, peak) = rss_mib(pid);
        // The settings took effect: at least one 19 MiB buffer was resident at once.
        assert!(
            peak - idle >= 19.0,
            "peak {peak:.1} MiB, idle {idle:.1} MiB: the logins did not hash at production cost"
        );

        let started = Instant::now();
        let mut now = right_after;
        while now > idle + SLACK_MIB && started.elapsed() < DEADLINE {
            tokio::time::sleep(Duration::from_millis(250)).await;
            now = rss_mib(pid).0;
        }
        eprintln!(
            "idle {idle:.1} MiB, peak {peak:.1} MiB, right after {CLIENTS}×{LOGINS_EACH} logins \
             {right_after:.1} MiB, {now:.1} MiB after {:.1} s",
            started.elapsed().as_secs_f64()
        );
        assert!(
            now <= idle + SLACK_MIB,
            "{now:.1} MiB resident {DEADLINE:?} after the logins, idle {idle:.1} MiB \
             (right after: {right_after:.1} MiB)\n{}",
            stack.log()
        );
    });
}
