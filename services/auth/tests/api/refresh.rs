//! Refresh rotation, reuse detection, the grace window, concurrency, lifetimes and Logout.

use std::time::Duration;

use shared::pb::auth::v1::{
    GetMeRequest, GetTokenTreeRequest, LogoutRequest, RefreshRequest, TokenStatus,
};
use stride_auth::clock::ManualClock;
use testkit::{Backend, TestAuth, backend_tests};
use tonic::Code;

use crate::helpers::*;

async fn tree_statuses(auth: &TestAuth, access: &str, session_id: &str) -> Vec<(String, i32)> {
    let tree = session_client(auth)
        .await
        .get_token_tree(bearer(
            GetTokenTreeRequest {
                session_id: session_id.to_owned(),
            },
            access,
        ))
        .await
        .unwrap()
        .into_inner()
        .tree
        .unwrap();
    tree.refresh_tokens
        .into_iter()
        .map(|n| (n.jti, n.status))
        .collect()
}

async fn active_refresh_tokens(auth: &TestAuth, session_id: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM refresh_tokens WHERE session_id = $1 \
         AND rotated_at IS NULL AND revoked_at IS NULL",
    )
    .bind(session_id)
    .fetch_one(auth.db.pool())
    .await
    .unwrap()
}

async fn parents_are_distinct(auth: &TestAuth, session_id: &str) -> bool {
    let (rows, distinct): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), COUNT(DISTINCT parent_jti) FROM refresh_tokens \
         WHERE session_id = $1 AND parent_jti IS NOT NULL",
    )
    .bind(session_id)
    .fetch_one(auth.db.pool())
    .await
    .unwrap();
    rows == distinct
}

