//! `stride password …`: reset a forgotten password through a mailed link, or change yours.
//!
//! A reset is two commands with a mailbox in between: `reset LOGIN` asks the server to mail a
//! link (it answers the same whether or not the account exists, so the command cannot say
//! more than "if it exists"), and `reset --token TOKEN` sets the new password with the link's
//! token, signing out every session of the account.

use clap::{Args, Subcommand};
use shared::pb::auth::v1::auth_service_client::AuthServiceClient;
use shared::pb::auth::v1::user_service_client::UserServiceClient;
use shared::pb::auth::v1::{
    ChangePasswordRequest, RequestPasswordResetRequest, ResetPasswordRequest,
};
use tonic::Code;

use super::mfa::{CodeArg, with_code};
use super::{Client, connect, link_token};
use crate::error::{Failure, reason};
use crate::prompt;

/// What to tell a person whose reset link does not work.
const ASK_AGAIN: &str =
    "the link is wrong, used or expired: ask for a new one with `stride password reset LOGIN`";

/// `stride password …`
#[derive(Debug, Subcommand)]
pub enum PasswordCommand {
    /// Forgot it: `reset LOGIN` mails a reset link to the account; `reset --token TOKEN` sets
    /// a new password with the link (and signs out every session of the account)
    Reset(ResetArgs),
    /// Change your password; your other sessions are signed out
    Change(ChangeArgs),
}

/// `stride password reset`
#[derive(Debug, Args)]
pub struct ResetArgs {
    /// Username or email address of the account to mail a reset link to
    #[arg(required_unless_present = "token", conflicts_with = "token")]
    pub login: Option<String>,
    /// The token of the reset link (or the whole link): sets the new password. Tokens are
    /// URL-safe base64 and may start with `-`.
    #[arg(long, value_name = "TOKEN", allow_hyphen_values = true)]
    pub token: Option<String>,
    /// New password, with --token (else STRIDE_NEW_PASSWORD, else a prompt in a terminal)
    #[arg(long, env = "STRIDE_NEW_PASSWORD", hide_env_values = true)]
    pub new_password: Option<String>,
}

/// `stride password change`
#[derive(Debug, Args)]
pub struct ChangeArgs {
    /// Current password (else STRIDE_PASSWORD, else a prompt in a terminal)
    #[arg(long, env = "STRIDE_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
    /// New password (else STRIDE_NEW_PASSWORD, else a prompt in a terminal)
    #[arg(long, env = "STRIDE_NEW_PASSWORD", hide_env_values = true)]
    pub new_password: Option<String>,
    /// A code, when you have a second factor and did not pass it in the last minutes
    #[command(flatten)]
    pub code: CodeArg,
}

/// Runs `stride password …`.
pub async fn password(client: &Client, command: PasswordCommand) -> Result<(), Failure> {
    match command {
        PasswordCommand::Reset(args) => match (args.login, args.token) {
            (_, Some(token)) => reset(client, &token, args.new_password).await,
            (Some(login), None) => request_reset(client, login).await,
            // clap requires one of the two.
            (None, None) => Err(Failure::Usage(
                "name the account (LOGIN) or pass the link's --token".to_owned(),
            )),
        },
        PasswordCommand::Change(args) => change(client, args).await,
    }
}

/// Asks for a reset link to be mailed to the account named `login`.
async fn request_reset(client: &Client, login: String) -> Result<(), Failure> {
    let mut auth = AuthServiceClient::new(connect("auth", &client.auth_url(), client.tls()).await?);
    auth.request_password_reset(RequestPasswordResetRequest {
        login: login.clone(),
    })
    .await?;
    client.out.done(&format!(
        "if an account {login} exists, a reset link is on its way to its email address\n\
         then: stride password reset --token TOKEN   (the token, or the whole link)"
    ));
    Ok(())
}

/// Sets a new password with the token of a reset link.
async fn reset(client: &Client, token: &str, new_password: Option<String>) -> Result<(), Failure> {
    let new_password = prompt::new_password(new_password)?;
    let mut auth = AuthServiceClient::new(connect("auth", &client.auth_url(), client.tls()).await?);
    auth.reset_password(ResetPasswordRequest {
        token: link_token(token),
        new_password,
    })
    .await
    .map_err(|status| {
        if status.code() == Code::Unauthenticated
            && reason(&status).as_deref() == Some("INVALID_TOKEN")
        {
            Failure::status_with_hint(status, ASK_AGAIN)
        } else {
            Failure::from(status)
        }
    })?;
    client.out.done(
        "password reset: every session of the account was signed out; sign in with `stride login`",
    );
    Ok(())
}

/// Changes the signed-in user's password.
async fn change(client: &Client, args: ChangeArgs) -> Result<(), Failure> {
    let signed_in = client.signed_in().await?;
    let current_password = prompt::password(args.password, false)?;
    let new_password = prompt::new_password(args.new_password)?;
    let api = UserServiceClient::new(signed_in.auth().await?);
    with_code(args.code, |mfa_code| {
        let mut api = api.clone();
        let request = ChangePasswordRequest {
            current_password: current_password.clone(),
            new_password: new_password.clone(),
            mfa_code,
        };
        async move { api.change_password(request).await }
    })
    .await?;
    client
        .out
        .done("password changed; your other sessions were signed out");
    Ok(())
}
