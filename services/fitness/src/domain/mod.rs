//! The rules of the fitness service, free of transport types: validated values, and one
//! operation per use case that begins a transaction, calls the store, keeps stats and
//! counters in step, and commits once.

pub mod exercises;
pub mod idempotency;
pub mod stats;
pub mod values;
pub mod workouts;

/// Maximum items in one batch create (SPEC §2).
pub const MAX_BATCH: usize = 100;

/// Durations as counted in totals: unknown counts as zero.
pub(crate) fn minutes(duration: Option<i32>) -> i64 {
    i64::from(duration.unwrap_or(0))
}
