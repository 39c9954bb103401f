//! `stride account …`: the account's lifecycle after registration. Verifying the email
//! address with the mailed link, asking for a new link, exporting everything the services
//! hold about you, and deleting the account.
//!
//! The export is one JSON object, `{"auth": …, "fitness": …}`: each service streams its own
//! document in chunks, and the command joins them, so a person gets one file to keep. With
//! `--format csv` it is the fitness service's CSV instead (one row per set), written chunk by
//! chunk as it arrives.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand, ValueEnum};
use shared::pb::auth::v1::auth_service_client::AuthServiceClient;
use shared::pb::auth::v1::user_service_client::UserServiceClient;
use shared::pb::auth::v1::{
    DeleteMeRequest, ExportMyDataRequest, ResendVerificationRequest, VerifyEmailRequest,
};
use shared::pb::fitness::v1 as fitness;
use shared::pb::fitness::v1::data_service_client::DataServiceClient;
use tonic::{Code, Streaming};

use super::mfa::{CodeArg, with_code};
use super::{Client, answer, connect, failure, link_token};
use crate::error::{Failure, reason};
use crate::{output, prompt};

/// What to tell a person whose verification link does not work.
const RESEND: &str = "the link is wrong, used or expired: ask for a new one with \
                      `stride account resend-verification`";

/// `stride account …`
#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Confirm your email address (or a requested new one) with the token of the mailed link
    Verify {
        /// The token of the link, or the whole link (it may start with `-`)
        #[arg(allow_hyphen_values = true)]
        token: String,
    },
    /// Mail a new verification link for your unverified or pending email address
    ResendVerification,
    /// Delete your account and all its data, on every service, and sign out
    Delete(DeleteArgs),
    /// Write everything the services hold about you as one JSON object, or every set as CSV
    Export {
        /// Write it to this file (created readable by you only) instead of stdout
        #[arg(long, short = 'o', value_name = "FILE")]
        out: Option<PathBuf>,
        /// json: both services' documents as one object; csv: every set of your workouts,
        /// one row each, from the fitness service
        #[arg(long, default_value = "json")]
        format: ExportFormat,
    },
}

/// Form of `stride account export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// `{"auth": …, "fitness": …}`
    Json,
    /// The fitness service's CSV: one row per set
    Csv,
}

/// `stride account delete`
#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// Do not ask for confirmation
    #[arg(long)]
    pub yes: bool,
    /// Password (else STRIDE_PASSWORD, else a prompt in a terminal); not needed within minutes
    /// of signing in
    #[arg(long, env = "STRIDE_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
    /// A code, when you have a second factor and did not pass it in the last minutes
    #[command(flatten)]
    pub code: CodeArg,
}

/// Runs `stride account …`.
pub async fn account(client: &Client, command: AccountCommand) -> Result<(), Failure> {
    match command {
        AccountCommand::Verify { token } => verify(client, &token).await,
        AccountCommand::ResendVerification => {
            let signed_in = client.signed_in().await?;
            answer(
                UserServiceClient::new(signed_in.auth().await?)
                    .resend_verification(ResendVerificationRequest {})
                    .await,
            )?;
            client
                .out
                .done("a new verification link is on its way (then: stride account verify LINK)");
            Ok(())
        }
        AccountCommand::Delete(args) => delete(client, args).await,
        AccountCommand::Export {
            out,
            format: ExportFormat::Json,
        } => export(client, out.as_deref()).await,
        AccountCommand::Export {
            out,
            format: ExportFormat::Csv,
        } => export_csv(client, out.as_deref()).await,
    }
}

/// Confirms an email address with a link's token. Needs no sign-in: the token is the proof.
async fn verify(client: &Client, token: &str) -> Result<(), Failure> {
    let mut auth = AuthServiceClient::new(connect("auth", &client.auth_url(), client.tls()).await?);
    auth.verify_email(VerifyEmailRequest {
        token: link_token(token),
    })
    .await
    .map_err(|status| {
        if status.code() == Code::Unauthenticated
            && reason(&status).as_deref() == Some("INVALID_TOKEN")
        {
            Failure::status_with_hint(status, RESEND)
        } else {
            Failure::from(status)
        }
    })?;
    client.out.done("email address verified");
    Ok(())
}

