//! `stride`: run the Stride stack, administer it, and use it as a client.
//!
//! With no subcommand it runs `stride dev`: auth, fitness and the web console together, on
//! SQLite under `./data`.
//! Server-side commands (`dev`, `serve`, `migrate`, `admin`, `keys`, `descriptor`) log through
//! the shared telemetry; client commands (`register`, `login`, `workouts`, …) print only their
//! result, as a table or, with `--json`, as proto3 JSON.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use shared::config::{Env, EnvMap, process_env};
use shared::telemetry::{self, TelemetryConfig};

pub mod admin;
pub mod client;
pub mod credentials;
pub mod dev_secrets;
pub mod error;
pub mod gateway;
pub mod output;
pub mod prompt;
pub mod serve;
pub mod tree;

use client::Client;
use error::Failure;

/// Stride: an auth + fitness gRPC backend, and its command-line client.
#[derive(Debug, Parser)]
#[command(
    name = "stride",
    version,
    about,
    long_about = "Stride: an auth + fitness gRPC backend, and its command-line client.\n\n\
                  Without a command, runs `stride dev`: auth, fitness and the web console on SQLite under ./data.",
    after_help = "Client quick start (against `stride dev`):\n  \
                  stride register --username ada --email ada@example.com\n  \
                  stride workouts create --title 'Leg day' --date 2025-06-01 --type strength\n  \
                  stride workouts list\n\n\
                  Exit status: 0 on success, 1 when the command failed (e.g. a gRPC error), \
                  2 for usage or configuration errors."
)]
pub struct Cli {
    #[command(flatten)]
    global: client::GlobalArgs,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run auth (127.0.0.1:50051), fitness (127.0.0.1:50052) and the web console
    /// (http://127.0.0.1:8000) together; the default
    Dev {
        /// Also start Envoy (from the PATH or STRIDE_ENVOY_BIN) as the HTTP/JSON and gRPC-Web
        /// gateway on STRIDE_GATEWAY_ADDR (127.0.0.1:8080)
        #[arg(long)]
        gateway: bool,
    },
    /// Run one service, or the web console
    Serve {
        /// Which program
        service: Served,
    },
    /// Apply pending database migrations and exit
    Migrate {
        /// Which service's database (both when omitted)
        service: Option<Service>,
    },
    /// Administer accounts directly in the auth database
    #[command(subcommand)]
    Admin(admin::AdminCommand),
    /// Manage token signing keys directly in the auth database
    #[command(subcommand)]
    Keys(admin::KeysCommand),
    /// Write the encoded protobuf descriptor set (what Envoy's transcoder reads)
    Descriptor {
        /// Output file
        #[arg(long, default_value = "stride.pb")]
        out: std::path::PathBuf,
    },
    /// Create an account and sign in as it
    Register(client::account::RegisterArgs),
    /// Sign in; the tokens are kept in the config directory and refreshed automatically
    Login(client::account::LoginArgs),
    /// End the session on the server and forget its tokens
    Logout,
    /// Show the signed-in user
    Me,
    /// Your second factor: an authenticator app (TOTP) and recovery codes
    #[command(subcommand)]
    Mfa(client::mfa::MfaCommand),
    /// Reset a forgotten password through a mailed link, or change yours
    #[command(subcommand)]
    Password(client::password::PasswordCommand),
    /// Verify your email address, export your data, delete your account
    #[command(subcommand)]
    Account(client::lifecycle::AccountCommand),
    /// List your sessions, or revoke them
    Sessions(client::sessions::SessionsArgs),
    /// Show a session's token tree (this CLI's session by default)
    Tree {
        /// Session id (see `stride sessions`)
        session_id: Option<String>,
    },
    /// Your workouts
    #[command(subcommand)]
    Workouts(client::workouts::WorkoutsCommand),
    /// Your exercises
    #[command(subcommand)]
    Exercises(client::exercises::ExercisesCommand),
    /// The exercise catalogue: built-in exercises and your custom entries
    #[command(subcommand)]
    Catalogue(client::catalogue::CatalogueCommand),
    /// The sets of a workout: list, add, delete, or replace them all from a JSON file
    #[command(subcommand)]
    Sets(client::sets::SetsCommand),
    /// Your personal records, each with the set that holds it
    Records(client::progress::RecordsArgs),
    /// Every set of one exercise, newest workout first
    History(client::progress::HistoryArgs),
    /// Your training per week (Monday to Sunday), newest first
    Weeks(client::progress::WeeksArgs),
    /// Import a CSV export of Strong or Hevy
    #[command(subcommand)]
    Import(client::import::ImportCommand),
    /// Your training statistics
    Stats,
    /// Everyone's statistics ranked by evaluation (staff and admins)
    Leaderboard(client::sessions::Page),
    /// Set a user's evaluation, 0–100 (staff and admins)
    Evaluate {
        /// The user's id
        user_id: String,
        /// Evaluation, 0–100
        score: i32,
    },
    /// Other users' accounts, through the auth service (admins; `stride admin` works on the
    /// database directly)
    #[command(subcommand)]
    Users(client::users::UsersCommand),
}

