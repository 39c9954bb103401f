//! Waiting for something another task does in the background (a feed, a sweep), with a bound
//! so a regression fails instead of hanging.

use std::future::Future;
use std::time::{Duration, Instant};

/// Polls `probe` every 5 ms until it returns `Some`, failing after `deadline`. Returns the
/// value and how long it took.
pub async fn poll_until<T, F, Fut>(deadline: Duration, mut probe: F) -> (T, Duration)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(value) = probe().await {
            return (value, start.elapsed());
        }
        assert!(
            start.elapsed() < deadline,
            "condition not reached within {deadline:?}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Polls `check` every 10 ms until it holds, failing after 5 s with `what`.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !check().await {
        assert!(tokio::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
