//! The console's static files, built into the binary (no build step, no files to deploy).

use axum::Router;
use axum::response::IntoResponse;
use axum::routing::get;
use http::header;

use crate::app::AppState;

const CSS: &str = include_str!("../static/console.css");
const JS: &str = include_str!("../static/console.js");
const FAVICON: &str = include_str!("../static/favicon.svg");

/// Cached for an hour: the files change only with the binary.
const CACHE: &str = "public, max-age=3600";

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/static/console.css",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/css; charset=utf-8"),
                        (header::CACHE_CONTROL, CACHE),
                    ],
                    CSS,
                )
                    .into_response()
            }),
        )
        .route(
            "/static/console.js",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
                        (header::CACHE_CONTROL, CACHE),
                    ],
                    JS,
                )
                    .into_response()
            }),
        )
        .route(
            "/static/favicon.svg",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "image/svg+xml"),
                        (header::CACHE_CONTROL, CACHE),
                    ],
                    FAVICON,
                )
                    .into_response()
            }),
        )
}
