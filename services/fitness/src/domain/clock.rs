//! The service's notion of "now", injectable so expiry rules (how long a revoked token must
//! stay refused, when an access token stops verifying) are tested by moving time rather than
//! by sleeping.

use std::sync::Arc;

use shared::time::{Micros, now_micros};

/// A source of the current time in Unix microseconds. Cheap to clone.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> Micros + Send + Sync>);

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self(Arc::new(now_micros))
    }

    /// A clock reading "now" from any function (tests move it by hand).
    pub fn from_fn(now: impl Fn() -> Micros + Send + Sync + 'static) -> Self {
        Self(Arc::new(now))
    }

    /// The current time in Unix microseconds.
    pub fn now(&self) -> Micros {
        (self.0)()
    }

    /// The current time in whole Unix seconds (JWT `exp`, `nbf`, `iat`).
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
