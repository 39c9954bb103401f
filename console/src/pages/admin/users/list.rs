//! The list of users: a search with role and status filters (a GET form, so a filtered list is
//! a link), a page at a time, and a checkbox per row for the bulk deactivation.

use axum::extract::Query;
use axum::response::IntoResponse;
use maud::{Markup, html};
use serde::{Deserialize, Serialize};
use shared::pb::auth::v1::{ListUsersRequest, ListUsersResponse, Role, User};

use super::{ROLES, bulk, display_name, parse_role, role_value, user_path};
use crate::error::{ConsoleError, PageResult, http_status};
use crate::extract::{Admin, SignedIn};
use crate::feedback::Feedback;
use crate::ui::layout::{self, Section, role_badge};
use crate::ui::{self, Tone, form};

/// Users per page.
const PAGE_SIZE: i32 = 25;

/// The list's URL: the filters, the page, and the outcome of a bulk deactivation.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
pub(super) struct UserQuery {
    /// Search text.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    query: String,
    /// "user", "staff", "admin"; empty for any.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    role: String,
    /// "active", "inactive"; empty for both.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    active: String,
    #[serde(default, skip_serializing)]
    page_token: String,
    #[serde(default, skip_serializing)]
    done: String,
    #[serde(default, skip_serializing)]
    count: String,
    #[serde(default, skip_serializing)]
    failed: String,
}

impl UserQuery {
    /// The filters as a query string (without the page or an outcome).
    fn filters(&self) -> String {
        serde_urlencoded::to_string(self).unwrap_or_default()
    }
}

/// The filters as the API takes them.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Filters {
    query: String,
    role: Role,
    active: Option<bool>,
}

/// Parses the filters; a value no option of the form has is marked beside its field.
fn parse(q: &UserQuery) -> Result<Filters, Feedback> {
    let mut errors = Feedback::default();
    let role = match q.role.as_str() {
        "" => Some(Role::Unspecified),
        raw => parse_role(raw),
    };
    if role.is_none() {
        errors
            .fields
            .insert("role".into(), "Choose a role from the list.".into());
    }
    let active = match q.active.as_str() {
        "" => Some(None),
        "active" => Some(Some(true)),
        "inactive" => Some(Some(false)),
        _ => None,
    };
    if active.is_none() {
        errors
            .fields
            .insert("active".into(), "Choose a status from the list.".into());
    }
    match (role, active) {
        (Some(role), Some(active)) => Ok(Filters {
            query: q.query.trim().to_owned(),
            role,
            active,
        }),
        _ => {
            errors.message = "Please correct the fields marked below.".into();
            Err(errors)
        }
    }
}

/// `GET /admin/users`.
pub(super) async fn show(Admin(user): Admin, Query(q): Query<UserQuery>) -> PageResult {
    let filters = match parse(&q) {
        Ok(filters) => filters,
        Err(feedback) => {
            let markup = page(&user, &q, &ListUsersResponse::default(), &feedback);
            return Ok((http::StatusCode::BAD_REQUEST, markup).into_response());
        }
    };
    let request = ListUsersRequest {
        page_size: PAGE_SIZE,
        page_token: q.page_token.clone(),
        query: filters.query,
        role: filters.role as i32,
        active: filters.active,
    };
    let listed = user
        .api
        .call(|c| {
            let request = request.clone();
            async move { c.admin().list_users(request).await }
        })
        .await;
    match listed {
        Ok(users) => Ok(page(&user, &q, &users, &Feedback::default()).into_response()),
        Err(ConsoleError::Rpc(status)) => {
            let markup = page(
                &user,
                &q,
                &ListUsersResponse::default(),
                &Feedback::from_status(&status),
            );
            Ok((http_status(&status), markup).into_response())
        }
        Err(other) => Err(other),
    }
}

/// The list page.
fn page(user: &SignedIn, q: &UserQuery, users: &ListUsersResponse, feedback: &Feedback) -> Markup {
    let body = html! {
        (bulk::outcome(&q.done, &q.count, &q.failed))
        (ui::notice(feedback))
        (filter_form(q, feedback))
        @if users.users.is_empty() {
            @if feedback.is_empty() { (ui::empty("No users match these filters.")) }
        } @else {
            form method="post" action="/admin/users/deactivate" id="bulk" class="stack"
                data-confirm="Deactivate the selected users? They are signed out everywhere." {
                (form::csrf(user.csrf()))
                (table(&users.users))
                div class="actions" {
                    button type="submit" class="danger" id="deactivate-selected" { "Deactivate selected" }
                    span class="muted" { "At most " (bulk::MAX_SELECTED) " at a time." }
                }
            }
        }
        (ui::pager("/admin/users", &q.filters(), &users.next_page_token, q.page_token.is_empty()))
    };
    layout::page(&user.chrome(Section::Users), "Users", body)
}

