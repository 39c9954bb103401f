//! Integration tests of the fitness service: real auth and fitness servers on port 0 through
//! generated clients, each test on SQLite and on PostgreSQL. One binary, one module per area.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod atomic_batches;
mod auth_layer;
mod auth_switch;
mod catalogue;
mod config;
mod deletion;
mod entries;
mod exercises;
mod export;
mod helpers;
mod idempotency;
mod import;
mod included_exercises;
mod invariant;
mod isolation;
mod leaderboard;
mod records;
mod replicas;
mod revocation_expiry;
mod serving;
mod staff_stats;
mod stats;
mod storage;
mod upgrade;
mod workouts;
