//! "Deactivate selected": the list's form sends one `user_id` field per ticked row. Each user
//! is deactivated by its own `UpdateUser` (a few at a time), and the list says how many were
//! and how many were refused (an admin cannot deactivate themselves, for one).

use axum::response::{IntoResponse, Redirect};
use futures::StreamExt as _;
use maud::{Markup, html};
use shared::pb::auth::v1::UpdateUserRequest;

use crate::error::{ConsoleError, PageResult};
use crate::extract::{Admin, CsrfForm, SignedIn};
use crate::feedback::Feedback;
use crate::ui;

/// Most users one request deactivates.
pub(super) const MAX_SELECTED: usize = 100;
/// Most `UpdateUser` calls in flight at once.
const CALLS_AT_ONCE: usize = 4;

/// Why a selection is not acted on.
#[derive(Debug, PartialEq, Eq)]
enum Refusal {
    Nothing,
    TooMany,
}

/// The distinct, non-empty `user_id` values of a form, in the order sent.
fn selected(pairs: &[(String, String)]) -> Result<Vec<&str>, Refusal> {
    let mut ids: Vec<&str> = Vec::new();
    for (name, value) in pairs {
        let value = value.trim();
        if name == "user_id" && !value.is_empty() && !ids.contains(&value) {
            if ids.len() == MAX_SELECTED {
                return Err(Refusal::TooMany);
            }
            ids.push(value);
        }
    }
    if ids.is_empty() {
        Err(Refusal::Nothing)
    } else {
        Ok(ids)
    }
}

/// `POST /admin/users/deactivate`.
pub(super) async fn deactivate(
    Admin(user): Admin,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> PageResult {
    let location = match selected(&pairs) {
        Err(Refusal::Nothing) => "/admin/users?done=nothing".to_owned(),
        Err(Refusal::TooMany) => "/admin/users?done=too_many".to_owned(),
        Ok(ids) => {
            let (done, failed) = deactivate_all(&user, &ids).await?;
            format!("/admin/users?done=deactivated&count={done}&failed={failed}")
        }
    };
    Ok(Redirect::to(&location).into_response())
}

/// Deactivates each user; how many were and how many were refused.
async fn deactivate_all(user: &SignedIn, ids: &[&str]) -> Result<(usize, usize), ConsoleError> {
    // Owned ids: a stream of futures borrowing their item trips the compiler's proof that the
    // handler's future is `Send`.
    let owned: Vec<String> = ids.iter().map(|id| (*id).to_owned()).collect();
    let results = futures::stream::iter(owned)
        .map(|user_id| async move {
            let request = UpdateUserRequest {
                user_id,
                active: Some(false),
                ..UpdateUserRequest::default()
            };
            user.api
                .call(|c| {
                    let request = request.clone();
                    async move { c.admin().update_user(request).await }
                })
                .await
        })
        .buffer_unordered(CALLS_AT_ONCE)
        .collect::<Vec<_>>()
        .await;
    let (mut done, mut failed) = (0, 0);
    for result in results {
        match result {
            Ok(_) => done += 1,
            Err(ConsoleError::Rpc(status)) => {
                tracing::debug!(code = ?status.code(), "a user of a bulk deactivation was refused");
                failed += 1;
            }
            Err(other) => return Err(other),
        }
    }
    Ok((done, failed))
}

/// The list's notice after a bulk deactivation (`?done=…&count=…&failed=…`): only numbers
/// are read from the URL, the sentences are the console's.
pub(super) fn outcome(done: &str, count: &str, failed: &str) -> Markup {
    let number = |raw: &str| raw.parse::<usize>().unwrap_or(0);
    let users = |n: usize| if n == 1 { "user" } else { "users" };
    html! {
        @match done {
            "deactivated" => {
                @let (count, failed) = (number(count), number(failed));
                @if failed == 0 {
                    (ui::flash(Some(&format!("Deactivated {count} {}.", users(count)))))
                } @else {
                    (ui::notice(&Feedback::message(format!(
                        "Deactivated {count} {}; {failed} could not be deactivated.",
                        users(count)
                    ))))
                }
            }
            "nothing" => (ui::notice(&Feedback::message("Select at least one user."))),
            "too_many" => (ui::notice(&Feedback::message(format!(
                "Select at most {MAX_SELECTED} users at a time."
            )))),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(body: &str) -> Vec<(String, String)> {
        serde_urlencoded::from_str(body).unwrap()
    }

    #[test]
    fn every_ticked_row_is_read_once() {
        let pairs = form("_csrf=t&user_id=a&user_id=b&user_id=a&user_id=&other=c");
        assert_eq!(selected(&pairs), Ok(vec!["a", "b"]));
    }

    #[test]
    fn an_empty_selection_is_refused() {
        assert_eq!(selected(&form("_csrf=t")), Err(Refusal::Nothing));
    }

    #[test]
    fn a_selection_has_a_ceiling() {
        let at_most: String = (0..MAX_SELECTED)
            .map(|i| format!("&user_id=u{i}"))
            .collect();
        assert_eq!(
            selected(&form(&at_most)).map(|ids| ids.len()),
            Ok(MAX_SELECTED)
        );
        let over = format!("{at_most}&user_id=one-more");
        assert_eq!(selected(&form(&over)), Err(Refusal::TooMany));
    }

    #[test]
    fn outcomes_read_numbers_from_the_url_and_nothing_else() {
        let html = outcome("deactivated", "2", "0").into_string();
        assert!(html.contains("Deactivated 2 users."));
        let html = outcome("deactivated", "1", "1").into_string();
        assert!(html.contains("Deactivated 1 user; 1 could not be deactivated."));
        let html = outcome("deactivated", "<b>", "x").into_string();
        assert!(html.contains("Deactivated 0 users."));
        assert!(outcome("<script>", "1", "0").into_string().is_empty());
    }
}
