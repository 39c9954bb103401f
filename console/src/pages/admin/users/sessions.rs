//! The sessions part of the user page: the user's newest sessions, each with its token tree
//! (drawn without revoke buttons: the admin ends sessions all at once, from the actions).

use futures::StreamExt as _;
use maud::{Markup, html};
use shared::pb::auth::v1::{
    GetUserTokenTreeRequest, ListUserSessionsRequest, Session, SessionStatus, TokenTree,
};
use tonic::Status;

use crate::error::ConsoleError;
use crate::extract::SignedIn;
use crate::feedback::Feedback;
use crate::pages::admin::dashboard::part;
use crate::ui::tree::token_tree;
use crate::ui::{self, Tone};

/// Sessions shown (newest first), each with its tree.
const SESSIONS: i32 = 10;
/// Most token trees asked for at once.
const TREES_AT_ONCE: usize = 4;

/// A user's newest sessions with their trees.
#[derive(Debug)]
pub(super) struct Sessions {
    items: Vec<(Session, Option<TokenTree>)>,
    /// The user has older sessions than those shown.
    more: bool,
}

/// Lists the sessions of user `id`, then asks for their trees; a refusal of the listing is
/// this part's, an ended session the whole request's.
pub(super) async fn load(
    admin: &SignedIn,
    id: &str,
) -> Result<Result<Sessions, Status>, ConsoleError> {
    let request = ListUserSessionsRequest {
        user_id: id.to_owned(),
        page_size: SESSIONS,
        page_token: String::new(),
    };
    let listed = admin
        .api
        .call(|c| {
            let request = request.clone();
            async move { c.admin().list_user_sessions(request).await }
        })
        .await;
    match part(listed)? {
        Ok(page) => Ok(Ok(Sessions {
            more: !page.next_page_token.is_empty(),
            items: with_trees(admin, id, page.sessions).await?,
        })),
        Err(status) => Ok(Err(status)),
    }
}

/// Each session with its token tree (none when auth would not give it).
async fn with_trees(
    admin: &SignedIn,
    user_id: &str,
    sessions: Vec<Session>,
) -> Result<Vec<(Session, Option<TokenTree>)>, ConsoleError> {
    let trees = futures::stream::iter(sessions)
        .map(|session| async move {
            let request = GetUserTokenTreeRequest {
                user_id: user_id.to_owned(),
                session_id: session.id.clone(),
            };
            let tree = admin
                .api
                .call(|c| {
                    let request = request.clone();
                    async move { c.admin().get_user_token_tree(request).await }
                })
                .await;
            (session, tree)
        })
        .buffered(TREES_AT_ONCE)
        .collect::<Vec<_>>()
        .await;
    trees
        .into_iter()
        .map(|(session, tree)| Ok((session, part(tree)?.ok().and_then(|t| t.tree))))
        .collect()
}

/// The "Sessions" card.
pub(super) fn section(sessions: &Result<Sessions, Status>) -> Markup {
    html! {
        section class="card" aria-labelledby="sessions" {
            h2 id="sessions" { "Sessions" }
            @match sessions {
                Ok(sessions) if sessions.items.is_empty() => (ui::empty("No sessions.")),
                Ok(sessions) => {
                    div class="stack" {
                        @for (session, tree) in &sessions.items { (session_item(session, tree.as_ref())) }
                    }
                    @if sessions.more {
                        p class="muted" { "Only the " (SESSIONS) " newest sessions are shown." }
                    }
                }
                Err(status) => (ui::notice(&Feedback::from_status(status))),
            }
        }
    }
}

/// One session (`#session-<id>`): its facts and its tree.
fn session_item(session: &Session, tree: Option<&TokenTree>) -> Markup {
    let status = SessionStatus::try_from(session.status).unwrap_or(SessionStatus::Unspecified);
    let (text, tone) = match status {
        SessionStatus::Active => ("active", Tone::Good),
        SessionStatus::Revoked => ("revoked", Tone::Bad),
        SessionStatus::Expired => ("expired", Tone::Muted),
        SessionStatus::Unspecified => ("unknown", Tone::Muted),
    };
    html! {
        article class="session" id={ "session-" (session.id) } {
            h3 {
                @if session.device_label.is_empty() { "Unnamed device" } @else { (session.device_label) }
                " " (ui::badge(text, tone))
            }
            dl class="facts" {
                dt { "Opened" } dd { (ui::time(session.created_at.as_ref())) }
                dt { "Last refreshed" } dd { (ui::time(session.last_refreshed_at.as_ref())) }
                dt { "Ends at the latest" } dd { (ui::time(session.expires_at.as_ref())) }
                dt { "Address" } dd { @if session.ip.is_empty() { "—" } @else { code { (session.ip) } } }
                dt { "Browser" } dd { @if session.user_agent.is_empty() { "—" } @else { (session.user_agent) } }
            }
            @if let Some(tree) = tree {
                details {
                    summary { "Token tree" }
                    (token_tree(tree, None))
                }
            }
        }
    }
}
