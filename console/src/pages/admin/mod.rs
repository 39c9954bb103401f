//! The admin site: dashboard, users, security events and signing keys (role ADMIN).

mod dashboard;
mod events;
mod keys;
mod users;

use axum::Router;

use crate::app::AppState;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .merge(dashboard::routes())
        .merge(users::routes())
        .merge(events::routes())
        .merge(keys::routes())
}