async fn rotation_retires_the_presented_token_and_the_tree_shows_the_chain(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    let p0 = signed_up(&auth, "ada").await;
    let p1 = refresh(&auth, &p0.refresh_token).await.unwrap();
    let p2 = refresh(&auth, &p1.refresh_token)
        .await
        .expect("the new token works");
    assert_eq!(p1.session_id, p0.session_id, "same session");
    assert_eq!(p2.session_id, p0.session_id);
    assert_eq!(p2.token_type, "Bearer");
    assert_ne!(jti_of(&p2.refresh_token), jti_of(&p1.refresh_token));

    let tree = tree_statuses(&auth, &p2.access_token, &p0.session_id).await;
    let jtis: Vec<String> = [&p0, &p1, &p2]
        .iter()
        .map(|p| jti_of(&p.refresh_token))
        .collect();
    assert_eq!(
        tree,
        vec![
            (jtis[0].clone(), TokenStatus::Rotated as i32),
            (jtis[1].clone(), TokenStatus::Rotated as i32),
            (jtis[2].clone(), TokenStatus::Active as i32),
        ]
    );
    let full = session_client(&auth)
        .await
        .get_token_tree(bearer(
            GetTokenTreeRequest {
                session_id: p0.session_id.clone(),
            },
            &p2.access_token,
        ))
        .await
        .unwrap()
        .into_inner()
        .tree
        .unwrap();
    assert_eq!(full.refresh_tokens[0].parent_jti, "");
    assert_eq!(full.refresh_tokens[1].parent_jti, jtis[0]);
    assert_eq!(full.refresh_tokens[2].parent_jti, jtis[1]);
    for (node, pair) in full.refresh_tokens.iter().zip([&p0, &p1, &p2]) {
        assert_eq!(node.access_tokens.len(), 1);
        assert_eq!(node.access_tokens[0].jti, jti_of(&pair.access_token));
        assert_eq!(node.access_tokens[0].status, TokenStatus::Active as i32);
        assert_eq!(node.device_label, "laptop");
        assert!(!node.ip.is_empty());
    }
    assert!(full.refresh_tokens[0].rotated_at.is_some());
    assert!(full.refresh_tokens[2].rotated_at.is_none());
    assert!(full.session.unwrap().last_refreshed_at.is_some());
    assert_eq!(event_count(&auth, "TOKEN_REFRESHED").await, 2);

    let access_status = auth_client(&auth)
        .await
        .refresh(RefreshRequest {
            refresh_token: p2.access_token.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(
        access_status.code(),
        Code::Unauthenticated,
        "an access token"
    );
    assert_eq!(active_refresh_tokens(&auth, &p0.session_id).await, 1);
    auth.stop().await;
}

async fn reuse_of_a_rotated_token_revokes_every_token_of_the_session(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    let p0 = signed_up(&auth, "ada").await;
    let other = sign_in(&auth, "ada", "phone").await;
    let p1 = refresh(&auth, &p0.refresh_token).await.unwrap();
    let p2 = refresh(&auth, &p1.refresh_token).await.unwrap();

    let status = refresh(&auth, &p0.refresh_token).await.unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    assert_eq!(reason(&status), "REFRESH_TOKEN_REUSED");

    for pair in [&p0, &p1, &p2] {
        for token in [&pair.access_token, &pair.refresh_token] {
            let answer = introspect(&auth, token).await;
            assert!(!answer.active, "every token of the session is revoked");
            assert_eq!(answer.inactive_reason, "REVOKED");
        }
    }
    let again = refresh(&auth, &p2.refresh_token).await.unwrap_err();
    assert_eq!(again.code(), Code::Unauthenticated);
    assert_eq!(reason(&again), "TOKEN_REVOKED");
    assert!(
        introspect(&auth, &other.access_token).await.active,
        "other sessions live on"
    );
    let statuses = tree_statuses(&auth, &other.access_token, &p0.session_id).await;
    assert!(
        statuses
            .iter()
            .all(|(_, s)| *s == TokenStatus::Revoked as i32)
    );
    assert_eq!(event_count(&auth, "REFRESH_TOKEN_REUSE").await, 1);
    let session_events: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM revocation_events WHERE kind = 'SESSION' AND session_id = $1",
    )
    .bind(&p0.session_id)
    .fetch_one(auth.db.pool())
    .await
    .unwrap();
    assert_eq!(session_events, 1, "the feed carries the session revocation");
    auth.stop().await;
}

async fn with_no_grace_even_an_immediate_retry_is_reuse(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    let p0 = signed_up(&auth, "ada").await;
    let p1 = refresh(&auth, &p0.refresh_token).await.unwrap();
    let status = refresh(&auth, &p0.refresh_token).await.unwrap_err();
    assert_eq!(reason(&status), "REFRESH_TOKEN_REUSED");
    assert!(!introspect(&auth, &p1.refresh_token).await.active);
    auth.stop().await;
}

async fn inside_the_grace_window_only_the_immediate_predecessor_gets_a_fresh_pair(
    backend: Backend,
) {
    let clock = ManualClock::new();
    let auth = TestAuth::spawn_with(backend, |c| {
        c.clock = clock.clock();
        c.tokens.refresh_reuse_grace = Duration::from_secs(10);
    })
    .await;

    // The immediate predecessor, inside the window: a fresh pair, the chain stays linear.
    let p0 = signed_up(&auth, "ada").await;
    let p1 = refresh(&auth, &p0.refresh_token).await.unwrap();
    clock.advance(Duration::from_secs(5));
    let retry = refresh(&auth, &p0.refresh_token)
        .await
        .expect("the immediate predecessor inside the grace window");
    assert_eq!(retry.session_id, p0.session_id);
    assert_ne!(jti_of(&retry.refresh_token), jti_of(&p1.refresh_token));
    let tree = tree_statuses(&auth, &retry.access_token, &p0.session_id).await;
    assert_eq!(
        tree.iter().map(|(j, _)| j.clone()).collect::<Vec<_>>(),
        [&p0, &p1, &retry].map(|p| jti_of(&p.refresh_token)),
        "p0 → p1 → retry"
    );
    assert_eq!(
        tree.iter().map(|(_, s)| *s).collect::<Vec<_>>(),
        [
            TokenStatus::Rotated as i32,
            TokenStatus::Rotated as i32,
            TokenStatus::Active as i32
        ]
    );
    assert_eq!(active_refresh_tokens(&auth, &p0.session_id).await, 1);
    // p0 is now two steps behind the active token: reuse, although still inside its window.
    let status = refresh(&auth, &p0.refresh_token).await.unwrap_err();
    assert_eq!(reason(&status), "REFRESH_TOKEN_REUSED");
    assert!(!introspect(&auth, &retry.access_token).await.active);

    // An older predecessor inside the window: reuse.
    let q0 = signed_up(&auth, "bob").await;
    let q1 = refresh(&auth, &q0.refresh_token).await.unwrap();
    let q2 = refresh(&auth, &q1.refresh_token).await.unwrap();
    let status = refresh(&auth, &q0.refresh_token).await.unwrap_err();
    assert_eq!(reason(&status), "REFRESH_TOKEN_REUSED");
    assert!(!introspect(&auth, &q2.refresh_token).await.active);

    // The immediate predecessor after the window: reuse.
    let r0 = signed_up(&auth, "cyd").await;
    let r1 = refresh(&auth, &r0.refresh_token).await.unwrap();
    clock.advance(Duration::from_secs(11));
    let status = refresh(&auth, &r0.refresh_token).await.unwrap_err();
    assert_eq!(reason(&status), "REFRESH_TOKEN_REUSED");
    assert!(!introspect(&auth, &r1.refresh_token).await.active);
    assert_eq!(event_count(&auth, "REFRESH_TOKEN_REUSE").await, 3);
    auth.stop().await;
}

/// Fires `n` concurrent refreshes of `token`; returns the successes and the failure reasons.
async fn concurrent_refreshes(
    auth: &TestAuth,
    token: &str,
    n: usize,
) -> (Vec<String>, Vec<String>) {
    let client = auth_client(auth).await;
    let start = std::sync::Arc::new(tokio::sync::Barrier::new(n));
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let mut client = client.clone();
            let token = token.to_owned();
            let start = start.clone();
            tokio::spawn(async move {
                start.wait().await;
                client
                    .refresh(RefreshRequest {
                        refresh_token: token,
                    })
                    .await
                    .map(|r| r.into_inner().tokens.unwrap().refresh_token)
            })
        })
        .collect();
    let (mut wins, mut losses) = (Vec::new(), Vec::new());
    for task in tasks {
        match task.await.unwrap() {
            Ok(token) => wins.push(token),
            Err(status) => {
                assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
                losses.push(reason(&status));
            }
        }
    }
    (wins, losses)
}

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

