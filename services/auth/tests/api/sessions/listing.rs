//! `ListSessions`: the caller's sessions, newest first, with status and which is current.
use shared::pb::auth::v1::{
    ListSessionsRequest, ListSessionsResponse, RevokeSessionRequest, SessionStatus, TokenPair,
    session_service_client::SessionServiceClient,
};
use testkit::{Backend, TestAuth, backend_tests};
use tonic::Code;
use tonic::transport::Channel;

use crate::helpers::*;

/// Ada's sessions on her laptop, phone and tablet (the tablet's revoked), Bob's one, and the
/// first page of two of Ada's listing.
struct Listed {
    auth: TestAuth,
    laptop: TokenPair,
    phone: TokenPair,
    tablet: TokenPair,
    bob: TokenPair,
    sessions: SessionServiceClient<Channel>,
    first: ListSessionsResponse,
}

async fn listed(backend: Backend) -> Listed {
    let auth = TestAuth::spawn(backend).await;
    let laptop = signed_up(&auth, "ada").await;
    let phone = sign_in(&auth, "ada", "phone").await;
    let tablet = sign_in(&auth, "ada", "tablet").await;
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
    Listed {
        auth,
        laptop,
        phone,
        tablet,
        bob,
        sessions,
        first,
    }
}

async fn the_first_page_shows_the_newest_sessions_with_status_and_current(backend: Backend) {
    let l = listed(backend).await;
    let shown: Vec<(&str, &str, i32, bool)> = l
        .first
        .sessions
        .iter()
        .map(|s| (s.id.as_str(), s.device_label.as_str(), s.status, s.current))
        .collect();
    assert_eq!(
        shown,
        [
            (
                l.tablet.session_id.as_str(),
                "tablet",
                SessionStatus::Revoked as i32,
                false
            ),
            (
                l.phone.session_id.as_str(),
                "phone",
                SessionStatus::Active as i32,
                true
            ),
        ]
    );
    for s in &l.first.sessions {
        assert!(!s.ip.is_empty() && !s.user_agent.is_empty());
        assert!(s.created_at.is_some() && s.expires_at.is_some());
        assert!(s.last_refreshed_at.is_none());
    }
    assert!(!l.first.next_page_token.is_empty());
    l.auth.stop().await;
}

async fn the_last_page_holds_the_oldest_session_and_no_next_token(backend: Backend) {
    let mut l = listed(backend).await;
    let second = l
        .sessions
        .list_sessions(bearer(
            ListSessionsRequest {
                page_size: 2,
                page_token: l.first.next_page_token.clone(),
            },
            &l.phone.access_token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(second.sessions.len(), 1);
    assert_eq!(second.sessions[0].id, l.laptop.session_id);
    assert_eq!(second.sessions[0].status, SessionStatus::Active as i32);
    assert!(second.next_page_token.is_empty());

    l.auth.stop().await;
}

async fn another_user_sees_only_their_own_sessions_and_cannot_reuse_a_page_token(backend: Backend) {
    let mut l = listed(backend).await;
    // Bob sees only his own, and cannot reuse Ada's page token.
    let his = l
        .sessions
        .list_sessions(bearer(ListSessionsRequest::default(), &l.bob.access_token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(his.sessions.len(), 1);
    assert_eq!(his.sessions[0].id, l.bob.session_id);
    let stolen = l
        .sessions
        .list_sessions(bearer(
            ListSessionsRequest {
                page_size: 2,
                page_token: l.first.next_page_token,
            },
            &l.bob.access_token,
        ))
        .await
        .unwrap_err();
    assert_eq!(stolen.code(), Code::InvalidArgument);
    l.auth.stop().await;
}

async fn a_negative_page_size_is_invalid(backend: Backend) {
    let mut l = listed(backend).await;
    let negative = l
        .sessions
        .list_sessions(bearer(
            ListSessionsRequest {
                page_size: -1,
                page_token: String::new(),
            },
            &l.bob.access_token,
        ))
        .await
        .unwrap_err();
    assert_eq!(negative.code(), Code::InvalidArgument);
    l.auth.stop().await;
}

backend_tests!(
    the_first_page_shows_the_newest_sessions_with_status_and_current,
    the_last_page_holds_the_oldest_session_and_no_next_token,
    another_user_sees_only_their_own_sessions_and_cannot_reuse_a_page_token,
    a_negative_page_size_is_invalid,
);
