//! CPU time of this process's threads, by thread name, to the nanosecond.
//!
//! `crate::machine::CpuTime` reads `/proc/self/stat`, which counts in 10 ms ticks and sums
//! every thread: right for a load phase, but too coarse for what a few idle streams cost over
//! a few seconds, and unable to tell the load generator's threads from the services'. Each
//! thread's `/proc/self/task/<tid>/schedstat` starts with the nanoseconds it has run, and its
//! `comm` is its name, so a scenario that runs its clients on a runtime of its own (threads
//! with their own name) can split what the services cost from what its clients cost.

use std::collections::HashMap;
use std::time::Duration;

/// One reading: the name and CPU time so far of every live thread of this process.
#[derive(Debug, Clone, Default)]
pub struct ThreadCpu {
    /// Thread id → (name, nanoseconds on a CPU so far).
    threads: HashMap<u32, (String, u64)>,
}

impl ThreadCpu {
    /// Reads every thread of this process (a thread that ends while it is read is skipped).
    pub fn now() -> Self {
        let mut threads = HashMap::new();
        let Ok(entries) = std::fs::read_dir("/proc/self/task") else {
            return Self { threads };
        };
        for entry in entries.filter_map(Result::ok) {
            let Some(tid) = entry.file_name().to_str().and_then(|s| s.parse().ok()) else {
                continue;
            };
            let path = entry.path();
            let Some(ns) = std::fs::read_to_string(path.join("schedstat"))
                .ok()
                .and_then(|stat| stat.split_whitespace().next()?.parse().ok())
            else {
                continue;
            };
            let name = std::fs::read_to_string(path.join("comm"))
                .map(|comm| comm.trim().to_owned())
                .unwrap_or_default();
            threads.insert(tid, (name, ns));
        }
        Self { threads }
    }

    /// CPU used since `earlier` by the threads whose name `pick` accepts. A thread alive at
    /// both readings counts its difference, one started in between all of its time; one that
    /// ended in between is missed, so a measurement keeps its threads alive across it.
    pub fn since(&self, earlier: &Self, pick: impl Fn(&str) -> bool) -> Duration {
        let nanos = self
            .threads
            .iter()
            .filter(|(_, (name, _))| pick(name))
            .map(|(tid, (_, now))| {
                now.saturating_sub(earlier.threads.get(tid).map_or(0, |(_, before)| *before))
            })
            .sum();
        Duration::from_nanos(nanos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn a_named_thread_that_spins_is_counted_under_its_name_only() {
        let before = ThreadCpu::now();
        let (spun_tx, spun_rx) = std::sync::mpsc::channel();
        let (exit_tx, exit_rx) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("spin-test".into())
            .spawn(move || {
                let until = Instant::now() + Duration::from_millis(20);
                let mut x = 0_u64;
                while Instant::now() < until {
                    x = std::hint::black_box(x.wrapping_add(1));
                }
                spun_tx.send(()).unwrap();
                // Alive while the test reads it: an ended thread is not counted.
                let _ = exit_rx.recv();
            })
            .unwrap();
        spun_rx.recv().unwrap();
        let after = ThreadCpu::now();
        exit_tx.send(()).unwrap();
        thread.join().unwrap();
        assert!(after.since(&before, |name| name == "spin-test") > Duration::ZERO);
        assert_eq!(
            after.since(&before, |name| name == "no-such-thread"),
            Duration::ZERO
        );
    }
}