/// One of the two services.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Service {
    /// The auth service.
    Auth,
    /// The fitness service.
    Fitness,
}

/// What `stride serve` runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Served {
    /// The auth service.
    Auth,
    /// The fitness service.
    Fitness,
    /// The web console (STRIDE_CONSOLE_ADDR, in front of STRIDE_AUTH_URL and STRIDE_FITNESS_URL).
    Console,
}

/// Runs a parsed command line and returns the process exit status; failures are printed on
/// stderr first.
pub async fn run(cli: Cli) -> ExitCode {
    let command = cli.command.unwrap_or(Command::Dev { gateway: false });
    let result = if is_server_side(&command) {
        server_side(command).await
    } else {
        match Client::new(cli.global) {
            Ok(client) => client_side(&client, command).await,
            Err(failure) => Err(failure),
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("{}", failure.render());
            failure.exit_code()
        }
    }
}

fn is_server_side(command: &Command) -> bool {
    matches!(
        command,
        Command::Dev { .. }
            | Command::Serve { .. }
            | Command::Migrate { .. }
            | Command::Admin(_)
            | Command::Keys(_)
            | Command::Descriptor { .. }
    )
}

async fn server_side(command: Command) -> Result<(), Failure> {
    let env_map: EnvMap = process_env();
    let telemetry_config = TelemetryConfig::from_env(Env::new(&env_map))?;
    let _guard = telemetry::init("stride", &telemetry_config)
        .map_err(|err| Failure::Usage(err.to_string()))?;
    match command {
        Command::Serve { service } => serve::one(service, &env_map).await,
        Command::Migrate { service } => serve::migrate(service, &env_map).await,
        Command::Admin(command) => admin::admin(command, &env_map).await,
        Command::Keys(command) => admin::keys(command, &env_map).await,
        Command::Descriptor { out } => std::fs::write(&out, shared::FILE_DESCRIPTOR_SET)
            .map_err(|e| Failure::Other(format!("cannot write {}: {e}", out.display()))),
        Command::Dev { gateway } => serve::dev(&env_map, gateway).await,
        _ => Err(Failure::Other("not a server-side command".to_owned())),
    }
}

