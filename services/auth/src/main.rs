//! `stride-auth`: runs the auth service alone, configured from `STRIDE_*` variables.

use std::process::ExitCode;

use shared::config::{Env, process_env};
use shared::telemetry::{self, TelemetryConfig};

#[tokio::main]
async fn main() -> ExitCode {
    let env_map = process_env();
    let env = Env::new(&env_map);
    let (config, telemetry_config) = match stride_auth::Config::from_env(env)
        .and_then(|c| Ok((c, TelemetryConfig::from_env(env)?)))
    {
        Ok(pair) => pair,
        Err(err) => {
            eprintln!("stride-auth: {err}");
            return ExitCode::from(2);
        }
    };
    let _guard = match telemetry::init("stride-auth", &telemetry_config) {
        Ok(guard) => guard,
        Err(err) => {
            eprintln!("stride-auth: {err}");
            return ExitCode::from(2);
        }
    };
    let app = match stride_auth::App::build(config).await {
        Ok(app) => app,
        Err(err) => {
            eprintln!("stride-auth: {err}");
            return ExitCode::FAILURE;
        }
    };
    match app.run(shared::server::shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(error = %err, "server failed");
            ExitCode::FAILURE
        }
    }
}
