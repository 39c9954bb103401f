//! The services' notion of "now", injectable so expiry rules (lockouts, token lifetimes, how
//! long a revocation must be kept) are tested by moving time rather than by sleeping.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use crate::time::{Micros, now_micros};

/// A source of the current time in Unix microseconds. Cheap to clone.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> Micros + Send + Sync>);

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self(Arc::new(now_micros))
    }

    /// A clock reading `now` from any function (tests).
    pub fn from_fn(now: impl Fn() -> Micros + Send + Sync + 'static) -> Self {
        Self(Arc::new(now))
    }

    /// The current time in Unix microseconds.
    pub fn now(&self) -> Micros {
        (self.0)()
    }

    /// The current time in whole Unix seconds (JWT `iat`/`exp`).
    pub fn now_secs(&self) -> i64 {
        self.now().div_euclid(1_000_000)
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::system()
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Clock")
    }
}

/// A clock that tests move by hand: starts at the system time, then only moves on
/// [`advance`](ManualClock::advance).
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    /// A manual clock starting now.
    pub fn new() -> Self {
        Self(Arc::new(AtomicI64::new(now_micros())))
    }

    /// Moves time forward by `by`.
    pub fn advance(&self, by: Duration) {
        self.0.fetch_add(micros(by), Ordering::SeqCst);
    }

    /// The [`Clock`] to put in the configuration.
    pub fn clock(&self) -> Clock {
        let inner = Arc::clone(&self.0);
        Clock::from_fn(move || inner.load(Ordering::SeqCst))
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

/// A duration in microseconds, saturating (configured durations are far below the limit).
pub fn micros(d: Duration) -> Micros {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}
