//! The service's notion of "now" (`shared::clock`), injectable so expiry rules (lockouts, token
//! lifetimes) are tested by moving time rather than by sleeping.

pub use shared::clock::{Clock, ManualClock, micros};
