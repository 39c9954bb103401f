//! Integration tests of the auth service: real servers on port 0 through generated clients,
//! each test on SQLite and on PostgreSQL. One binary, one module per area:
//!
//! - accounts: `register`, `login` (lockout, rate limits, rehashing), `users` (profile,
//!   password, avatar), `admin` (AdminService), `events` (the security log);
//! - tokens: `tokens` (format and JWKS), `validation` (every invalid token, wherever it is
//!   presented), `refresh` (rotation and reuse detection), `sessions` (listing and revoking),
//!   `introspection` (the service-key RPCs), `feed` (the revocation stream),
//!   `key_retirement` (a rotated key until its tokens expire);
//! - the server: `serving` (health, reflection), `config` (startup errors), `storage`
//!   (migrations on both backends);
//! - `library`: the few tests that call the crate's library directly instead of gRPC.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod abuse;
mod admin;
mod config;
mod events;
mod feed;
mod helpers;
mod introspection;
mod key_retirement;
mod lifecycle;
mod login;
mod mail;
mod mfa;
mod operator;
mod refresh;
mod register;
mod replicas;
mod serving;
mod sessions;
mod storage;
mod tokens;
mod users;
mod validation;
