//! Stride when things break, with real `stride serve` child processes: auth killed and cut off
//! under load, PostgreSQL unreachable mid-load, SIGTERM under load, and two processes on one
//! SQLite file.
//!
//! The PostgreSQL outage test and the PostgreSQL half of the SIGTERM test need
//! `STRIDE_TEST_POSTGRES_URL` (they print "skipping: …" and pass without it, unless
//! `STRIDE_TEST_POSTGRES=required`, as in CI).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod auth_outage;
mod clients;
mod database_outage;
mod process;
mod proxy;
mod shared_sqlite;
mod sigterm;
