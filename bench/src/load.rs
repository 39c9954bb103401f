//! The closed-loop load driver: `concurrency` workers, each with one request in flight, until
//! the request budget or the deadline runs out, whichever comes first.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow};

use crate::machine::CpuTime;
use crate::stats::{Latency, Samples, throughput};

/// One client of a scenario: owns its state (tokens, a refresh chain) and makes one call.
pub trait Worker: Send + 'static {
    /// Makes one request; an error is counted, not fatal.
    fn call(&mut self) -> impl Future<Output = Result<(), tonic::Status>> + Send;
}

/// Bounds of one load phase.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Stop starting requests after this long.
    pub duration: Duration,
    /// Stop after this many requests in all.
    pub requests: u64,
}

/// What one load phase measured.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Successful requests.
    pub ok: u64,
    /// Failed requests.
    pub errors: u64,
    /// The first few distinct error codes and messages.
    pub error_examples: Vec<String>,
    /// Wall time from the first request to the last answer.
    pub elapsed: Duration,
    /// Latency of the successful requests.
    pub latency: Option<Latency>,
    /// CPU time this process and the PostgreSQL server used during the phase.
    pub cpu: Duration,
}

impl Outcome {
    /// Successful requests per second.
    pub fn throughput(&self) -> f64 {
        throughput(self.ok, self.elapsed)
    }

    /// CPU microseconds per request (successful or not), all processes of the stack together.
    pub fn cpu_per_request(&self) -> Option<f64> {
        let requests = self.ok + self.errors;
        (requests > 0 && !self.cpu.is_zero())
            .then(|| self.cpu.as_secs_f64() * 1e6 / requests as f64)
    }
}

/// Per-worker tally.
struct Tally {
    samples: Samples,
    errors: u64,
    examples: Vec<String>,
}

/// Runs `workers` concurrently within `limits` and merges what they measured.
pub async fn drive<W: Worker>(workers: Vec<W>, limits: Limits) -> Result<Outcome> {
    if workers.is_empty() {
        return Err(anyhow!("no workers"));
    }
    let issued = Arc::new(AtomicU64::new(0));
    let cpu_before = CpuTime::now();
    let start = Instant::now();
    let deadline = start + limits.duration;
    // A first guess for each worker's sample vector; it grows if the guess is short.
    let per_worker = usize::try_from((limits.requests / workers.len() as u64).saturating_add(1))
        .unwrap_or(usize::MAX)
        .min(1 << 16);
    let mut tasks = Vec::with_capacity(workers.len());
    for mut worker in workers {
        let issued = Arc::clone(&issued);
        tasks.push(tokio::spawn(async move {
            let mut tally = Tally {
                samples: Samples::with_capacity(per_worker),
                errors: 0,
                examples: Vec::new(),
            };
            while Instant::now() < deadline
                && issued.fetch_add(1, Ordering::Relaxed) < limits.requests
            {
                let t0 = Instant::now();
                match worker.call().await {
                    Ok(()) => tally.samples.record(t0.elapsed()),
                    Err(status) => {
                        tally.errors += 1;
                        if tally.examples.len() < 3 {
                            tally.examples.push(format!(
                                "{:?}: {}",
                                status.code(),
                                status.message()
                            ));
                        }
                    }
                }
            }
            tally
        }));
    }
    let mut samples = Samples::default();
    let mut errors = 0;
    let mut error_examples: Vec<String> = Vec::new();
    for task in tasks {
        let tally = task.await?;
        samples.merge(tally.samples);
        errors += tally.errors;
        for example in tally.examples {
            if error_examples.len() < 3 && !error_examples.contains(&example) {
                error_examples.push(example);
            }
        }
    }
    let elapsed = start.elapsed();
    let cpu = CpuTime::now().since(cpu_before);
    let ok = samples.len() as u64;
    Ok(Outcome {
        ok,
        errors,
        error_examples,
        elapsed,
        latency: samples.summary(),
        cpu,
    })
}

/// A short unmeasured phase first (connections warm, caches filled, JIT-free but allocator and
/// pool warm), then the measured one. Warm-up errors are ignored: the measured phase counts.
pub async fn warm_then_drive<W, F>(make: F, limits: Limits) -> Result<Outcome>
where
    W: Worker,
    F: AsyncFnMut() -> Result<Vec<W>>,
{
    let mut make = make;
    let warmup = Limits {
        duration: (limits.duration / 10).clamp(Duration::from_millis(50), Duration::from_secs(1)),
        requests: (limits.requests / 10).max(1),
    };
    drive(make().await?, warmup).await?;
    drive(make().await?, limits).await
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Counter {
        calls: u64,
        fail_every: u64,
    }

    impl Worker for Counter {
        async fn call(&mut self) -> Result<(), tonic::Status> {
            self.calls += 1;
            tokio::task::yield_now().await;
            if self.fail_every > 0 && self.calls.is_multiple_of(self.fail_every) {
                Err(tonic::Status::unavailable("down"))
            } else {
                Ok(())
            }
        }
    }

    #[tokio::test]
    async fn the_request_budget_bounds_a_phase_across_all_workers() {
        let workers = (0..4)
            .map(|_| Counter {
                calls: 0,
                fail_every: 0,
            })
            .collect();
        let limits = Limits {
            duration: Duration::from_secs(30),
            requests: 100,
        };
        let outcome = drive(workers, limits).await.unwrap();
        assert_eq!(outcome.ok, 100);
        assert_eq!(outcome.errors, 0);
        assert!(outcome.throughput() > 0.0);
        assert_eq!(outcome.latency.unwrap().count, 100);
    }

    #[tokio::test]
    async fn errors_are_counted_with_an_example_and_not_timed() {
        let workers = vec![Counter {
            calls: 0,
            fail_every: 2,
        }];
        let limits = Limits {
            duration: Duration::from_secs(30),
            requests: 10,
        };
        let outcome = drive(workers, limits).await.unwrap();
        assert_eq!((outcome.ok, outcome.errors), (5, 5));
        assert_eq!(outcome.error_examples, vec!["Unavailable: down".to_owned()]);
    }

    #[tokio::test]
    async fn the_deadline_bounds_a_phase_with_an_unlimited_budget() {
        let workers = vec![Counter {
            calls: 0,
            fail_every: 0,
        }];
        let limits = Limits {
            duration: Duration::from_millis(50),
            requests: u64::MAX,
        };
        let started = Instant::now();
        let outcome = drive(workers, limits).await.unwrap();
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(outcome.ok > 0);
    }
}
