//! `stride tree`: a session's token tree drawn with box-drawing characters.
//!
//! ```text
//! session 0197…a1  ACTIVE  laptop  opened 2025-06-01 12:00:00Z
//! ├── refresh 0197…b2  ROTATED  issued 2025-06-01 12:00:00Z  rotated 2025-06-01 12:09:40Z
//! │   └── access 0197…c3  EXPIRED  issued 2025-06-01 12:00:00Z  expires 2025-06-01 12:10:00Z
//! └── refresh 0197…d4  ACTIVE  issued 2025-06-01 12:09:40Z
//!     └── access 0197…e5  ACTIVE  issued 2025-06-01 12:09:40Z  expires 2025-06-01 12:19:40Z
//! ```
//!
//! A session's refresh tokens form a chain (each rotated into the next), so they are drawn as
//! siblings in rotation order rather than nested ever deeper; a token whose parent is not the
//! one drawn before it says so.

use shared::pb::auth::v1::{
    AccessTokenNode, RefreshTokenNode, SessionStatus, TokenStatus, TokenTree,
};

use crate::output::timestamp;

/// One line of a tree and the lines under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// The text of the line.
    pub label: String,
    /// Nodes drawn under this one, in order.
    pub children: Vec<Node>,
}

impl Node {
    /// A node without children.
    pub fn leaf(label: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            children: Vec::new(),
        }
    }
}

/// Draws `root` and its descendants, one line each, children under `├── `/`└── ` with `│`
/// connecting later siblings.
pub fn render(root: &Node) -> String {
    let mut out = String::new();
    out.push_str(&root.label);
    out.push('\n');
    render_children(&root.children, "", &mut out);
    out
}

fn render_children(children: &[Node], prefix: &str, out: &mut String) {
    for (i, child) in children.iter().enumerate() {
        let last = i + 1 == children.len();
        out.push_str(prefix);
        out.push_str(if last { "└── " } else { "├── " });
        out.push_str(&child.label);
        out.push('\n');
        let deeper = format!("{prefix}{}", if last { "    " } else { "│   " });
        render_children(&child.children, &deeper, out);
    }
}

/// The tree of one session as [`Node`]s.
pub fn token_tree(tree: &TokenTree) -> Node {
    let mut root = match &tree.session {
        Some(session) => {
            let status = SessionStatus::try_from(session.status).map_or("UNKNOWN", |s| {
                s.as_str_name().trim_start_matches("SESSION_STATUS_")
            });
            let mut label = format!("session {}  {status}", session.id);
            if !session.device_label.is_empty() {
                label.push_str(&format!("  {}", session.device_label));
            }
            label.push_str(&format!(
                "  opened {}",
                timestamp(session.created_at.as_ref())
            ));
            if session.current {
                label.push_str("  (current)");
            }
            Node::leaf(label)
        }
        None => Node::leaf("session"),
    };
    if tree.truncated {
        root.children.push(Node::leaf(
            "… older refresh tokens not shown (the newest 100 are)",
        ));
    }
    let mut previous: Option<&str> = None;
    for refresh in &tree.refresh_tokens {
        root.children.push(refresh_node(refresh, previous));
        previous = Some(&refresh.jti);
    }
    root
}

fn refresh_node(token: &RefreshTokenNode, previous: Option<&str>) -> Node {
    let mut label = format!(
        "refresh {}  {}  issued {}",
        token.jti,
        token_status(token.status),
        timestamp(token.issued_at.as_ref())
    );
    if let Some(at) = token.rotated_at.as_ref() {
        label.push_str(&format!("  rotated {}", timestamp(Some(at))));
    }
    if let Some(at) = token.revoked_at.as_ref() {
        label.push_str(&format!("  revoked {}", timestamp(Some(at))));
    }
    let parent = token.parent_jti.as_str();
    if !parent.is_empty() && previous != Some(parent) {
        label.push_str(&format!("  (from {parent})"));
    }
    Node {
        label,
        children: token.access_tokens.iter().map(access_node).collect(),
    }
}

