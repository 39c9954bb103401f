//! Users (admins): the searchable list with a bulk deactivation, and one user's page with
//! their profile, sessions and token trees, security events and training statistics, and the
//! actions an admin takes on the account.

mod actions;
mod avatar;
mod bulk;
mod detail;
mod list;
mod sessions;

use axum::Router;
use axum::routing::{get, post};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use shared::pb::auth::v1::Role;

use crate::app::AppState;

/// The list, the bulk deactivation, a user's page, avatar and actions.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/users", get(list::show))
        .route("/admin/users/deactivate", post(bulk::deactivate))
        .route("/admin/users/{id}", get(detail::show))
        .route("/admin/users/{id}/avatar", get(avatar::show))
        .route("/admin/users/{id}/deactivate", post(actions::deactivate))
        .route("/admin/users/{id}/reactivate", post(actions::reactivate))
        .route("/admin/users/{id}/role", post(actions::change_role))
        .route(
            "/admin/users/{id}/sessions/revoke",
            post(actions::revoke_sessions),
        )
}

/// What may stay unescaped in a path segment built from a user id (letters, digits, `-`).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-');

/// The path of a user's page, `id` escaped so it stays one segment whatever it holds.
fn user_path(id: &str) -> String {
    format!("/admin/users/{}", utf8_percent_encode(id, SEGMENT))
}

/// The roles as the forms name them.
const ROLES: [(&str, &str); 3] = [("user", "User"), ("staff", "Staff"), ("admin", "Admin")];

/// A role from a form value ("user", "staff", "admin").
fn parse_role(raw: &str) -> Option<Role> {
    match raw {
        "user" => Some(Role::User),
        "staff" => Some(Role::Staff),
        "admin" => Some(Role::Admin),
        _ => None,
    }
}

/// The form value of a role.
fn role_value(role: Role) -> &'static str {
    match role {
        Role::User => "user",
        Role::Staff => "staff",
        Role::Admin => "admin",
        Role::Unspecified => "",
    }
}

/// A user's display name: the profile's, else first and last name.
fn display_name(user: &shared::pb::auth::v1::User) -> String {
    match user.profile.as_ref().map(|p| p.full_name.trim()) {
        Some(full) if !full.is_empty() => full.to_owned(),
        _ => format!("{} {}", user.first_name.trim(), user.last_name.trim())
            .trim()
            .to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_read_back_as_they_are_written() {
        for (value, _) in ROLES {
            assert_eq!(parse_role(value).map(role_value), Some(value));
        }
        assert_eq!(parse_role("ADMIN"), None);
        assert_eq!(parse_role(""), None);
    }

    #[test]
    fn user_paths_stay_one_segment() {
        let id = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
        assert_eq!(user_path(id), format!("/admin/users/{id}"));
        assert_eq!(user_path("../x"), "/admin/users/%2E%2E%2Fx");
        assert_eq!(user_path("/evil.example"), "/admin/users/%2Fevil%2Eexample");
    }
}
