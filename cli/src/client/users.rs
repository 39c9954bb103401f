//! `stride users …`: an admin acting on other people's accounts through the auth service's
//! `AdminService`, signed in as an ADMIN (others get PERMISSION_DENIED). Not to be confused
//! with `stride admin`, which works on the auth database directly, without a server.

use clap::Subcommand;
use shared::pb::auth::v1::admin_service_client::AdminServiceClient;
use shared::pb::auth::v1::{DeleteUserRequest, GetUserRequest, ResetUserMfaRequest};

use super::{Client, answer};
use crate::error::Failure;
use crate::prompt;

/// `stride users …`
#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Delete a user's account and all its data, on every service (not your own: use
    /// `stride account delete`)
    Delete {
        /// The user's id
        user_id: String,
        /// Do not ask for confirmation
        #[arg(long)]
        yes: bool,
    },
    /// Remove a user's second factor and recovery codes, for a user who lost both: they sign
    /// in with the password alone until they enroll again
    ResetMfa {
        /// The user's id
        user_id: String,
    },
}

/// Runs `stride users …`.
pub async fn users(client: &Client, command: UsersCommand) -> Result<(), Failure> {
    let signed_in = client.signed_in().await?;
    let mut api = AdminServiceClient::new(signed_in.auth().await?);
    match command {
        UsersCommand::Delete { user_id, yes } => {
            if !yes {
                // Confirming by username, not by an id nobody reads, also checks the id names
                // the account the admin has in mind.
                let user = answer(
                    api.get_user(GetUserRequest {
                        user_id: user_id.clone(),
                    })
                    .await,
                )?;
                let question = format!(
                    "This deletes the account {} <{}> ({user_id}) and all its data, on every \
                     service. It cannot be undone.",
                    user.username, user.email
                );
                if !prompt::confirm(&question, &user.username)? {
                    return Err(Failure::Other(
                        "not confirmed: nothing was deleted".to_owned(),
                    ));
                }
            }
            answer(
                api.delete_user(DeleteUserRequest {
                    user_id: user_id.clone(),
                })
                .await,
            )?;
            client.out.done(&format!("deleted user {user_id}"));
            Ok(())
        }
        UsersCommand::ResetMfa { user_id } => {
            answer(
                api.reset_user_mfa(ResetUserMfaRequest {
                    user_id: user_id.clone(),
                })
                .await,
            )?;
            client.out.done(&format!(
                "second factor of user {user_id} removed: they sign in with the password alone"
            ));
            Ok(())
        }
    }
}
