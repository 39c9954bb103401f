//! The page shell: landmarks (header, nav, main), a skip link, the navigation for the
//! signed-in user's role, and the sign-out button. Styles and the little script are files
//! under `/static/` (the Content-Security-Policy allows no inline code).

use maud::{DOCTYPE, Markup, html};
use shared::pb::auth::v1::{Role, User};

use crate::ui::form;

/// Where a page belongs in the navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Section {
    Profile,
    Sessions,
    Training,
    Dashboard,
    Users,
    Events,
    Keys,
    Leaderboard,
}

/// What the shell needs to know about the request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Chrome<'a> {
    /// `STRIDE_PRODUCT_NAME`.
    pub(crate) product: &'a str,
    /// The signed-in user.
    pub(crate) me: &'a User,
    /// The session's CSRF token.
    pub(crate) csrf: &'a str,
    /// The current section.
    pub(crate) section: Section,
}

fn head(title: &str, product: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            meta name="referrer" content="no-referrer";
            title { (title) " · " (product) }
            link rel="stylesheet" href="/static/console.css";
            link rel="icon" href="/static/favicon.svg" type="image/svg+xml";
            script src="/static/console.js" defer {}
        }
    }
}

/// A signed-in page.
pub(crate) fn page(chrome: &Chrome<'_>, title: &str, body: Markup) -> Markup {
    let role = Role::try_from(chrome.me.role).unwrap_or(Role::Unspecified);
    let staff = matches!(role, Role::Staff | Role::Admin);
    let admin = role == Role::Admin;
    let link = |section: Section, href: &str, text: &str| {
        html! {
            li {
                a href=(href) aria-current=[(chrome.section == section).then_some("page")] { (text) }
            }
        }
    };
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title, chrome.product))
            body {
                a class="skip" href="#main" { "Skip to content" }
                header class="top" {
                    a class="brand" href="/" { span class="logo" aria-hidden="true" { "◆" } (chrome.product) }
                    div class="who" {
                        span class="who-name" { (chrome.me.username) }
                        (role_badge(role))
                        form method="post" action="/logout" class="inline" {
                            (form::csrf(chrome.csrf))
                            button type="submit" class="link" { "Sign out" }
                        }
                    }
                }
                div class="shell" {
                    nav class="side" aria-label="Console" {
                        ul {
                            (link(Section::Profile, "/", "Profile"))
                            (link(Section::Sessions, "/sessions", "Sessions"))
                            (link(Section::Training, "/training", "Training"))
                        }
                        @if staff {
                            p class="nav-group" { "Team" }
                            ul {
                                @if admin {
                                    (link(Section::Dashboard, "/admin", "Dashboard"))
                                    (link(Section::Users, "/admin/users", "Users"))
                                    (link(Section::Events, "/admin/events", "Security events"))
                                    (link(Section::Keys, "/admin/keys", "Signing keys"))
                                }
                                (link(Section::Leaderboard, "/leaderboard", "Leaderboard"))
                            }
                        }
                    }
                    main id="main" tabindex="-1" {
                        h1 { (title) }
                        (body)
                    }
                }
            }
        }
    }
}

/// A page without navigation (sign-in, errors).
pub(crate) fn bare_page(product: &str, title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title, product))
            body class="bare" {
                main id="main" class="card narrow" {
                    p class="brand" { span class="logo" aria-hidden="true" { "◆" } (product) }
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}

/// An error page with one message and a way back.
pub(crate) fn bare(title: &str, message: &str) -> Markup {
    bare_page(
        "Stride",
        title,
        html! {
            p { (message) }
            p { a href="/" { "Back to the console" } }
        },
    )
}

/// The badge of a role.
pub(crate) fn role_badge(role: Role) -> Markup {
    use crate::ui::{Tone, badge};
    match role {
        Role::Admin => badge("admin", Tone::Bad),
        Role::Staff => badge("staff", Tone::Info),
        _ => badge("user", Tone::Muted),
    }
}
