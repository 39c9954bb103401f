//! Integration tests of the token lifecycle (issue 4): rotation and reuse detection, sessions
//! and token trees, the revocation feed, introspection, key rotation and the token validation
//! matrix. Real servers on port 0 through generated clients, each test on SQLite and
//! PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod feed;
mod helpers;
mod introspection;
mod keys;
mod refresh;
mod sessions;
mod validation;
