//! `stride`: run the stack or one service, administer it, and (later) use it as a client.
//!
//! With no subcommand it runs `stride dev`: auth and fitness together on SQLite under `./data`.

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use shared::config::{ConfigError, Env, EnvMap, process_env};
use shared::telemetry::{self, TelemetryConfig};

mod admin;
mod serve;

/// Stride: an auth + fitness gRPC backend.
#[derive(Debug, Parser)]
#[command(name = "stride", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run auth (127.0.0.1:50051) and fitness (127.0.0.1:50052) together. The default.
    Dev,
    /// Run one service.
    Serve {
        /// Which service.
        service: Service,
    },
    /// Apply pending database migrations and exit.
    Migrate {
        /// Which service's database (both when omitted).
        service: Option<Service>,
    },
    /// Administer accounts directly in the auth database.
    #[command(subcommand)]
    Admin(admin::AdminCommand),
    /// Manage token signing keys directly in the auth database.
    #[command(subcommand)]
    Keys(admin::KeysCommand),
    /// Write the encoded protobuf descriptor set (what Envoy's transcoder reads).
    Descriptor {
        /// Output file.
        #[arg(long, default_value = "stride.pb")]
        out: std::path::PathBuf,
    },
}

/// One of the two services.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Service {
    /// The auth service.
    Auth,
    /// The fitness service.
    Fitness,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let env_map = process_env();
    let telemetry_config = match TelemetryConfig::from_env(Env::new(&env_map)) {
        Ok(config) => config,
        Err(err) => return config_failure(&err),
    };
    let _guard = match telemetry::init("stride", &telemetry_config) {
        Ok(guard) => guard,
        Err(err) => {
            eprintln!("stride: {err}");
            return ExitCode::from(2);
        }
    };
    run(cli.command.unwrap_or(Command::Dev), &env_map).await
}

async fn run(command: Command, env_map: &EnvMap) -> ExitCode {
    let env = Env::new(env_map);
    let result = match command {
        Command::Dev => serve::dev(env).await,
        Command::Serve { service } => serve::one(service, env).await,
        Command::Migrate { service } => serve::migrate(service, env).await,
        Command::Admin(command) => admin::admin(command, env).await,
        Command::Keys(command) => admin::keys(command, env).await,
        Command::Descriptor { out } => std::fs::write(&out, shared::FILE_DESCRIPTOR_SET)
            .map_err(|e| serve::Failure::Other(format!("cannot write {}: {e}", out.display()))),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(serve::Failure::Config(err)) => config_failure(&err),
        Err(serve::Failure::Other(message)) => {
            eprintln!("stride: {message}");
            ExitCode::FAILURE
        }
    }
}

fn config_failure(err: &ConfigError) -> ExitCode {
    eprintln!("stride: {err}");
    ExitCode::from(2)
}
