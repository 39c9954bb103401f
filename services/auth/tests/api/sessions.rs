//! SessionService: listing, token trees, revoking sessions and tokens, ownership.

use shared::pb::auth::v1::{
    GetMeRequest, GetTokenTreeRequest, ListSessionsRequest, ListUserSessionsRequest,
    RevokeAllSessionsRequest, RevokeSessionRequest, RevokeTokenRequest, SessionStatus, TokenStatus,
};
use testkit::{Backend, TestAuth, backend_tests};
use tonic::Code;

use crate::helpers::*;

async fn works(auth: &TestAuth, access: &str) -> bool {
    user_client(auth)
        .await
        .get_me(bearer(GetMeRequest {}, access))
        .await
        .is_ok()
}

async fn list_sessions_pages_the_callers_sessions_newest_first_with_status_and_current(
    backend: Backend,
) {
    let auth = TestAuth::spawn(backend).await;
    let laptop = signed_up(&auth, "ada").await;
    let phone = login(&auth, "ada", "phone").await;
    let tablet = login(&auth, "ada", "tablet").await;
    let bob = signed_up(&auth, "bob").await;
    let mut sessions = session_client(&auth).await;
    sessions
        .revoke_session(bearer(
            RevokeSessionRequest {
                session_id: tablet.session_id.clone(),
            },
            &phone.access_token,
        ))
        .await
        .unwrap();

    let first = sessions
        .list_sessions(bearer(
            ListSessionsRequest {
                page_size: 2,
                page_token: String::new(),
            },
            &phone.access_token,
        ))
        .await
        .unwrap()
        .into_inner();
    let shown: Vec<(&str, &str, i32, bool)> = first
        .sessions
        .iter()
        .map(|s| (s.id.as_str(), s.device_label.as_str(), s.status, s.current))
        .collect();
    assert_eq!(
        shown,
        [
            (
                tablet.session_id.as_str(),
                "tablet",
                SessionStatus::Revoked as i32,
                false
            ),
            (
                phone.session_id.as_str(),
                "phone",
                SessionStatus::Active as i32,
                true
            ),
        ]
    );
    for s in &first.sessions {
        assert!(!s.ip.is_empty() && !s.user_agent.is_empty());
        assert!(s.created_at.is_some() && s.expires_at.is_some());
        assert!(s.last_refreshed_at.is_none());
    }
    assert!(!first.next_page_token.is_empty());
    let second = sessions
        .list_sessions(bearer(
            ListSessionsRequest {
                page_size: 2,
                page_token: first.next_page_token.clone(),
            },
            &phone.access_token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(second.sessions.len(), 1);
    assert_eq!(second.sessions[0].id, laptop.session_id);
    assert_eq!(second.sessions[0].status, SessionStatus::Active as i32);
    assert!(second.next_page_token.is_empty());

    // Bob sees only his own, and cannot reuse Ada's page token.
    let his = sessions
        .list_sessions(bearer(ListSessionsRequest::default(), &bob.access_token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(his.sessions.len(), 1);
    assert_eq!(his.sessions[0].id, bob.session_id);
    let stolen = sessions
        .list_sessions(bearer(
            ListSessionsRequest {
                page_size: 2,
                page_token: first.next_page_token,
            },
            &bob.access_token,
        ))
        .await
        .unwrap_err();
    assert_eq!(stolen.code(), Code::InvalidArgument);
    let negative = sessions
        .list_sessions(bearer(
            ListSessionsRequest {
                page_size: -1,
                page_token: String::new(),
            },
            &bob.access_token,
        ))
        .await
        .unwrap_err();
    assert_eq!(negative.code(), Code::InvalidArgument);
    auth.stop().await;
}

async fn another_users_sessions_and_tokens_are_not_found(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    let ada = signed_up(&auth, "ada").await;
    let bob = signed_up(&auth, "bob").await;
    let mut sessions = session_client(&auth).await;
    let tree = sessions
        .get_token_tree(bearer(
            GetTokenTreeRequest {
                session_id: ada.session_id.clone(),
            },
            &bob.access_token,
        ))
        .await
        .unwrap_err();
    assert_eq!(tree.code(), Code::NotFound);
    let revoke = sessions
        .revoke_session(bearer(
            RevokeSessionRequest {
                session_id: ada.session_id.clone(),
            },
            &bob.access_token,
        ))
        .await
        .unwrap_err();
    assert_eq!(revoke.code(), Code::NotFound);
    for jti in [
        jti_of(&ada.access_token),
        jti_of(&ada.refresh_token),
        stride_auth::new_id(),
    ] {
        let status = sessions
            .revoke_token(bearer(RevokeTokenRequest { jti }, &bob.access_token))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::NotFound);
    }
    let empty = sessions
        .get_token_tree(bearer(GetTokenTreeRequest::default(), &bob.access_token))
        .await
        .unwrap_err();
    assert_eq!(empty.code(), Code::InvalidArgument);
    assert!(
        works(&auth, &ada.access_token).await,
        "nothing of Ada's was touched"
    );
    auth.stop().await;
}

async fn revoke_all_sessions_can_keep_the_current_one(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    let s1 = signed_up(&auth, "ada").await;
    let s2 = login(&auth, "ada", "phone").await;
    let s3 = login(&auth, "ada", "tablet").await;
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

async fn revoking_a_refresh_token_revokes_what_came_after_it_in_the_session(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    let p0 = signed_up(&auth, "ada").await;
    let p1 = refresh(&auth, &p0.refresh_token).await.unwrap();
    let p2 = refresh(&auth, &p1.refresh_token).await.unwrap();
    let viewer = login(&auth, "ada", "phone").await;
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
    let tree = sessions
        .get_token_tree(bearer(
            GetTokenTreeRequest {
                session_id: p0.session_id.clone(),
            },
            &viewer.access_token,
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
    // An admin sees the same status as the owner.
    let root = signed_up(&auth, "root").await;
    sqlx::query("UPDATE users SET role = 'ADMIN' WHERE id = $1")
        .bind(claims_of(&root.access_token)["sub"].as_str().unwrap())
        .execute(auth.db.pool())
        .await
        .unwrap();
    let admin = login(&auth, "root", "admin console").await;
    let listed = shared::pb::auth::v1::admin_service_client::AdminServiceClient::new(
        testkit::channel(auth.addr).await,
    )
    .list_user_sessions(bearer(
        ListUserSessionsRequest {
            user_id: claims_of(&p0.access_token)["sub"]
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
    assert_eq!(status_of(&p0.session_id), SessionStatus::Revoked as i32);
    assert_eq!(status_of(&viewer.session_id), SessionStatus::Active as i32);
    assert!(
        works(&auth, &p0.access_token).await,
        "earlier tokens stay valid"
    );
    assert_eq!(
        introspect(&auth, &p2.access_token).await.inactive_reason,
        "REVOKED"
    );
    assert_eq!(
        reason(&refresh(&auth, &p2.refresh_token).await.unwrap_err()),
        "TOKEN_REVOKED"
    );
    let after: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM revocation_events")
        .fetch_one(auth.db.pool())
        .await
        .unwrap();
    assert_eq!(after - before, 4, "one TOKEN event per revoked token");

    // An access token alone.
    sessions
        .revoke_token(bearer(
            RevokeTokenRequest {
                jti: jti_of(&p0.access_token),
            },
            &viewer.access_token,
        ))
        .await
        .unwrap();
    assert!(!works(&auth, &p0.access_token).await);
    assert!(works(&auth, &viewer.access_token).await);
    assert_eq!(event_count(&auth, "TOKEN_REVOKED").await, 2);
    auth.stop().await;
}

backend_tests!(
    list_sessions_pages_the_callers_sessions_newest_first_with_status_and_current,
    another_users_sessions_and_tokens_are_not_found,
    revoke_all_sessions_can_keep_the_current_one,
    revoking_a_refresh_token_revokes_what_came_after_it_in_the_session,
);
