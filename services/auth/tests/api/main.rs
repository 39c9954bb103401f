//! Integration tests of the auth service: real servers on port 0 through generated clients,
//! each test on SQLite and on PostgreSQL. One binary, one module per area.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod admin;
mod config;
mod events;
mod helpers;
mod keys;
mod login;
mod register;
mod revocation;
mod serving;
mod storage;
mod tokens;
mod users;
