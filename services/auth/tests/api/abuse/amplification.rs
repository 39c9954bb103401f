//! Answers and feeds stay bounded however long a session has lived: revoking a long chain
//! publishes only what a resource server can be shown, a token tree lists at most the newest
//! 100 refresh tokens, and a revocation racing a refresh leaves nothing usable behind (made
//! deterministic by pausing the refresh inside its transaction).

use std::sync::atomic::Ordering;

use shared::pb::auth::v1::{GetMeRequest, GetTokenTreeRequest, RefreshRequest, RevokeTokenRequest};
use testkit::{Backend, TestAuth, backend_tests};
use tonic::Code;

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

/// Starts `RevokeToken` of `pair`'s refresh token, authorized by its access token.
async fn revoke_refresh_token_in_background(
    auth: &TestAuth,
    pair: &shared::pb::auth::v1::TokenPair,
) -> tokio::task::JoinHandle<Result<tonic::Response<()>, tonic::Status>> {
    let mut sessions = session_client(auth).await;
    let request = bearer(
        RevokeTokenRequest {
            jti: jti_of(&pair.refresh_token),
        },
        &pair.access_token,
    );
    tokio::spawn(async move { sessions.revoke_token(request).await })
}

async fn a_revocation_racing_a_refresh_leaves_no_usable_token(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    register(&auth, "ada").await;
    for round in 0..10 {
        let first = sign_in(&auth, "ada", &format!("device {round}")).await;
        let revoking = revoke_refresh_token_in_background(&auth, &first).await;
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

/// A refresh token revoked while it is being rotated: the revocation waits for the rotation
/// (both lock the session first) and then revokes the new pair too. Without that lock order,
/// on PostgreSQL the revocation reads the chain before the child is committed and leaves it
/// usable.
async fn a_revocation_during_a_refresh_waits_for_it_and_revokes_the_new_pair(backend: Backend) {
    let pause = Pause::default();
    let hook = pause.hook();
    let auth = TestAuth::spawn_with(backend, move |c| c.hooks.after_rotation = Some(hook)).await;
    register(&auth, "ada").await;
    let first = sign_in(&auth, "ada", "phone").await;

    pause.armed.store(true, Ordering::SeqCst);
    let refreshing = {
        let mut client = auth_client(&auth).await;
        let refresh_token = first.refresh_token.clone();
        tokio::spawn(async move { client.refresh(RefreshRequest { refresh_token }).await })
    };
    pause.reached.notified().await;
    // The refresh has rotated `first` and holds its transaction open.
    let revoking = revoke_refresh_token_in_background(&auth, &first).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    pause.go.notify_one();
    let child = refreshing
        .await
        .unwrap()
        .expect("the refresh committed first")
        .into_inner()
        .tokens
        .unwrap();
    revoking.await.unwrap().unwrap();

    let refused = refresh(&auth, &child.refresh_token).await.unwrap_err();
    assert_eq!(
        (refused.code(), reason(&refused).as_str()),
        (Code::Unauthenticated, "TOKEN_REVOKED"),
        "the child refresh token is revoked"
    );
    let refused = user_client(&auth)
        .await
        .get_me(bearer(GetMeRequest {}, &child.access_token))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::Unauthenticated, "{refused:?}");
    auth.stop().await;
}

backend_tests!(
    a_revocation_during_a_refresh_waits_for_it_and_revokes_the_new_pair,
    revoking_a_long_chain_publishes_only_its_access_tokens,
    a_token_tree_lists_at_most_the_newest_hundred_refresh_tokens,
    a_revocation_racing_a_refresh_leaves_no_usable_token,
);
