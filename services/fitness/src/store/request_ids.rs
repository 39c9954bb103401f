//! `request_ids`: AIP-155 idempotency keys with the response first given for each.

use sqlx::AnyConnection;

/// The method and stored response of a request id the user has used before.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn find(
    conn: &mut AnyConnection,
    user_id: &str,
    request_id: &str,
) -> sqlx::Result<Option<(String, Vec<u8>)>> {
    sqlx::query_as(
        "SELECT method, response FROM request_ids WHERE user_id = $1 AND request_id = $2",
    )
    .bind(user_id)
    .bind(request_id)
    .fetch_optional(conn)
    .await
}

/// Records the response of a request, in the transaction that produced it.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn insert(
    conn: &mut AnyConnection,
    user_id: &str,
    request_id: &str,
    method: &str,
    response: &[u8],
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO request_ids (user_id, request_id, method, response, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(user_id)
    .bind(request_id)
    .bind(method)
    .bind(response)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Forgets every request id of the user; how many.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn delete_all(conn: &mut AnyConnection, user_id: &str) -> sqlx::Result<u64> {
    let done = sqlx::query("DELETE FROM request_ids WHERE user_id = $1")
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}

/// Forgets request ids recorded before `before`; returns how many.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn prune(conn: &mut AnyConnection, before: i64) -> sqlx::Result<u64> {
    let done = sqlx::query("DELETE FROM request_ids WHERE created_at < $1")
        .bind(before)
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}
