//! `avatars`: one image per user.

use shared::time::Micros;
use sqlx::AnyConnection;

/// Stores or replaces the user's avatar.
#[tracing::instrument(level = "debug", skip_all, fields(user_id, size = image.len()))]
pub(crate) async fn upsert(
    conn: &mut AnyConnection,
    user_id: &str,
    content_type: &str,
    image: &[u8],
    now: Micros,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO avatars (user_id, content_type, image, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (user_id) DO UPDATE SET content_type = excluded.content_type, \
         image = excluded.image, updated_at = excluded.updated_at",
    )
    .bind(user_id)
    .bind(content_type)
    .bind(image)
    .bind(now)
    .execute(conn)
    .await
    .map(|_| ())
}

/// The user's avatar: `(content_type, image)`.
#[tracing::instrument(level = "debug", skip_all, fields(user_id))]
pub(crate) async fn get(
    conn: &mut AnyConnection,
    user_id: &str,
) -> sqlx::Result<Option<(String, Vec<u8>)>> {
    sqlx::query_as("SELECT content_type, image FROM avatars WHERE user_id = $1")
        .bind(user_id)
        .fetch_optional(conn)
        .await
}
