//! Concurrent refreshes of one token: one winner, and never a forked session.

use testkit::backend_tests;

use super::*;

async fn fifty_concurrent_refreshes_of_one_token_have_exactly_one_winner(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    let p0 = signed_up(&auth, "ada").await;
    let (wins, losses) = concurrent_refreshes(&auth, &p0.refresh_token, 50).await;
    assert_eq!(wins.len(), 1, "exactly one success; losses: {losses:?}");
    assert!(
        losses
            .iter()
            .all(|r| r == "REFRESH_TOKEN_REUSED" || r == "TOKEN_REVOKED"),
        "{losses:?}"
    );
    // Grace 0: the losers presented a rotated token, which is reuse: the session is revoked,
    // the winner's pair included, and exactly one new pair was ever issued.
    let issued: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM refresh_tokens WHERE session_id = $1")
            .bind(&p0.session_id)
            .fetch_one(auth.db.pool())
            .await
            .unwrap();
    assert_eq!(issued, 2, "the original and the winner's");
    assert_eq!(active_refresh_tokens(&auth, &p0.session_id).await, 0);
    assert!(!introspect(&auth, &wins[0]).await.active);
    assert_eq!(event_count(&auth, "REFRESH_TOKEN_REUSE").await, 1);
    assert_eq!(event_count(&auth, "TOKEN_REFRESHED").await, 1);
    auth.stop().await;
}

async fn with_grace_fifty_concurrent_refreshes_never_fork_the_session(backend: Backend) {
    let auth = TestAuth::spawn_with(backend, |c| {
        c.tokens.refresh_reuse_grace = Duration::from_secs(30);
    })
    .await;
    let p0 = signed_up(&auth, "ada").await;
    let (wins, losses) = concurrent_refreshes(&auth, &p0.refresh_token, 50).await;
    // The winner, then one grace retry rotating the winner's child; the third presentation
    // finds p0 two steps behind: reuse.
    assert_eq!(wins.len(), 2, "losses: {losses:?}");
    assert_eq!(
        losses
            .iter()
            .filter(|r| *r == "REFRESH_TOKEN_REUSED")
            .count(),
        1,
        "{losses:?}"
    );
    assert!(
        parents_are_distinct(&auth, &p0.session_id).await,
        "a linear chain"
    );
    assert_eq!(active_refresh_tokens(&auth, &p0.session_id).await, 0);
    assert_eq!(event_count(&auth, "REFRESH_TOKEN_REUSE").await, 1);
    auth.stop().await;
}

backend_tests!(
    fifty_concurrent_refreshes_of_one_token_have_exactly_one_winner,
    with_grace_fifty_concurrent_refreshes_never_fork_the_session,
);
