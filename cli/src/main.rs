//! The `stride` binary: parses the command line and hands it to [`stride_cli::run`].

use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    stride_cli::run(stride_cli::Cli::parse()).await
}
