//! Administration straight on the auth database: `stride admin create` and `stride keys
//! rotate`. Both work without a running server (they use the `STRIDE_AUTH_*` configuration,
//! plus the dev secrets of `./data` when that file exists and the environment leaves the
//! service key or master key unset, so keys are sealed as the dev stack expects).

use std::path::Path;

use clap::Subcommand;
use shared::config::{Env, EnvMap};

use crate::dev_secrets::{self, DATA_DIR};
use crate::error::Failure;

/// `stride admin …`
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create an ADMIN account (the first admin of a fresh install).
    Create {
        /// Login name: 3–32 characters of [a-z0-9_.-].
        #[arg(long)]
        username: String,
        /// Email address.
        #[arg(long)]
        email: String,
        /// Password (or set STRIDE_ADMIN_PASSWORD to keep it out of the shell history; in a
        /// terminal it is prompted for when neither is given).
        #[arg(long, env = "STRIDE_ADMIN_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
}

/// `stride keys …`
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Make a new signing key active; the old one verifies until its tokens expire.
    Rotate,
}

/// Runs `stride admin …`.
pub async fn admin(command: AdminCommand, env_map: &EnvMap) -> Result<(), Failure> {
    let env_map = with_dev_secrets(env_map)?;
    let config = stride_auth::Config::from_env(Env::new(&env_map))?;
    match command {
        AdminCommand::Create {
            username,
            email,
            password,
        } => {
            let password = crate::prompt::password(password, true)?;
            let id = stride_auth::bootstrap::create_admin(&config, &username, &email, &password)
                .await
                .map_err(describe)?;
            announce(&format!("created admin {username} ({id})"));
            Ok(())
        }
    }
}

/// Runs `stride keys …`.
pub async fn keys(command: KeysCommand, env_map: &EnvMap) -> Result<(), Failure> {
    let env_map = with_dev_secrets(env_map)?;
    let config = stride_auth::Config::from_env(Env::new(&env_map))?;
    match command {
        KeysCommand::Rotate => {
            let kid = stride_auth::bootstrap::rotate_keys(&config)
                .await
                .map_err(describe)?;
            announce(&format!("new signing key {kid} is active"));
            Ok(())
        }
    }
}

/// `env_map` plus the dev stack's secrets, when `./data/dev-secrets.json` exists.
fn with_dev_secrets(env_map: &EnvMap) -> Result<EnvMap, Failure> {
    Ok(match dev_secrets::load(Path::new(DATA_DIR))? {
        Some(secrets) => secrets.overlay(env_map),
        None => env_map.clone(),
    })
}

/// One line a person can act on (validation details included; never a secret).
fn describe(err: stride_auth::Error) -> Failure {
    Failure::Other(match err {
        stride_auth::Error::InvalidArgument(v) => format!("invalid: {v}"),
        stride_auth::Error::AlreadyExists(reason) => format!("already exists: {reason}"),
        other => other.to_string(),
    })
}

#[allow(clippy::print_stdout)] // The command's result is for the person who ran it.
fn announce(line: &str) {
    println!("{line}");
}
