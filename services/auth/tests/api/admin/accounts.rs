//! `AdminService.UpdateUser` and `RevokeUserSessions`: deactivation, reactivation, role
//! changes and the updates that are refused.

use prost_types::FieldMask;
use shared::pb::auth::v1::{
    GetMeRequest, GetUserRequest, ListUserSessionsRequest, RevokeUserSessionsRequest, Role,
    SessionStatus, UpdateUserRequest, admin_service_client::AdminServiceClient,
};
use testkit::{Backend, TestAuth, backend_tests};
use tonic::transport::Channel;
use tonic::{Code, Status};

use crate::helpers::*;

/// A service with an admin, and `ada` signed up and logged in a second time.
struct Deactivated {
    auth: TestAuth,
    admin: AdminServiceClient<Channel>,
    admin_token: String,
    user_id: String,
    /// The access tokens of Ada's two sessions.
    tokens: [String; 2],
}

/// Ada with two sessions, deactivated by an admin.
async fn deactivated(backend: Backend) -> Deactivated {
    let auth = TestAuth::spawn(backend).await;
    let admin_token = admin_token(&auth).await;
    let user = register(&auth, "ada").await;
    let user_id = user.user.as_ref().unwrap().id.clone();
    let second = login(&auth, "ada", PASSWORD).await.unwrap().tokens.unwrap();
    let mut admin = admin_client(&auth).await;
    let updated = admin
        .update_user(bearer(
            UpdateUserRequest {
                user_id: user_id.clone(),
                active: Some(false),
                ..UpdateUserRequest::default()
            },
            &admin_token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(!updated.active);
    Deactivated {
        auth,
        admin,
        admin_token,
        user_id,
        tokens: [access(&user), second.access_token],
    }
}

async fn deactivation_makes_every_access_token_of_the_user_unauthenticated(backend: Backend) {
    let d = deactivated(backend).await;
    let mut users = user_client(&d.auth).await;
    for token in &d.tokens {
        let status = users
            .get_me(bearer(GetMeRequest {}, token))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::Unauthenticated);
    }
    assert_eq!(event_count(&d.auth, "USER_DEACTIVATED").await, 1);
    d.auth.stop().await;
}

async fn a_deactivated_user_logging_in_looks_like_wrong_credentials(backend: Backend) {
    let d = deactivated(backend).await;
    let refused = login(&d.auth, "ada", PASSWORD).await.unwrap_err();
    let wrong = login(&d.auth, "ada", OTHER_PASSWORD).await.unwrap_err();
    assert_eq!(
        (refused.code(), refused.message(), reason(&refused)),
        (wrong.code(), wrong.message(), reason(&wrong)),
        "an inactive account looks like wrong credentials"
    );
    d.auth.stop().await;
}

async fn deactivation_revokes_every_session_listed_newest_first(backend: Backend) {
    let mut d = deactivated(backend).await;
    let sessions = d
        .admin
        .list_user_sessions(bearer(
            ListUserSessionsRequest {
                user_id: d.user_id.clone(),
                ..ListUserSessionsRequest::default()
            },
            &d.admin_token,
        ))
        .await
        .unwrap()
        .into_inner()
        .sessions;
    assert_eq!(sessions.len(), 2);
    assert!(
        sessions
            .iter()
            .all(|s| s.status == SessionStatus::Revoked as i32 && !s.current)
    );
    let micros = |s: &shared::pb::auth::v1::Session| {
        shared::time::from_timestamp(s.created_at.as_ref().unwrap())
    };
    assert!(micros(&sessions[0]) > micros(&sessions[1]), "newest first");
    d.auth.stop().await;
}

async fn a_reactivated_user_logs_in_again(backend: Backend) {
    let mut d = deactivated(backend).await;
    d.admin
        .update_user(bearer(
            UpdateUserRequest {
                user_id: d.user_id.clone(),
                active: Some(true),
                update_mask: Some(FieldMask {
                    paths: vec!["active".into()],
                }),
                ..UpdateUserRequest::default()
            },
            &d.admin_token,
        ))
        .await
        .unwrap();
    login(&d.auth, "ada", PASSWORD)
        .await
        .expect("a reactivated user logs in");
    assert_eq!(event_count(&d.auth, "USER_ACTIVATED").await, 1);
    d.auth.stop().await;
}

async fn a_role_change_revokes_old_tokens_and_shows_in_new_ones(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    let admin_token = admin_token(&auth).await;
    let registered = register(&auth, "ada").await;
    let old_token = access(&registered);
    let user_id = registered.user.unwrap().id;
    let staff = admin_client(&auth)
        .await
        .update_user(bearer(
            UpdateUserRequest {
                user_id,
                role: Role::Staff as i32,
                ..UpdateUserRequest::default()
            },
            &admin_token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(staff.role, Role::Staff as i32);
    // Tokens carry roles and other services trust them: the old ones must stop working.
    let stale = user_client(&auth)
        .await
        .get_me(bearer(GetMeRequest {}, &old_token))
        .await
        .unwrap_err();
    assert_eq!(stale.code(), Code::Unauthenticated);
    let token = login(&auth, "ada", PASSWORD)
        .await
        .unwrap()
        .tokens
        .unwrap()
        .access_token;
    assert_eq!(claims_of(&token)["roles"], serde_json::json!(["staff"]));
    assert_eq!(event_count(&auth, "ROLE_CHANGED").await, 1);
    auth.stop().await;
}

/// What `UpdateUser` answers an admin for `request` about Ada (whose id fills `user_id` when
/// it is empty).
async fn update_ada(backend: Backend, mut request: UpdateUserRequest) -> Status {
    let auth = TestAuth::spawn(backend).await;
    let admin_token = admin_token(&auth).await;
    let user_id = register(&auth, "ada").await.user.unwrap().id;
    if request.user_id.is_empty() {
        request.user_id = user_id;
    }
    let status = admin_client(&auth)
        .await
        .update_user(bearer(request, &admin_token))
        .await
        .unwrap_err();
    auth.stop().await;
    status
}

async fn updating_the_role_to_unspecified_names_the_role(backend: Backend) {
    let unspecified = update_ada(
        backend,
        UpdateUserRequest {
            update_mask: Some(FieldMask {
                paths: vec!["role".into()],
            }),
            ..UpdateUserRequest::default()
        },
    )
    .await;
    assert_eq!(bad_fields(&unspecified), ["role"]);
}

async fn an_update_mask_naming_a_field_admins_cannot_set_is_rejected(backend: Backend) {
    let bad_path = update_ada(
        backend,
        UpdateUserRequest {
            update_mask: Some(FieldMask {
                paths: vec!["email".into()],
            }),
            ..UpdateUserRequest::default()
        },
    )
    .await;
    assert_eq!(bad_fields(&bad_path), ["update_mask"]);
}

async fn getting_an_unknown_user_is_not_found(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    let admin_token = admin_token(&auth).await;
    let missing = admin_client(&auth)
        .await
        .get_user(bearer(
            GetUserRequest {
                user_id: stride_auth::new_id(),
            },
            &admin_token,
        ))
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);
    auth.stop().await;
}

async fn an_admin_cannot_deactivate_themselves(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    let admin_token = admin_token(&auth).await;
    let admin_id = claims_of(&admin_token)["sub"].as_str().unwrap().to_owned();
    let myself = admin_client(&auth)
        .await
        .update_user(bearer(
            UpdateUserRequest {
                user_id: admin_id,
                active: Some(false),
                ..UpdateUserRequest::default()
            },
            &admin_token,
        ))
        .await
        .unwrap_err();
    assert_eq!(myself.code(), Code::FailedPrecondition);
    auth.stop().await;
}

async fn revoke_user_sessions_counts_and_revokes_every_active_session(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    let admin_token = admin_token(&auth).await;
    let user = register(&auth, "ada").await;
    let user_id = user.user.as_ref().unwrap().id.clone();
    login(&auth, "ada", PASSWORD).await.unwrap();
    let mut admin = admin_client(&auth).await;
    let revoke = || {
        bearer(
            RevokeUserSessionsRequest {
                user_id: user_id.clone(),
            },
            &admin_token,
        )
    };
    let count = admin
        .revoke_user_sessions(revoke())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(count.revoked_count, 2);
    let again = admin
        .revoke_user_sessions(revoke())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again.revoked_count, 0);
    let status = user_client(&auth)
        .await
        .get_me(bearer(GetMeRequest {}, &access(&user)))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    assert_eq!(event_count(&auth, "ALL_SESSIONS_REVOKED").await, 2);
    auth.stop().await;
}

backend_tests!(
    deactivation_makes_every_access_token_of_the_user_unauthenticated,
    a_deactivated_user_logging_in_looks_like_wrong_credentials,
    deactivation_revokes_every_session_listed_newest_first,
    a_reactivated_user_logs_in_again,
    a_role_change_revokes_old_tokens_and_shows_in_new_ones,
    updating_the_role_to_unspecified_names_the_role,
    an_update_mask_naming_a_field_admins_cannot_set_is_rejected,
    getting_an_unknown_user_is_not_found,
    an_admin_cannot_deactivate_themselves,
    revoke_user_sessions_counts_and_revokes_every_active_session,
);