fn access_node(token: &AccessTokenNode) -> Node {
    let mut label = format!(
        "access {}  {}  issued {}  expires {}",
        token.jti,
        token_status(token.status),
        timestamp(token.issued_at.as_ref()),
        timestamp(token.expires_at.as_ref())
    );
    if let Some(at) = token.revoked_at.as_ref() {
        label.push_str(&format!("  revoked {}", timestamp(Some(at))));
    }
    Node::leaf(label)
}

fn token_status(status: i32) -> &'static str {
    TokenStatus::try_from(status).map_or("UNKNOWN", |s| {
        s.as_str_name().trim_start_matches("TOKEN_STATUS_")
    })
}

#[cfg(test)]
mod tests {
    use prost_types::Timestamp;
    use shared::pb::auth::v1::Session;

    use super::*;

    #[test]
    fn children_hang_off_box_drawing_branches() {
        let root = Node {
            label: "root".into(),
            children: vec![
                Node {
                    label: "a".into(),
                    children: vec![Node::leaf("a1"), Node::leaf("a2")],
                },
                Node {
                    label: "b".into(),
                    children: vec![Node::leaf("b1")],
                },
            ],
        };
        assert_eq!(
            render(&root),
            "root\n├── a\n│   ├── a1\n│   └── a2\n└── b\n    └── b1\n"
        );
    }

    #[test]
    fn a_lone_root_is_one_line() {
        assert_eq!(render(&Node::leaf("session s1")), "session s1\n");
    }

    fn at(seconds: i64) -> Option<Timestamp> {
        Some(Timestamp { seconds, nanos: 0 })
    }

    #[test]
    fn a_rotated_session_shows_its_chain_with_statuses() {
        let tree = TokenTree {
            truncated: false,
            session: Some(Session {
                id: "s1".into(),
                device_label: "laptop".into(),
                created_at: at(0),
                status: SessionStatus::Active as i32,
                current: true,
                ..Session::default()
            }),
            refresh_tokens: vec![
                RefreshTokenNode {
                    jti: "r1".into(),
                    status: TokenStatus::Rotated as i32,
                    issued_at: at(0),
                    rotated_at: at(60),
                    access_tokens: vec![AccessTokenNode {
                        jti: "a1".into(),
                        status: TokenStatus::Expired as i32,
                        issued_at: at(0),
                        expires_at: at(600),
                        ..AccessTokenNode::default()
                    }],
                    ..RefreshTokenNode::default()
                },
                RefreshTokenNode {
                    jti: "r2".into(),
                    parent_jti: "r1".into(),
                    status: TokenStatus::Revoked as i32,
                    issued_at: at(60),
                    revoked_at: at(120),
                    access_tokens: vec![AccessTokenNode {
                        jti: "a2".into(),
                        status: TokenStatus::Revoked as i32,
                        issued_at: at(60),
                        expires_at: at(660),
                        revoked_at: at(120),
                    }],
                    ..RefreshTokenNode::default()
                },
            ],
        };
        let t0 = "1970-01-01 00:00:00Z";
        let t1 = "1970-01-01 00:01:00Z";
        let t2 = "1970-01-01 00:02:00Z";
        assert_eq!(
            render(&token_tree(&tree)),
            format!(
                "session s1  ACTIVE  laptop  opened {t0}  (current)\n\
                 ├── refresh r1  ROTATED  issued {t0}  rotated {t1}\n\
                 │   └── access a1  EXPIRED  issued {t0}  expires 1970-01-01 00:10:00Z\n\
                 └── refresh r2  REVOKED  issued {t1}  revoked {t2}\n    \
                 └── access a2  REVOKED  issued {t1}  expires 1970-01-01 00:11:00Z  revoked {t2}\n"
            )
        );
    }

    #[test]
    fn a_parent_out_of_order_is_named() {
        let tree = TokenTree {
            truncated: false,
            session: None,
            refresh_tokens: vec![RefreshTokenNode {
                jti: "r2".into(),
                parent_jti: "r0".into(),
                status: TokenStatus::Active as i32,
                ..RefreshTokenNode::default()
            }],
        };
        let text = render(&token_tree(&tree));
        assert!(text.contains("(from r0)"), "{text}");
    }
}
