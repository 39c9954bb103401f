//! The training page (being built).

use axum::Router;

use crate::app::AppState;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
}
