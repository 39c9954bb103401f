//! What the figures were measured on: CPUs, memory, load, and resident memory of processes.

use std::fmt;
use std::time::Duration;

/// The machine, as `/proc` describes it.
#[derive(Debug, Clone)]
pub struct Machine {
    /// Logical CPUs this process may use.
    pub cpus: usize,
    /// `model name` of the first CPU in `/proc/cpuinfo`.
    pub model: String,
    /// `MemTotal` in MiB.
    pub memory_mib: u64,
}

impl Machine {
    /// Reads `/proc`; unknown fields stay empty or zero (the figures are still worth having).
    pub fn describe() -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let model = cpuinfo
            .lines()
            .find_map(|line| {
                let (key, value) = line.split_once(':')?;
                (key.trim() == "model name").then(|| value.trim().to_owned())
            })
            .unwrap_or_else(|| "unknown".to_owned());
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        Self {
            cpus: std::thread::available_parallelism().map_or(1, usize::from),
            model,
            memory_mib: kib_field(&meminfo, "MemTotal").unwrap_or(0) / 1024,
        }
    }
}

impl fmt::Display for Machine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} CPUs ({}), {} MiB RAM",
            self.cpus, self.model, self.memory_mib
        )
    }
}

/// The 1, 5 and 15 minute load averages and the number of compilers running (other engineers
/// compile on this machine), as one line to print beside each figure.
pub fn load() -> String {
    let loadavg = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let averages: Vec<&str> = loadavg.split_whitespace().take(3).collect();
    format!(
        "load average {} · rustc/clippy running: {}",
        averages.join(" "),
        count_processes(&["rustc", "clippy-driver"])
    )
}

/// Processes whose command name (from `/proc/<pid>/comm`) is one of `names`.
fn count_processes(names: &[&str]) -> usize {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .bytes()
                .all(|b| b.is_ascii_digit())
        })
        .filter(|e| {
            std::fs::read_to_string(e.path().join("comm"))
                .is_ok_and(|comm| names.contains(&comm.trim()))
        })
        .count()
}

/// Linux reports process CPU time in ticks of `USER_HZ`, which is 100 on every mainstream
/// architecture (the kernel ABI fixes it regardless of the internal tick rate).
const USER_HZ: u64 = 100;

/// CPU time (user + system) used so far by this process and by every `postgres` process: the
/// cost of a load phase that survives a noisy machine better than wall-clock throughput, since
/// time stolen by other processes is not counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CpuTime {
    /// This process: the load generator and the in-process services.
    pub this_process: Duration,
    /// Every process named `postgres` (the database server's backends) or `envoy` (the
    /// gateway, when a scenario runs one).
    pub postgres: Duration,
}

impl CpuTime {
    /// Reads `/proc/self/stat` and `/proc/<pid>/stat` of the `postgres` and `envoy` processes.
    pub fn now() -> Self {
        let this_process = std::fs::read_to_string("/proc/self/stat")
            .ok()
            .and_then(|stat| stat_ticks(&stat))
            .unwrap_or(0);
        let mut postgres = 0;
        if let Ok(entries) = std::fs::read_dir("/proc") {
            for entry in entries.filter_map(Result::ok) {
                let path = entry.path();
                if std::fs::read_to_string(path.join("comm"))
                    .is_ok_and(|c| matches!(c.trim(), "postgres" | "envoy"))
                    && let Some(ticks) = std::fs::read_to_string(path.join("stat"))
                        .ok()
                        .and_then(|stat| stat_ticks(&stat))
                {
                    postgres += ticks;
                }
            }
        }
        Self {
            this_process: ticks_to_duration(this_process),
            postgres: ticks_to_duration(postgres),
        }
    }

    /// CPU used between `earlier` and `self`, in all.
    pub fn since(self, earlier: CpuTime) -> Duration {
        self.this_process.saturating_sub(earlier.this_process)
            + self.postgres.saturating_sub(earlier.postgres)
    }
}

fn ticks_to_duration(ticks: u64) -> Duration {
    Duration::from_millis(ticks.saturating_mul(1000 / USER_HZ))
}

/// `utime + stime` (fields 14 and 15) of a `/proc/<pid>/stat` line. The command name (field 2)
/// may contain spaces, so fields are counted after its closing parenthesis.
pub fn stat_ticks(stat: &str) -> Option<u64> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // after_name starts at field 3 (state): utime is field 14, stime field 15.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// Resident memory of a process from `/proc/<pid>/status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rss {
    /// `VmRSS`: resident now, KiB.
    pub now_kib: u64,
    /// `VmHWM`: the peak so far, KiB.
    pub peak_kib: u64,
}

impl Rss {
    /// This process.
    pub fn of_self() -> Option<Self> {
        Self::parse(&std::fs::read_to_string("/proc/self/status").ok()?)
    }

    /// Process `pid`.
    pub fn of(pid: u32) -> Option<Self> {
        Self::parse(&std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?)
    }

    /// Reads `VmRSS` and `VmHWM` from the text of a status file.
    pub fn parse(status: &str) -> Option<Self> {
        Some(Self {
            now_kib: kib_field(status, "VmRSS")?,
            peak_kib: kib_field(status, "VmHWM")?,
        })
    }

    /// `VmRSS` in MiB.
    pub fn now_mib(self) -> f64 {
        self.now_kib as f64 / 1024.0
    }
}

/// The value of a `Key:   123 kB` line.
fn kib_field(text: &str, key: &str) -> Option<u64> {
    text.lines().find_map(|line| {
        let (k, rest) = line.split_once(':')?;
        if k.trim() != key {
            return None;
        }
        rest.split_whitespace().next()?.parse().ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rss_is_read_from_a_proc_status_text() {
        let status = "Name:\tstride\nVmPeak:\t  100 kB\nVmHWM:\t   30720 kB\nVmRSS:\t   20480 kB\n";
        let rss = Rss::parse(status).unwrap();
        assert_eq!(
            rss,
            Rss {
                now_kib: 20480,
                peak_kib: 30720
            }
        );
        assert_eq!(rss.now_mib(), 20.0);
        assert!(Rss::parse("Name:\tx\n").is_none());
    }

    #[test]
    fn cpu_ticks_are_user_plus_system_time_even_with_spaces_in_the_name() {
        let stat = "1234 (tokio rt) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 9 0 5 0";
        assert_eq!(stat_ticks(stat), Some(300));
        assert_eq!(stat_ticks("garbage"), None);
        assert_eq!(ticks_to_duration(300), Duration::from_secs(3));
    }

    #[test]
    fn this_process_has_a_resident_size_and_the_machine_has_a_cpu() {
        assert!(Rss::of_self().unwrap().now_kib > 0);
        let machine = Machine::describe();
        assert!(machine.cpus >= 1);
        assert!(load().starts_with("load average"));
    }
}