/// The GET form of the filters (`#user-filters`).
fn filter_form(q: &UserQuery, feedback: &Feedback) -> Markup {
    let mut roles = vec![("", "Any role")];
    roles.extend(ROLES);
    let statuses = [
        ("", "Any status"),
        ("active", "Active"),
        ("inactive", "Deactivated"),
    ];
    html! {
        form method="get" action="/admin/users" class="filters" id="user-filters" role="search" {
            (form::input("query", "Search", "search", &q.query, feedback, "query"))
            (form::select("role", "Role", &roles, &q.role, feedback, "role"))
            (form::select("active", "Status", &statuses, &q.active, feedback, "active"))
            div class="actions" {
                button type="submit" class="primary" { "Search" }
                a href="/admin/users" { "Clear" }
            }
        }
    }
}

/// The users (`#users`), a checkbox per row (`#select-<id>`, named `user_id`).
fn table(users: &[User]) -> Markup {
    html! {
        div class="table-wrap" {
            table id="users" {
                thead {
                    tr {
                        th scope="col" {
                            input type="checkbox" data-select-all="user_id"
                                aria-label="Select every user on this page";
                        }
                        th scope="col" { "Username" }
                        th scope="col" { "Name" }
                        th scope="col" { "Email" }
                        th scope="col" { "Role" }
                        th scope="col" { "Status" }
                        th scope="col" { "Joined" }
                    }
                }
                tbody {
                    @for u in users {
                        @let role = Role::try_from(u.role).unwrap_or(Role::Unspecified);
                        tr id={ "user-" (u.id) } data-role=(role_value(role)) {
                            td {
                                input type="checkbox" name="user_id" value=(u.id)
                                    id={ "select-" (u.id) }
                                    aria-label={ "Select " (u.username) };
                            }
                            td class="username" { a href=(user_path(&u.id)) { (u.username) } }
                            td { (display_name(u)) }
                            td { (u.email) }
                            td { (role_badge(role)) }
                            td { (status_badge(u.active)) }
                            td { (ui::date(u.created_at.as_ref())) }
                        }
                    }
                }
            }
        }
    }
}

/// "active" or "deactivated".
pub(super) fn status_badge(active: bool) -> Markup {
    if active {
        ui::badge("active", Tone::Good)
    } else {
        ui::badge("deactivated", Tone::Bad)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(query: &str, role: &str, active: &str) -> UserQuery {
        UserQuery {
            query: query.into(),
            role: role.into(),
            active: active.into(),
            ..UserQuery::default()
        }
    }

    #[test]
    fn filters_parse_into_what_the_api_takes() {
        assert_eq!(
            parse(&q("  ada ", "staff", "inactive")),
            Ok(Filters {
                query: "ada".into(),
                role: Role::Staff,
                active: Some(false),
            })
        );
        assert_eq!(
            parse(&q("", "", "")),
            Ok(Filters {
                query: String::new(),
                role: Role::Unspecified,
                active: None,
            })
        );
    }

    #[test]
    fn unknown_filter_values_are_marked_beside_their_fields() {
        let err = parse(&q("", "root", "maybe")).unwrap_err();
        assert!(err.for_field("role").is_some());
        assert!(err.for_field("active").is_some());
    }

    #[test]
    fn the_pager_keeps_the_filters_only() {
        let mut query = q("a&b", "admin", "");
        query.page_token = "t".into();
        query.done = "deactivated".into();
        assert_eq!(query.filters(), "query=a%26b&role=admin");
    }

    #[test]
    fn rows_escape_what_users_typed() {
        let user = User {
            id: "u1".into(),
            username: "ada".into(),
            first_name: "<img src=x>".into(),
            ..User::default()
        };
        let html = table(&[user]).into_string();
        assert!(html.contains("&lt;img src=x&gt;"));
        assert!(html.contains(r#"name="user_id" value="u1""#));
    }
}
