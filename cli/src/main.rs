//! The `stride` binary: parses the command line and hands it to [`stride_cli::run`].

use std::process::ExitCode;

use clap::Parser;

/// jemalloc, which returns freed memory to the kernel: with glibc's allocator auth kept its
/// 19 MiB Argon2 blocks resident after a burst of logins (docs/BENCHMARKS.md).
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[tokio::main]
async fn main() -> ExitCode {
    stride_cli::run(stride_cli::Cli::parse()).await
}