async fn client_side(client: &Client, command: Command) -> Result<(), Failure> {
    use client::{
        account, catalogue, exercises, import, lifecycle, mfa, password, progress, sessions, sets,
        stats, users, workouts,
    };
    match command {
        Command::Register(args) => account::register(client, args).await,
        Command::Login(args) => account::login(client, args).await,
        Command::Logout => account::logout(client).await,
        Command::Me => account::me(client).await,
        Command::Mfa(command) => mfa::mfa(client, command).await,
        Command::Password(command) => password::password(client, command).await,
        Command::Account(command) => lifecycle::account(client, command).await,
        Command::Users(command) => users::users(client, command).await,
        Command::Sessions(args) => sessions::sessions(client, args).await,
        Command::Tree { session_id } => sessions::tree(client, session_id).await,
        Command::Workouts(command) => workouts::workouts(client, command).await,
        Command::Exercises(command) => exercises::exercises(client, command).await,
        Command::Catalogue(command) => catalogue::catalogue(client, command).await,
        Command::Sets(command) => sets::sets(client, command).await,
        Command::Records(args) => progress::records(client, args).await,
        Command::History(args) => progress::history(client, args).await,
        Command::Weeks(args) => progress::weeks(client, args).await,
        Command::Import(command) => import::import(client, command).await,
        Command::Stats => stats::stats(client).await,
        Command::Leaderboard(page) => stats::leaderboard(client, page).await,
        Command::Evaluate { user_id, score } => stats::evaluate(client, user_id, score).await,
        // Server-side commands never reach here (see `is_server_side`).
        _ => Err(Failure::Usage("not a client command".to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn no_arguments_means_the_dev_stack() {
        let cli = Cli::try_parse_from(["stride"]).unwrap();
        assert!(cli.command.is_none());
    }

    #[test]
    fn global_flags_go_anywhere_on_the_line() {
        let cli = Cli::try_parse_from(["stride", "workouts", "list", "--json", "--type", "cardio"])
            .unwrap();
        assert!(cli.global.json);
        assert!(matches!(cli.command, Some(Command::Workouts(_))));
    }

    #[test]
    fn exercises_take_repeated_workouts() {
        let cli = Cli::try_parse_from([
            "stride",
            "exercises",
            "create",
            "--name",
            "Squat",
            "--workout",
            "w1",
            "--workout",
            "w2",
        ])
        .unwrap();
        let Some(Command::Exercises(client::exercises::ExercisesCommand::Create(args))) =
            cli.command
        else {
            panic!("parsed as {:?}", cli.command);
        };
        assert_eq!(args.workouts, ["w1", "w2"]);
    }

    fn parse(args: &[&str]) -> Result<Command, clap::Error> {
        Cli::try_parse_from(std::iter::once("stride").chain(args.iter().copied()))
            .map(|cli| cli.command.expect("a command"))
    }

    #[test]
    fn login_takes_a_second_factor_code() {
        let Ok(Command::Login(args)) = parse(&["login", "ada", "--code", "123456"]) else {
            panic!("login --code did not parse");
        };
        assert_eq!(args.login, "ada");
        assert_eq!(args.code.code.as_deref(), Some("123456"));
    }

    #[test]
    fn mfa_enable_runs_whole_or_in_its_two_halves_but_not_both_at_once() {
        use client::mfa::MfaCommand;

        let Ok(Command::Mfa(MfaCommand::Enable(whole))) = parse(&["mfa", "enable"]) else {
            panic!("mfa enable did not parse");
        };
        assert!(!whole.begin && !whole.confirm);
        let cli = Cli::try_parse_from(["stride", "mfa", "enable", "--begin", "--json"]).unwrap();
        assert!(cli.global.json);
        let Some(Command::Mfa(MfaCommand::Enable(begin))) = cli.command else {
            panic!("mfa enable --begin did not parse");
        };
        assert!(begin.begin && !begin.confirm);
        let Ok(Command::Mfa(MfaCommand::Enable(confirm))) =
            parse(&["mfa", "enable", "--confirm", "--code", "654321"])
        else {
            panic!("mfa enable --confirm did not parse");
        };
        assert!(confirm.confirm && !confirm.begin);
        assert_eq!(confirm.code.code.as_deref(), Some("654321"));
        let err = parse(&["mfa", "enable", "--begin", "--confirm"]).unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::ArgumentConflict);

        assert!(matches!(
            parse(&["mfa", "disable", "--code", "1"]),
            Ok(Command::Mfa(MfaCommand::Disable { .. }))
        ));
        assert!(matches!(
            parse(&["mfa", "recovery-codes", "--code", "1"]),
            Ok(Command::Mfa(MfaCommand::RecoveryCodes { .. }))
        ));
        assert!(parse(&["mfa"]).is_err(), "mfa needs a subcommand");
    }

    #[test]
    fn password_reset_takes_a_login_or_a_token_but_not_both() {
        use client::password::PasswordCommand;

        let Ok(Command::Password(PasswordCommand::Reset(request))) =
            parse(&["password", "reset", "ada@example.com"])
        else {
            panic!("password reset LOGIN did not parse");
        };
        assert_eq!(request.login.as_deref(), Some("ada@example.com"));
        assert_eq!(request.token, None);
        let Ok(Command::Password(PasswordCommand::Reset(reset))) = parse(&[
            "password",
            "reset",
            "--token",
            "T",
            "--new-password",
            "n3w-Secret",
        ]) else {
            panic!("password reset --token did not parse");
        };
        assert_eq!(reset.login, None);
        assert_eq!(reset.token.as_deref(), Some("T"));
        let Ok(Command::Password(PasswordCommand::Reset(dashed))) = parse(&[
            "password",
            "reset",
            "--token",
            "-JtQyj9vzU4",
            "--new-password",
            "n3w-Secret",
        ]) else {
            panic!("a reset token starting with '-' did not parse");
        };
        assert_eq!(dashed.token.as_deref(), Some("-JtQyj9vzU4"));
        assert_eq!(reset.new_password.as_deref(), Some("n3w-Secret"));
        assert_eq!(
            parse(&["password", "reset"]).unwrap_err().kind(),
            clap::error::ErrorKind::MissingRequiredArgument
        );
        assert_eq!(
            parse(&["password", "reset", "ada", "--token", "T"])
                .unwrap_err()
                .kind(),
            clap::error::ErrorKind::ArgumentConflict
        );
        let Ok(Command::Password(PasswordCommand::Change(change))) = parse(&[
            "password",
            "change",
            "--password",
            "old",
            "--new-password",
            "new",
            "--code",
            "123456",
        ]) else {
            panic!("password change did not parse");
        };
        assert_eq!(change.password.as_deref(), Some("old"));
        assert_eq!(change.new_password.as_deref(), Some("new"));
        assert_eq!(change.code.code.as_deref(), Some("123456"));
    }

    #[test]
    fn account_commands_parse() {
        use client::lifecycle::AccountCommand;

        let Ok(Command::Account(AccountCommand::Verify { token })) =
            parse(&["account", "verify", "abc"])
        else {
            panic!("account verify did not parse");
        };
        assert_eq!(token, "abc");
        let Ok(Command::Account(AccountCommand::Verify { token })) =
            parse(&["account", "verify", "-JtQyj9vzU4"])
        else {
            panic!("a token starting with '-' did not parse");
        };
        assert_eq!(token, "-JtQyj9vzU4");
        assert!(
            parse(&["account", "verify"]).is_err(),
            "verify needs the token"
        );
        assert!(matches!(
            parse(&["account", "resend-verification"]),
            Ok(Command::Account(AccountCommand::ResendVerification))
        ));
        let Ok(Command::Account(AccountCommand::Delete(delete))) =
            parse(&["account", "delete", "--yes", "--code", "123456"])
        else {
            panic!("account delete did not parse");
        };
        assert!(delete.yes);
        assert_eq!(delete.code.code.as_deref(), Some("123456"));
        let Ok(Command::Account(AccountCommand::Delete(unconfirmed))) =
            parse(&["account", "delete"])
        else {
            panic!("account delete did not parse");
        };
        assert!(!unconfirmed.yes, "confirmation is asked unless --yes");
        let Ok(Command::Account(AccountCommand::Export { out, format })) =
            parse(&["account", "export", "--out", "me.json"])
        else {
            panic!("account export did not parse");
        };
        assert_eq!(out, Some(std::path::PathBuf::from("me.json")));
        assert_eq!(format, client::lifecycle::ExportFormat::Json);
        assert!(matches!(
            parse(&["account", "export"]),
            Ok(Command::Account(AccountCommand::Export { out: None, .. }))
        ));
        let Ok(Command::Account(AccountCommand::Export { out, format })) =
            parse(&["account", "export", "--format", "csv", "-o", "sets.csv"])
        else {
            panic!("account export --format csv did not parse");
        };
        assert_eq!(out, Some(std::path::PathBuf::from("sets.csv")));
        assert_eq!(format, client::lifecycle::ExportFormat::Csv);
    }

    #[test]
    fn sets_take_measures_with_units_and_refuse_bad_ones_before_any_call() {
        use client::sets::SetsCommand;
        use shared::pb::fitness::v1::WeightUnit;

        let Ok(Command::Sets(SetsCommand::Add(add))) = parse(&[
            "sets", "add", "w1", "e1", "--reps", "5", "--weight", "225lb", "--rpe", "8.5",
            "--rest", "2m", "--type", "warmup",
        ]) else {
            panic!("sets add did not parse");
        };
        let weight = add.weight.unwrap();
        assert_eq!((weight.value, weight.unit), (225.0, WeightUnit::Lb));
        assert_eq!((add.rpe, add.rest), (Some(8.5), Some(120)));
        let Ok(Command::Sets(SetsCommand::Add(run))) = parse(&[
            "sets",
            "add",
            "w1",
            "e2",
            "--distance",
            "5km",
            "--duration",
            "25:30",
        ]) else {
            panic!("sets add with a distance did not parse");
        };
        assert_eq!((run.distance, run.duration), (Some(5000.0), Some(1530)));
        for (flag, value, says) in [
            ("--weight", "100", "needs a unit"),
            ("--weight", "1.2345kg", "more than 3 decimals"),
            ("--distance", "5 furlongs", "unknown unit"),
            ("--duration", "1.5s", "whole number of seconds"),
            ("--rpe", "8.2", "0.5"),
        ] {
            let err = parse(&["sets", "add", "w1", "e1", flag, value]).unwrap_err();
            assert_eq!(err.kind(), clap::error::ErrorKind::ValueValidation);
            assert!(err.to_string().contains(says), "{flag} {value}: {err}");
        }
        let err = parse(&["sets", "add", "w1", "e1", "--rpe", "8", "--rir", "2"]).unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::ArgumentConflict);
    }

    #[test]
    fn catalogue_import_and_progress_commands_parse() {
        use client::catalogue::CatalogueCommand;
        use client::import::ImportCommand;

        let Ok(Command::Catalogue(CatalogueCommand::List(list))) = parse(&[
            "catalogue",
            "list",
            "--muscle",
            "upper-back",
            "--equipment",
            "resistance-band",
            "--search",
            "row",
            "--built-in",
        ]) else {
            panic!("catalogue list did not parse");
        };
        assert!(list.built_in && !list.custom);
        assert_eq!(
            parse(&["catalogue", "list", "--custom", "--built-in"])
                .unwrap_err()
                .kind(),
            clap::error::ErrorKind::ArgumentConflict
        );
        let Ok(Command::Catalogue(CatalogueCommand::Add(add))) = parse(&[
            "catalogue",
            "add",
            "Sled push",
            "--category",
            "strength",
            "--muscle",
            "quadriceps",
            "--muscle",
            "glutes",
            "--secondary",
            "calves",
            "--equipment",
            "other",
            "--mode",
            "distance-duration",
        ]) else {
            panic!("catalogue add did not parse");
        };
        assert_eq!(add.muscles.len(), 2);
        assert!(
            parse(&[
                "catalogue",
                "add",
                "X",
                "--category",
                "strength",
                "--equipment",
                "none",
                "--mode",
                "reps-only"
            ])
            .is_err(),
            "a custom entry needs a muscle"
        );
        let Ok(Command::Import(ImportCommand::Strong(strong))) = parse(&[
            "import",
            "strong",
            "s.csv",
            "--time-zone",
            "Europe/Berlin",
            "--unit",
            "lb",
        ]) else {
            panic!("import strong did not parse");
        };
        assert_eq!(strong.time_zone, "Europe/Berlin");
        assert!(
            parse(&["import", "hevy", "h.csv", "--unit", "lb"]).is_err(),
            "Hevy names its unit"
        );
        assert!(matches!(
            parse(&["records", "--kind", "best-1rm"]),
            Ok(Command::Records(_))
        ));
        assert!(matches!(parse(&["history", "e1"]), Ok(Command::History(_))));
        assert!(matches!(
            parse(&["weeks", "--from", "2025-01-01"]),
            Ok(Command::Weeks(_))
        ));
    }

    #[test]
    fn users_commands_go_through_the_api_and_admin_stays_on_the_database() {
        use client::users::UsersCommand;

        let Ok(command) = parse(&["users", "delete", "u1", "--yes"]) else {
            panic!("users delete did not parse");
        };
        assert!(!is_server_side(&command), "users talks to a running server");
        let Command::Users(UsersCommand::Delete { user_id, yes }) = command else {
            panic!("parsed as {command:?}");
        };
        assert_eq!((user_id.as_str(), yes), ("u1", true));
        assert!(matches!(
            parse(&["users", "reset-mfa", "u2"]),
            Ok(Command::Users(UsersCommand::ResetMfa { user_id })) if user_id == "u2"
        ));
        let admin = parse(&["admin", "create", "--username", "a", "--email", "a@x.io"]).unwrap();
        assert!(is_server_side(&admin));
    }
}
