//! Latency statistics: exact percentiles over every recorded sample.
//!
//! Runs are bounded in requests (a few million at most), so keeping every latency in a vector
//! and sorting it once is both exact and cheap; no histogram approximation is needed.

use std::time::Duration;

/// Latency samples of one load phase, in microseconds.
#[derive(Debug, Clone, Default)]
pub struct Samples {
    micros: Vec<u64>,
}

impl Samples {
    /// Room for `n` samples.
    pub fn with_capacity(n: usize) -> Self {
        Self {
            micros: Vec::with_capacity(n),
        }
    }

    /// Records one latency.
    pub fn record(&mut self, latency: Duration) {
        self.micros
            .push(u64::try_from(latency.as_micros()).unwrap_or(u64::MAX));
    }

    /// Adds every sample of `other`.
    pub fn merge(&mut self, other: Samples) {
        self.micros.extend(other.micros);
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.micros.len()
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.micros.is_empty()
    }

    /// The summary (sorts the samples).
    pub fn summary(mut self) -> Option<Latency> {
        if self.is_empty() {
            return None;
        }
        self.micros.sort_unstable();
        let sorted = &self.micros;
        Some(Latency {
            p50: percentile(sorted, 50.0)?,
            p90: percentile(sorted, 90.0)?,
            p99: percentile(sorted, 99.0)?,
            max: *sorted.last()?,
            count: sorted.len(),
        })
    }
}

/// Latency percentiles in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Latency {
    /// Median.
    pub p50: u64,
    /// 90th percentile.
    pub p90: u64,
    /// 99th percentile.
    pub p99: u64,
    /// Slowest sample.
    pub max: u64,
    /// Number of samples.
    pub count: usize,
}

/// The nearest-rank percentile `p` (0 < p ≤ 100) of ascending `sorted` samples: the smallest
/// sample such that at least p % of all samples are less than or equal to it. `None` when
/// there are no samples or `p` is out of range.
pub fn percentile(sorted: &[u64], p: f64) -> Option<u64> {
    if sorted.is_empty() || !(p > 0.0 && p <= 100.0) {
        return None;
    }
    let n = sorted.len();
    // rank = ceil(p/100 · n), 1-based. Computed in integers (p in hundredths of a percent) so
    // that exact ranks like p99 of 100 samples are not nudged up by float rounding.
    let hundredths = (p * 100.0).round() as u64;
    let rank = (hundredths * n as u64).div_ceil(10_000).max(1);
    let index = usize::try_from(rank - 1).ok()?.min(n - 1);
    sorted.get(index).copied()
}

/// Requests per second: `count` over `elapsed` (0 when nothing elapsed).
pub fn throughput(count: u64, elapsed: Duration) -> f64 {
    let secs = elapsed.as_secs_f64();
    if secs > 0.0 { count as f64 / secs } else { 0.0 }
}

/// Microseconds as milliseconds with three decimals, for tables.
pub fn ms(micros: u64) -> String {
    format!("{:.3}", micros as f64 / 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_one_to_one_hundred_are_their_rank() {
        let sorted: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&sorted, 50.0), Some(50));
        assert_eq!(percentile(&sorted, 90.0), Some(90));
        assert_eq!(percentile(&sorted, 99.0), Some(99));
        assert_eq!(percentile(&sorted, 100.0), Some(100));
        assert_eq!(percentile(&sorted, 0.5), Some(1));
    }

    #[test]
    fn nearest_rank_rounds_up_between_samples() {
        // Ten samples: p50 is the 5th, p90 the 9th, p99 rounds up to the 10th.
        let sorted: Vec<u64> = (1..=10).map(|x| x * 10).collect();
        assert_eq!(percentile(&sorted, 50.0), Some(50));
        assert_eq!(percentile(&sorted, 90.0), Some(90));
        assert_eq!(percentile(&sorted, 99.0), Some(100));
        assert_eq!(percentile(&sorted, 51.0), Some(60));
    }

    #[test]
    fn a_single_sample_is_every_percentile() {
        for p in [1.0, 50.0, 99.0, 100.0] {
            assert_eq!(percentile(&[7], p), Some(7));
        }
    }

    #[test]
    fn no_samples_or_an_out_of_range_percentile_gives_nothing() {
        assert_eq!(percentile(&[], 50.0), None);
        assert_eq!(percentile(&[1, 2], 0.0), None);
        assert_eq!(percentile(&[1, 2], 100.5), None);
        assert_eq!(percentile(&[1, 2], f64::NAN), None);
    }

    #[test]
    fn the_summary_sorts_unordered_samples_and_reports_the_maximum() {
        let mut samples = Samples::default();
        for micros in [900, 100, 500, 300, 700, 200, 800, 400, 600, 1000] {
            samples.record(Duration::from_micros(micros));
        }
        let latency = samples.summary().unwrap();
        assert_eq!(
            latency,
            Latency {
                p50: 500,
                p90: 900,
                p99: 1000,
                max: 1000,
                count: 10
            }
        );
    }

    #[test]
    fn merged_samples_count_both_halves() {
        let mut a = Samples::default();
        a.record(Duration::from_millis(1));
        let mut b = Samples::with_capacity(1);
        b.record(Duration::from_millis(3));
        a.merge(b);
        assert_eq!(a.len(), 2);
        assert_eq!(a.summary().unwrap().max, 3000);
        assert!(Samples::default().summary().is_none());
    }

    #[test]
    fn one_percent_of_slow_samples_lands_in_p99_but_not_p90() {
        let mut sorted = vec![1_000_u64; 990];
        sorted.extend(vec![50_000_u64; 10]);
        assert_eq!(percentile(&sorted, 90.0), Some(1_000));
        assert_eq!(percentile(&sorted, 99.0), Some(1_000));
        assert_eq!(percentile(&sorted, 99.1), Some(50_000));
        sorted.push(50_000);
        assert_eq!(percentile(&sorted, 99.0), Some(50_000));
    }

    #[test]
    fn throughput_is_count_over_seconds() {
        assert_eq!(throughput(500, Duration::from_millis(250)), 2000.0);
        assert_eq!(throughput(5, Duration::ZERO), 0.0);
        assert_eq!(ms(1_234), "1.234");
    }
}