async fn a_session_never_outlives_its_absolute_maximum_nor_its_idle_lifetime(backend: Backend) {
    let clock = ManualClock::new();
    let auth = TestAuth::spawn_with(backend, |c| {
        c.clock = clock.clock();
        c.tokens.session_max_age = Duration::from_secs(3600);
        c.tokens.refresh_ttl = Duration::from_secs(40 * 60);
    })
    .await;
    let p0 = signed_up(&auth, "ada").await;
    let start = claims_of(&p0.refresh_token)["iat"].as_i64().unwrap();
    assert_eq!(
        claims_of(&p0.refresh_token)["exp"].as_i64().unwrap(),
        start + 40 * 60
    );
    clock.advance(Duration::from_secs(30 * 60));
    let p1 = refresh(&auth, &p0.refresh_token).await.unwrap();
    let session_end = start + 3600;
    assert!(
        claims_of(&p1.refresh_token)["exp"].as_i64().unwrap() <= session_end,
        "capped by the absolute end"
    );
    clock.advance(Duration::from_secs(25 * 60));
    let p2 = refresh(&auth, &p1.refresh_token).await.unwrap();
    assert!(claims_of(&p2.refresh_token)["exp"].as_i64().unwrap() <= session_end);
    assert!(claims_of(&p2.access_token)["exp"].as_i64().unwrap() <= session_end);
    // Past the absolute end (inside the verifier's leeway): refused.
    clock.advance(Duration::from_secs(5 * 60 + 30));
    let status = refresh(&auth, &p2.refresh_token).await.unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    assert_eq!(reason(&status), "TOKEN_EXPIRED");
    clock.advance(Duration::from_secs(120));
    let status = refresh(&auth, &p2.refresh_token).await.unwrap_err();
    assert_eq!(reason(&status), "TOKEN_EXPIRED");

    // Idle lifetime: a refresh token unused for longer than its TTL is dead.
    let q0 = signed_up(&auth, "bob").await;
    clock.advance(Duration::from_secs(40 * 60 + 61));
    let status = refresh(&auth, &q0.refresh_token).await.unwrap_err();
    assert_eq!(reason(&status), "TOKEN_EXPIRED");
    auth.stop().await;
}

async fn an_inactive_user_cannot_refresh(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    let registered = register(&auth, "ada").await;
    sqlx::query("UPDATE users SET active = $1 WHERE id = $2")
        .bind(shared::db::Flag(false))
        .bind(&registered.user.as_ref().unwrap().id)
        .execute(auth.db.pool())
        .await
        .unwrap();
    let status = refresh(&auth, &registered.tokens.unwrap().refresh_token)
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    assert_eq!(reason(&status), "USER_INACTIVE");
    auth.stop().await;
}

async fn logout_revokes_the_session_once_and_is_idempotent(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    let p0 = signed_up(&auth, "ada").await;
    let mut client = auth_client(&auth).await;
    let wrong = client
        .logout(LogoutRequest {
            refresh_token: p0.access_token.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(wrong.code(), Code::Unauthenticated, "an access token");
    for _ in 0..2 {
        client
            .logout(LogoutRequest {
                refresh_token: p0.refresh_token.clone(),
            })
            .await
            .expect("logout is idempotent");
    }
    let me = user_client(&auth)
        .await
        .get_me(bearer(GetMeRequest {}, &p0.access_token))
        .await
        .unwrap_err();
    assert_eq!(me.code(), Code::Unauthenticated);
    let again = refresh(&auth, &p0.refresh_token).await.unwrap_err();
    assert_eq!(reason(&again), "TOKEN_REVOKED");
    assert_eq!(event_count(&auth, "LOGOUT").await, 1);
    auth.stop().await;
}

backend_tests!(
    rotation_retires_the_presented_token_and_the_tree_shows_the_chain,
    reuse_of_a_rotated_token_revokes_every_token_of_the_session,
    with_no_grace_even_an_immediate_retry_is_reuse,
    inside_the_grace_window_only_the_immediate_predecessor_gets_a_fresh_pair,
    fifty_concurrent_refreshes_of_one_token_have_exactly_one_winner,
    with_grace_fifty_concurrent_refreshes_never_fork_the_session,
    a_session_never_outlives_its_absolute_maximum_nor_its_idle_lifetime,
    an_inactive_user_cannot_refresh,
    logout_revokes_the_session_once_and_is_idempotent,
);
