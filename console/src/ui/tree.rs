//! A session's token tree drawn as nested lists: the refresh chain in rotation order, each
//! refresh token with the access tokens issued under it nested below it, coloured by status.
//! Token values are never known here, only their `jti`s.

use maud::{Markup, html};
use shared::pb::auth::v1::{AccessTokenNode, RefreshTokenNode, TokenStatus, TokenTree};

use crate::ui::{self, Tone, badge, form};

/// Characters of a `jti` shown: its end, since the start of a UUIDv7 is its timestamp, shared
/// by the tokens issued together.
const SHORT_JTI: usize = 8;

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
    if tree.refresh_tokens.is_empty() {
        return ui::empty("This session has no tokens.");
    }
    html! {
        @if tree.truncated {
            p class="muted" {
                "Only the newest " (tree.refresh_tokens.len())
                " refresh tokens are shown; older ones are left out."
            }
        }
        ul class="tree" aria-label="Refresh tokens in rotation order, oldest first" {
            @for node in &tree.refresh_tokens {
                (refresh_node(node, actions))
            }
        }
    }
}

/// One refresh token, with its access tokens as a nested list.
fn refresh_node(node: &RefreshTokenNode, actions: Option<&TreeActions<'_>>) -> Markup {
    let status = token_status(node.status);
    html! {
        li class="token refresh" data-jti=(node.jti) {
            strong { "Refresh token" } " "
            code title=(node.jti) { (short_jti(&node.jti)) } " "
            (status_badge(status))
            @if let Some(actions) = actions.filter(|_| status == TokenStatus::Active) {
                " "
                (revoke_form(
                    actions,
                    &node.jti,
                    "refresh token",
                    "Revoke this refresh token? This session's tokens issued after it stop working too.",
                ))
            }
            br;
            span class="muted" {
                "Issued " (ui::time(node.issued_at.as_ref()))
                @if node.rotated_at.is_some() { " · rotated " (ui::time(node.rotated_at.as_ref())) }
                @if node.revoked_at.is_some() { " · revoked " (ui::time(node.revoked_at.as_ref())) }
                @if status == TokenStatus::Active { " · expires " (ui::time(node.expires_at.as_ref())) }
            }
            @if !node.access_tokens.is_empty() {
                ul aria-label="Access tokens issued with it" {
                    @for access in &node.access_tokens {
                        (access_node(access, actions))
                    }
                }
            }
        }
    }
}

/// One access token.
fn access_node(node: &AccessTokenNode, actions: Option<&TreeActions<'_>>) -> Markup {
    let status = token_status(node.status);
    html! {
        li class="token access" data-jti=(node.jti) {
            "Access token "
            code title=(node.jti) { (short_jti(&node.jti)) } " "
            (status_badge(status))
            @if let Some(actions) = actions.filter(|_| status == TokenStatus::Active) {
                " "
                (revoke_form(actions, &node.jti, "access token", "Revoke this access token?"))
            }
            br;
            span class="muted" {
                "Issued " (ui::time(node.issued_at.as_ref()))
                @if node.revoked_at.is_some() { " · revoked " (ui::time(node.revoked_at.as_ref())) }
                @else { " · expires " (ui::time(node.expires_at.as_ref())) }
            }
        }
    }
}

/// The form revoking one token: the CSRF field, the `jti`, a confirmed button.
fn revoke_form(actions: &TreeActions<'_>, jti: &str, kind: &str, confirm: &str) -> Markup {
    let name = format!("Revoke {kind} {}", short_jti(jti));
    html! {
        form method="post" action=(actions.revoke_token_action) class="inline" data-confirm=(confirm) {
            (form::csrf(actions.csrf))
            input type="hidden" name="jti" value=(jti);
            button type="submit" class="danger" aria-label=(name) { "Revoke" }
        }
    }
}

/// A token status as the API sent it; unknown values read as unspecified.
fn token_status(value: i32) -> TokenStatus {
    TokenStatus::try_from(value).unwrap_or(TokenStatus::Unspecified)
}

/// The coloured badge of a token status.
pub(crate) fn status_badge(status: TokenStatus) -> Markup {
    match status {
        TokenStatus::Active => badge("active", Tone::Good),
        TokenStatus::Rotated => badge("rotated", Tone::Info),
        TokenStatus::Revoked => badge("revoked", Tone::Bad),
        TokenStatus::Expired => badge("expired", Tone::Warn),
        TokenStatus::Unspecified => badge("unknown", Tone::Muted),
    }
}