/// Deletes the signed-in user's account, then forgets the local credentials as `logout` does
/// (the server has revoked them along with everything else).
async fn delete(client: &Client, args: DeleteArgs) -> Result<(), Failure> {
    let signed_in = client.signed_in().await?;
    let username = signed_in.credentials.username.clone();
    if !args.yes {
        let question = format!(
            "This deletes the account {username} and all its data, on every service. It cannot \
             be undone."
        );
        if !prompt::confirm(&question, &username)? {
            return Err(Failure::Other(
                "not confirmed: nothing was deleted".to_owned(),
            ));
        }
    }
    let password = prompt::optional_password(args.password)?;
    let api = UserServiceClient::new(signed_in.auth().await?);
    with_code(args.code, |mfa_code| {
        let mut api = api.clone();
        let request = DeleteMeRequest {
            password: password.clone(),
            mfa_code,
        };
        async move { api.delete_me(request).await }
    })
    .await?;
    client.store().remove()?;
    client.out.done(&format!(
        "deleted the account {username} and signed out; the other services delete its data as \
         they learn of it"
    ));
    Ok(())
}

/// Writes `{"auth": …, "fitness": …}` to `out`, or to stdout.
async fn export(client: &Client, out: Option<&Path>) -> Result<(), Failure> {
    let signed_in = client.signed_in().await?;
    let mut users = UserServiceClient::new(signed_in.auth().await?);
    let mut data = DataServiceClient::new(signed_in.fitness().await?);
    let (auth, fitness) = tokio::try_join!(
        async {
            let stream = answer(users.export_my_data(ExportMyDataRequest::default()).await)?;
            document("auth", stream, |m| m.chunk).await
        },
        async {
            let stream = answer(
                data.export_my_data(fitness::ExportMyDataRequest::default())
                    .await,
            )?;
            document("fitness", stream, |m| m.chunk).await
        },
    )?;
    let text = serde_json::to_string_pretty(&serde_json::json!({
        "auth": auth,
        "fitness": fitness,
    }))
    .map_err(|e| Failure::Other(format!("cannot render the export: {e}")))?;
    match out {
        None => {
            output::line(&text);
            Ok(())
        }
        Some(path) => {
            let io =
                |e: std::io::Error| Failure::Other(format!("cannot write {}: {e}", path.display()));
            let mut file = crate::credentials::private_file(path).map_err(io)?;
            file.write_all(text.as_bytes())
                .and_then(|()| file.write_all(b"\n"))
                .and_then(|()| file.sync_all())
                .map_err(io)?;
            client
                .out
                .done(&format!("wrote your data to {}", path.display()));
            Ok(())
        }
    }
}

/// Writes the fitness service's CSV export to `out`, or to stdout, chunk by chunk; a file
/// left incomplete by a failure is removed.
async fn export_csv(client: &Client, out: Option<&Path>) -> Result<(), Failure> {
    let signed_in = client.signed_in().await?;
    let mut data = DataServiceClient::new(signed_in.fitness().await?);
    let mut stream = answer(
        data.export_my_data(fitness::ExportMyDataRequest {
            format: fitness::ExportFormat::Csv as i32,
        })
        .await,
    )?;
    let Some(path) = out else {
        while let Some(message) = stream.message().await.map_err(failure)? {
            output::bytes(&message.chunk)
                .map_err(|e| Failure::Other(format!("cannot write the export: {e}")))?;
        }
        return Ok(());
    };
    let io = |e: std::io::Error| Failure::Other(format!("cannot write {}: {e}", path.display()));
    let mut file = crate::credentials::private_file(path).map_err(io)?;
    let written = async {
        while let Some(message) = stream.message().await.map_err(failure)? {
            file.write_all(&message.chunk).map_err(io)?;
        }
        file.sync_all().map_err(io)
    }
    .await;
    if let Err(failure) = written {
        drop(file);
        let _ = std::fs::remove_file(path);
        return Err(failure);
    }
    client
        .out
        .done(&format!("wrote your sets as CSV to {}", path.display()));
    Ok(())
}

/// One service's export: its chunks joined and read as the JSON document they make up.
async fn document<M>(
    service: &str,
    mut stream: Streaming<M>,
    chunk: impl Fn(M) -> Vec<u8>,
) -> Result<serde_json::Value, Failure> {
    let mut bytes = Vec::new();
    while let Some(message) = stream.message().await.map_err(failure)? {
        bytes.extend(chunk(message));
    }
    serde_json::from_slice(&bytes).map_err(|e| {
        Failure::Other(format!(
            "the {service} service's export is not a JSON document: {e}"
        ))
    })
}
