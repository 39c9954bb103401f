//! Rotation: the presented refresh token is retired, and presenting it again is reuse.

use testkit::backend_tests;

use super::*;

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

backend_tests!(
    rotation_retires_the_presented_token_and_the_tree_shows_the_chain,
    reuse_of_a_rotated_token_revokes_every_token_of_the_session,
    with_no_grace_even_an_immediate_retry_is_reuse,
    inside_the_grace_window_only_the_immediate_predecessor_gets_a_fresh_pair,
);
