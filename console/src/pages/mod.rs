//! One module per page: its routes, the calls it makes, and its markup.

mod account_links;
mod admin;
mod leaderboard;
mod login;
mod profile;
mod sessions;
mod training;

use axum::Router;
use axum::response::{IntoResponse, Response};

use crate::app::AppState;
use crate::error::ConsoleError;

/// Every page's routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .merge(login::routes())
        .merge(account_links::routes())
        .merge(profile::routes())
        .merge(sessions::routes())
        .merge(training::routes())
        .merge(leaderboard::routes())
        .merge(admin::routes())
}

/// The page for any other path.
pub(crate) async fn not_found() -> Response {
    ConsoleError::NotFound.into_response()
}
