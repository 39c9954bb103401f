//! The hourly sweep of mailed-link tokens and second-factor challenges past their expiry.

use testkit::{Backend, TestAuth, backend_tests};

use crate::helpers::register;

async fn the_sweep_forgets_expired_link_tokens_and_challenges_only(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    let user = register(&auth, "ada").await.user.unwrap().id;
    let now = 1_800_000_000_000_000_i64;
    for (hash, expires) in [("old", now - 1), ("live", now + 1)] {
        sqlx::query(
            "INSERT INTO account_tokens (token_hash, user_id, purpose, email, created_at, expires_at) \
             VALUES ($1, $2, 'RESET_PASSWORD', 'ada@example.com', 0, $3)",
        )
        .bind(hash)
        .bind(&user)
        .bind(expires)
        .execute(auth.db.pool())
        .await
        .unwrap();
    }
    let columns: Vec<String> = sqlx::query_scalar(match backend {
        Backend::Sqlite => "SELECT name FROM pragma_table_info('mfa_challenges') ORDER BY cid",
        Backend::Postgres => {
            "SELECT column_name::text FROM information_schema.columns \
             WHERE table_name = 'mfa_challenges' ORDER BY ordinal_position"
        }
    })
    .fetch_all(auth.db.pool())
    .await
    .unwrap();
    assert!(columns.contains(&"expires_at".to_owned()), "{columns:?}");
    let deleted = stride_auth::maintenance::sweep_expired_links_and_challenges(&auth.db, now)
        .await
        .unwrap();
    assert!(deleted >= 1);
    let left: Vec<String> = sqlx::query_scalar(
        "SELECT token_hash FROM account_tokens WHERE token_hash IN ('old', 'live')",
    )
    .fetch_all(auth.db.pool())
    .await
    .unwrap();
    assert_eq!(left, ["live"]);
    auth.stop().await;
}

backend_tests!(the_sweep_forgets_expired_link_tokens_and_challenges_only);
