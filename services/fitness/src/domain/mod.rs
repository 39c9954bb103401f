//! The rules of the fitness service, free of transport types: validated values, and one
//! operation per use case that begins a transaction, calls the store, keeps stats and
//! counters in step, and commits once.

pub(crate) mod catalogue;
pub(crate) mod clock;
pub(crate) mod deletion;
pub(crate) mod entries;
pub(crate) mod exercises;
pub(crate) mod export;
pub(crate) mod history;
pub(crate) mod idempotency;
pub(crate) mod ids;
pub(crate) mod import;
pub(crate) mod links;
pub(crate) mod records;
pub(crate) mod stats;
pub(crate) mod training;
pub(crate) mod values;
pub(crate) mod weekly;
pub(crate) mod workouts;

/// Most items in one batch create: a bound on one request's transaction.
pub const MAX_BATCH: usize = 100;

/// A validated create: the item, and the idempotency key if the caller sent one.
#[derive(Debug, Clone)]
pub struct Create<T> {
    /// What to create.
    pub item: T,
    /// Replays of this key get the first response.
    pub request_id: Option<ids::RequestId>,
}

/// A validated batch create: 1 to [`MAX_BATCH`] items, created together or not at all.
#[derive(Debug, Clone)]
pub struct Batch<T> {
    /// What to create, in order.
    pub items: Vec<T>,
    /// Replays of this key get the first response.
    pub request_id: Option<ids::RequestId>,
}

/// Durations as counted in totals: unknown counts as zero.
pub(crate) fn minutes(duration: Option<i32>) -> i64 {
    i64::from(duration.unwrap_or(0))
}
