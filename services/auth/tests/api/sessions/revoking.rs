//! Revoking all sessions, one refresh token (and what came after it) or one access token.
use shared::pb::auth::v1::{
    GetTokenTreeRequest, ListUserSessionsRequest, RevokeAllSessionsRequest, RevokeTokenRequest,
    SessionStatus, TokenPair, TokenStatus, session_service_client::SessionServiceClient,
};
use testkit::{Backend, TestAuth, backend_tests};
use tonic::transport::Channel;

use crate::helpers::*;

use super::works;

async fn revoke_all_sessions_can_keep_the_current_one(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    let s1 = signed_up(&auth, "ada").await;
    let s2 = sign_in(&auth, "ada", "phone").await;
    let s3 = sign_in(&auth, "ada", "tablet").await;
    let mut sessions = session_client(&auth).await;
    let kept = sessions
        .revoke_all_sessions(bearer(
            RevokeAllSessionsRequest { keep_current: true },
            &s1.access_token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(kept.revoked_count, 2);
    assert!(works(&auth, &s1.access_token).await);
    assert!(!works(&auth, &s2.access_token).await);
    assert!(!works(&auth, &s3.access_token).await);
    let all = sessions
        .revoke_all_sessions(bearer(
            RevokeAllSessionsRequest {
                keep_current: false,
            },
            &s1.access_token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(all.revoked_count, 1);
    assert!(!works(&auth, &s1.access_token).await);
    assert_eq!(event_count(&auth, "ALL_SESSIONS_REVOKED").await, 2);
    auth.stop().await;
}

/// Ada's session refreshed twice (p0 → p1 → p2), a second session of hers to look with, and
/// p1's refresh token revoked twice through it; `before` counts feed events before that.
struct Chain {
    auth: TestAuth,
    p0: TokenPair,
    p2: TokenPair,
    viewer: TokenPair,
    sessions: SessionServiceClient<Channel>,
    before: i64,
}

async fn chain(backend: Backend) -> Chain {
    let auth = TestAuth::spawn(backend).await;
    let p0 = signed_up(&auth, "ada").await;
    let p1 = refresh(&auth, &p0.refresh_token).await.unwrap();
    let p2 = refresh(&auth, &p1.refresh_token).await.unwrap();
    let viewer = sign_in(&auth, "ada", "phone").await;
    let mut sessions = session_client(&auth).await;
    let before: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM revocation_events")
        .fetch_one(auth.db.pool())
        .await
        .unwrap();
    for _ in 0..2 {
        sessions
            .revoke_token(bearer(
                RevokeTokenRequest {
                    jti: jti_of(&p1.refresh_token),
                },
                &viewer.access_token,
            ))
            .await
            .expect("idempotent");
    }
    Chain {
        auth,
        p0,
        p2,
        viewer,
        sessions,
        before,
    }
}

async fn revoking_a_refresh_token_revokes_it_and_its_successors_and_ends_the_session(
    backend: Backend,
) {
    let mut c = chain(backend).await;
    let tree = c
        .sessions
        .get_token_tree(bearer(
            GetTokenTreeRequest {
                session_id: c.p0.session_id.clone(),
            },
            &c.viewer.access_token,
        ))
        .await
        .unwrap()
        .into_inner()
        .tree
        .unwrap();
    let statuses: Vec<(i32, i32)> = tree
        .refresh_tokens
        .iter()
        .map(|n| (n.status, n.access_tokens[0].status))
        .collect();
    assert_eq!(
        statuses,
        [
            (TokenStatus::Rotated as i32, TokenStatus::Active as i32),
            (TokenStatus::Revoked as i32, TokenStatus::Revoked as i32),
            (TokenStatus::Revoked as i32, TokenStatus::Revoked as i32),
        ]
    );
    assert_eq!(
        tree.session.unwrap().status,
        SessionStatus::Revoked as i32,
        "it can never be refreshed again"
    );
    c.auth.stop().await;
}

async fn an_admin_sees_the_revoked_session_as_the_owner_does(backend: Backend) {
    let c = chain(backend).await;
    // An admin sees the same status as the owner.
    let root = signed_up(&c.auth, "root").await;
    sqlx::query("UPDATE users SET role = 'ADMIN' WHERE id = $1")
        .bind(claims_of(&root.access_token)["sub"].as_str().unwrap())
        .execute(c.auth.db.pool())
        .await
        .unwrap();
    let admin = sign_in(&c.auth, "root", "admin console").await;
    let listed = shared::pb::auth::v1::admin_service_client::AdminServiceClient::new(
        testkit::channel(c.auth.addr).await,
    )
    .list_user_sessions(bearer(
        ListUserSessionsRequest {
            user_id: claims_of(&c.p0.access_token)["sub"]
                .as_str()
                .unwrap()
                .to_owned(),
            ..ListUserSessionsRequest::default()
        },
        &admin.access_token,
    ))
    .await
    .unwrap()
    .into_inner();
    let status_of = |id: &str| {
        listed
            .sessions
            .iter()
            .find(|s| s.id == id)
            .map(|s| s.status)
            .unwrap()
    };
    assert_eq!(status_of(&c.p0.session_id), SessionStatus::Revoked as i32);
    assert_eq!(
        status_of(&c.viewer.session_id),
        SessionStatus::Active as i32
    );
    c.auth.stop().await;
}

async fn tokens_before_a_revoked_refresh_token_stay_valid_and_those_after_it_do_not(
    backend: Backend,
) {
    let c = chain(backend).await;
    assert!(
        works(&c.auth, &c.p0.access_token).await,
        "earlier tokens stay valid"
    );
    assert_eq!(
        introspect(&c.auth, &c.p2.access_token)
            .await
            .inactive_reason,
        "REVOKED"
    );
    assert_eq!(
        reason(&refresh(&c.auth, &c.p2.refresh_token).await.unwrap_err()),
        "TOKEN_REVOKED"
    );
    c.auth.stop().await;
}

async fn each_revoked_access_token_appends_one_revocation_event(backend: Backend) {
    let c = chain(backend).await;
    let after: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM revocation_events")
        .fetch_one(c.auth.db.pool())
        .await
        .unwrap();
    assert_eq!(
        after - c.before,
        2,
        "one TOKEN event per revoked access token; refresh tokens never reach the feed"
    );
    let refresh_published: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM revocation_events e JOIN refresh_tokens r ON r.jti = e.jti",
    )
    .fetch_one(c.auth.db.pool())
    .await
    .unwrap();
    assert_eq!(refresh_published, 0);

    c.auth.stop().await;
}

async fn revoking_an_access_token_alone_leaves_the_rest_of_the_session(backend: Backend) {
    let mut c = chain(backend).await;
    // An access token alone.
    c.sessions
        .revoke_token(bearer(
            RevokeTokenRequest {
                jti: jti_of(&c.p0.access_token),
            },
            &c.viewer.access_token,
        ))
        .await
        .unwrap();
    assert!(!works(&c.auth, &c.p0.access_token).await);
    assert!(works(&c.auth, &c.viewer.access_token).await);
    assert_eq!(event_count(&c.auth, "TOKEN_REVOKED").await, 2);
    c.auth.stop().await;
}

backend_tests!(
    revoke_all_sessions_can_keep_the_current_one,
    revoking_a_refresh_token_revokes_it_and_its_successors_and_ends_the_session,
    an_admin_sees_the_revoked_session_as_the_owner_does,
    tokens_before_a_revoked_refresh_token_stay_valid_and_those_after_it_do_not,
    each_revoked_access_token_appends_one_revocation_event,
    revoking_an_access_token_alone_leaves_the_rest_of_the_session,
);
