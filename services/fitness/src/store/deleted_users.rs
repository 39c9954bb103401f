//! `deleted_users`: the accounts whose deletion the auth service announced, so that no write
//! of theirs can bring their rows back (see `domain::deletion`).

use sqlx::AnyConnection;

/// Records that `user_id` was deleted; false when it already was (the event was replayed).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn insert(conn: &mut AnyConnection, user_id: &str, now: i64) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO deleted_users (user_id, deleted_at) VALUES ($1, $2) \
         ON CONFLICT (user_id) DO NOTHING",
    )
    .bind(user_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// True when `user_id` was deleted.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn contains(conn: &mut AnyConnection, user_id: &str) -> sqlx::Result<bool> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT deleted_at FROM deleted_users WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(conn)
            .await?;
    Ok(found.is_some())
}