/// A `jti` cut to its last [`SHORT_JTI`] characters (the full value is in the `title`).
pub(crate) fn short_jti(jti: &str) -> String {
    let count = jti.chars().count();
    if count <= SHORT_JTI + 1 {
        return jti.to_owned();
    }
    let tail: String = jti.chars().skip(count - SHORT_JTI).collect();
    format!("…{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access(jti: &str, status: TokenStatus) -> AccessTokenNode {
        AccessTokenNode {
            jti: jti.to_owned(),
            status: status as i32,
            ..AccessTokenNode::default()
        }
    }

    fn refresh(jti: &str, status: TokenStatus, access: Vec<AccessTokenNode>) -> RefreshTokenNode {
        RefreshTokenNode {
            jti: jti.to_owned(),
            status: status as i32,
            access_tokens: access,
            ..RefreshTokenNode::default()
        }
    }

    fn chain() -> TokenTree {
        TokenTree {
            refresh_tokens: vec![
                refresh(
                    "rt-first-00000001",
                    TokenStatus::Rotated,
                    vec![access("at-first-0000000a", TokenStatus::Expired)],
                ),
                refresh(
                    "rt-second-0000002",
                    TokenStatus::Active,
                    vec![
                        access("at-second-000000b", TokenStatus::Revoked),
                        access("at-second-000000c", TokenStatus::Active),
                    ],
                ),
            ],
            ..TokenTree::default()
        }
    }

    /// The markup of the `li` whose `data-jti` is `jti`, up to its closing tag.
    fn item<'a>(html: &'a str, jti: &str) -> &'a str {
        let start = html
            .find(&format!("data-jti=\"{jti}\""))
            .unwrap_or_else(|| panic!("{jti} is not in {html}"));
        let mut depth = 0usize;
        let mut at = start;
        loop {
            let open = html[at..].find("<li").map(|i| i + at);
            let close = html[at..].find("</li>").map(|i| i + at);
            match (open, close) {
                (Some(o), Some(c)) if o < c => {
                    depth += 1;
                    at = o + 3;
                }
                (_, Some(c)) if depth == 0 => return &html[start..c],
                (_, Some(c)) => {
                    depth -= 1;
                    at = c + 5;
                }
                _ => panic!("unclosed item"),
            }
        }
    }

    #[test]
    fn access_tokens_are_nested_under_their_refresh_token() {
        let html = token_tree(&chain(), None).into_string();
        let first = item(&html, "rt-first-00000001");
        let second = item(&html, "rt-second-0000002");
        assert!(first.contains("data-jti=\"at-first-0000000a\""));
        assert!(!first.contains("at-second"));
        assert!(second.contains("data-jti=\"at-second-000000b\""));
        assert!(second.contains("data-jti=\"at-second-000000c\""));
        assert!(!second.contains("at-first"));
        assert!(second.contains("<ul"), "access tokens form a nested list");
        assert!(html.find("rt-first").unwrap_or(usize::MAX) < html.find("rt-second").unwrap_or(0));
    }

    #[test]
    fn statuses_get_their_colours() {
        let html = token_tree(&chain(), None).into_string();
        assert!(item(&html, "rt-first-00000001").contains("badge info\">rotated"));
        assert!(item(&html, "at-first-0000000a").contains("badge warn\">expired"));
        assert!(item(&html, "at-second-000000b").contains("badge bad\">revoked"));
        assert!(item(&html, "at-second-000000c").contains("badge good\">active"));
    }

    #[test]
    fn only_active_tokens_offer_a_revoke_button_and_only_with_actions() {
        let actions = TreeActions {
            csrf: "the-token",
            revoke_token_action: "/sessions/tokens/revoke",
        };
        let html = token_tree(&chain(), Some(&actions)).into_string();
        let revocable = |jti: &str| {
            let markup = item(&html, jti);
            let own = markup.split("<ul").next().unwrap_or_default();
            own.contains(&format!("name=\"jti\" value=\"{jti}\""))
        };
        assert!(revocable("rt-second-0000002"));
        assert!(revocable("at-second-000000c"));
        assert!(!revocable("rt-first-00000001"));
        assert!(!revocable("at-second-000000b"));
        assert!(html.contains("name=\"_csrf\" value=\"the-token\""));
        assert!(html.contains("action=\"/sessions/tokens/revoke\""));
        let read_only = token_tree(&chain(), None).into_string();
        assert!(!read_only.contains("<form"));
    }

    #[test]
    fn values_are_escaped() {
        let tree = TokenTree {
            refresh_tokens: vec![refresh(
                "<script>alert(1)</script>",
                TokenStatus::Active,
                vec![],
            )],
            ..TokenTree::default()
        };
        let html = token_tree(&tree, None).into_string();
        assert!(!html.contains("<script>"));
        assert!(html.contains("&lt;script&gt;"));
    }

    #[test]
    fn an_empty_or_truncated_tree_says_so() {
        let empty = token_tree(&TokenTree::default(), None).into_string();
        assert!(empty.contains("no tokens"));
        let mut truncated = chain();
        truncated.truncated = true;
        let html = token_tree(&truncated, None).into_string();
        assert!(html.contains("Only the newest 2 refresh tokens are shown"));
    }

    #[test]
    fn jtis_are_shortened_to_their_random_end() {
        assert_eq!(
            short_jti("0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"),
            "…2e3f4a5b"
        );
        assert_eq!(short_jti("short"), "short");
        assert_eq!(short_jti("ééééééééééé"), "…éééééééé");
    }
}
