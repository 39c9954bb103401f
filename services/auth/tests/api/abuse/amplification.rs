//! Answers and feeds stay bounded however long a session has lived: revoking a long chain
//! publishes only what a resource server can be shown, a token tree lists at most the newest
//! 100 refresh tokens, and a revocation racing a refresh leaves nothing usable behind.

use shared::pb::auth::v1::{GetTokenTreeRequest, RevokeTokenRequest};
use testkit::{Backend, TestAuth, backend_tests};

use super::*;

/// Ada's session refreshed `times` times: the first pair and the newest.
async fn refreshed(auth: &TestAuth, times: usize) -> (String, shared::pb::auth::v1::TokenPair) {
    let first = signed_up(auth, "ada").await;
    let mut pair = first.clone();
    for _ in 0..times {
        pair = refresh(auth, &pair.refresh_token).await.unwrap();
    }
    (first.refresh_token, pair)
}

async fn revoking_a_long_chain_publishes_only_its_access_tokens(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    let (root, newest) = refreshed(&auth, 5).await;
    session_client(&auth)
        .await
        .revoke_token(bearer(
            RevokeTokenRequest { jti: jti_of(&root) },
            &newest.access_token,
        ))
        .await
        .unwrap();
    let published: Vec<String> =
        sqlx::query_scalar("SELECT jti FROM revocation_events WHERE kind = 'TOKEN'")
            .fetch_all(auth.db.pool())
            .await
            .unwrap();
    let access: Vec<String> = sqlx::query_scalar("SELECT jti FROM access_tokens ORDER BY jti")
        .fetch_all(auth.db.pool())
        .await
        .unwrap();
    let mut sorted = published.clone();
    sorted.sort();
    assert_eq!(
        sorted, access,
        "the six access tokens, and no refresh token"
    );
    let unrevoked: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM refresh_tokens WHERE revoked_at IS NULL")
            .fetch_one(auth.db.pool())
            .await
            .unwrap();
    assert_eq!(unrevoked, 0, "the refresh tokens are revoked all the same");
    assert!(refresh(&auth, &newest.refresh_token).await.is_err());
    auth.stop().await;
}

async fn a_token_tree_lists_at_most_the_newest_hundred_refresh_tokens(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    let (root, newest) = refreshed(&auth, 102).await;
    let tree = session_client(&auth)
        .await
        .get_token_tree(bearer(
            GetTokenTreeRequest {
                session_id: newest.session_id.clone(),
            },
            &newest.access_token,
        ))
        .await
        .unwrap()
        .into_inner()
        .tree
        .unwrap();
    assert!(tree.truncated);
    assert_eq!(tree.refresh_tokens.len(), 100);
    let last = tree.refresh_tokens.last().unwrap();
    assert_eq!(
        last.jti,
        jti_of(&newest.refresh_token),
        "the tip of the chain is listed"
    );
    assert!(tree.refresh_tokens.iter().all(|r| r.jti != jti_of(&root)));
    for pair in tree.refresh_tokens.windows(2) {
        assert_eq!(pair[1].parent_jti, pair[0].jti, "still in rotation order");
    }
    assert!(
        tree.refresh_tokens
            .iter()
            .all(|r| r.access_tokens.len() == 1)
    );
    auth.stop().await;
}

async fn a_revocation_racing_a_refresh_leaves_no_usable_token(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    register(&auth, "ada").await;
    for round in 0..10 {
        let first = sign_in(&auth, "ada", &format!("device {round}")).await;
        let revoking = {
            let mut sessions = session_client(&auth).await;
            let request = bearer(
                RevokeTokenRequest {
                    jti: jti_of(&first.refresh_token),
                },
                &first.access_token,
            );
            tokio::spawn(async move { sessions.revoke_token(request).await })
        };
        let refreshed = refresh(&auth, &first.refresh_token).await;
        revoking.await.unwrap().unwrap();
        if let Ok(pair) = refreshed {
            assert!(
                refresh(&auth, &pair.refresh_token).await.is_err(),
                "round {round}: the child of a revoked refresh token is revoked too"
            );
        }
    }
    auth.stop().await;
}

backend_tests!(
    revoking_a_long_chain_publishes_only_its_access_tokens,
    a_token_tree_lists_at_most_the_newest_hundred_refresh_tokens,
    a_revocation_racing_a_refresh_leaves_no_usable_token,
);
