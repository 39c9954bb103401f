//! `stride sessions …` and `stride tree`: the signed-in user's sessions and token trees.

use clap::{Args, Subcommand};
use shared::pb::auth::v1::session_service_client::SessionServiceClient;
use shared::pb::auth::v1::{
    GetTokenTreeRequest, ListSessionsRequest, RevokeAllSessionsRequest, RevokeSessionRequest,
    RevokeTokenRequest, Session, SessionStatus,
};

use super::{Client, answer};
use crate::error::Failure;
use crate::output::{self, enum_label, timestamp};
use crate::tree;

/// `stride sessions`
#[derive(Debug, Args)]
pub struct SessionsArgs {
    #[command(subcommand)]
    command: Option<SessionsCommand>,
}

/// `stride sessions …`
#[derive(Debug, Subcommand)]
enum SessionsCommand {
    /// List your sessions, newest first (the default)
    List(Page),
    /// Revoke one session and all its tokens
    Revoke {
        /// Session id (see `stride sessions`)
        session_id: String,
    },
    /// Revoke all your sessions
    RevokeAll {
        /// Keep the session this CLI is signed in with
        #[arg(long)]
        keep_current: bool,
    },
    /// Revoke one token by its jti (see `stride tree`); a refresh token takes the tokens
    /// issued after it along
    RevokeToken {
        /// The token's jti
        jti: String,
    },
}

/// Paging of list commands.
#[derive(Debug, Clone, Default, Args)]
pub struct Page {
    /// Results per page (0: the server's default of 50; at most 500)
    #[arg(long, default_value_t = 0)]
    pub page_size: i32,
    /// `next page` token printed by the previous page
    #[arg(long, default_value = "", hide_default_value = true)]
    pub page_token: String,
}

/// The line that tells how to get the next page, if there is one.
pub fn more(next_page_token: &str) -> String {
    if next_page_token.is_empty() {
        String::new()
    } else {
        format!("next page: --page-token {next_page_token}\n")
    }
}

/// Runs `stride sessions …`.
pub async fn sessions(client: &Client, args: SessionsArgs) -> Result<(), Failure> {
    let signed_in = client.signed_in().await?;
    let mut api = SessionServiceClient::new(signed_in.auth().await?);
    match args
        .command
        .unwrap_or(SessionsCommand::List(Page::default()))
    {
        SessionsCommand::List(page) => {
            let response = answer(
                api.list_sessions(ListSessionsRequest {
                    page_size: page.page_size,
                    page_token: page.page_token,
                })
                .await,
            )?;
            client
                .out
                .show(&response, "stride.auth.v1.ListSessionsResponse", || {
                    sessions_table(&response.sessions) + &more(&response.next_page_token)
                })
        }
        SessionsCommand::Revoke { session_id } => {
            answer(
                api.revoke_session(RevokeSessionRequest {
                    session_id: session_id.clone(),
                })
                .await,
            )?;
            let own = session_id == signed_in.credentials.session_id;
            if own {
                client.store().remove()?;
            }
            client.out.done(&format!(
                "revoked session {session_id}{}",
                if own { " (this CLI's: signed out)" } else { "" }
            ));
            Ok(())
        }
        SessionsCommand::RevokeAll { keep_current } => {
            let response = answer(
                api.revoke_all_sessions(RevokeAllSessionsRequest { keep_current })
                    .await,
            )?;
            if !keep_current {
                client.store().remove()?;
            }
            client.out.show(
                &response,
                "stride.auth.v1.RevokeAllSessionsResponse",
                || {
                    format!(
                        "revoked {} session(s){}",
                        response.revoked_count,
                        if keep_current {
                            ""
                        } else {
                            ", this CLI's included: signed out"
                        }
                    )
                },
            )
        }
        SessionsCommand::RevokeToken { jti } => {
            answer(
                api.revoke_token(RevokeTokenRequest { jti: jti.clone() })
                    .await,
            )?;
            client.out.done(&format!("revoked token {jti}"));
            Ok(())
        }
    }
}

/// Prints the token tree of a session (the CLI's own by default).
pub async fn tree(client: &Client, session_id: Option<String>) -> Result<(), Failure> {
    let signed_in = client.signed_in().await?;
    let session_id = session_id.unwrap_or_else(|| signed_in.credentials.session_id.clone());
    let response = answer(
        SessionServiceClient::new(signed_in.auth().await?)
            .get_token_tree(GetTokenTreeRequest { session_id })
            .await,
    )?;
    let token_tree = response.tree.clone().unwrap_or_default();
    client
        .out
        .show(&response, "stride.auth.v1.GetTokenTreeResponse", || {
            tree::render(&tree::token_tree(&token_tree))
        })
}

/// Sessions as a table; `*` marks the one making the request.
pub fn sessions_table(sessions: &[Session]) -> String {
    let rows: Vec<Vec<String>> = sessions
        .iter()
        .map(|s| {
            vec![
                if s.current { "*" } else { "" }.to_owned(),
                s.id.clone(),
                SessionStatus::try_from(s.status)
                    .map(|st| enum_label(st.as_str_name(), "SESSION_STATUS_"))
                    .unwrap_or_default(),
                s.device_label.clone(),
                s.ip.clone(),
                timestamp(s.created_at.as_ref()),
                timestamp(s.last_refreshed_at.as_ref()),
            ]
        })
        .collect();
    output::table(
        &["", "ID", "STATUS", "DEVICE", "IP", "OPENED", "REFRESHED"],
        &rows,
        "no sessions",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_current_session_is_starred() {
        let text = sessions_table(&[Session {
            id: "s1".into(),
            device_label: "laptop".into(),
            ip: "127.0.0.1".into(),
            status: SessionStatus::Active as i32,
            current: true,
            ..Session::default()
        }]);
        assert_eq!(
            text,
            "   ID  STATUS  DEVICE  IP         OPENED  REFRESHED\n*  s1  active  laptop  127.0.0.1\n"
        );
    }

    #[test]
    fn the_next_page_hint_appears_only_when_there_is_one() {
        assert_eq!(more(""), "");
        assert_eq!(more("abc"), "next page: --page-token abc\n");
    }
}
