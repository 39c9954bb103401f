//! Who may call AdminService: admins only, including the one the bootstrap variables create.

use shared::pb::auth::v1::{
    GetOverviewRequest, GetUserAvatarRequest, GetUserRequest, GetUserTokenTreeRequest,
    ListSecurityEventsRequest, ListSigningKeysRequest, ListUserSessionsRequest, ListUsersRequest,
    RevokeUserSessionsRequest, Role, RotateSigningKeyRequest, UpdateUserRequest,
};
use stride_auth::config::{BootstrapAdmin, Secret};
use testkit::{Backend, TestAuth, backend_tests};
use tonic::Code;

use crate::helpers::*;

async fn a_user_calling_admin_service_is_permission_denied(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    let user = register(&auth, "ada").await;
    let token = access(&user);
    let session_id = user.tokens.as_ref().unwrap().session_id.clone();
    let id = user.user.unwrap().id;
    let mut admin = admin_client(&auth).await;
    let statuses = [
        admin
            .list_users(bearer(ListUsersRequest::default(), &token))
            .await
            .unwrap_err(),
        admin
            .get_user(bearer(
                GetUserRequest {
                    user_id: id.clone(),
                },
                &token,
            ))
            .await
            .unwrap_err(),
        admin
            .update_user(bearer(
                UpdateUserRequest {
                    user_id: id.clone(),
                    role: Role::Admin as i32,
                    ..UpdateUserRequest::default()
                },
                &token,
            ))
            .await
            .unwrap_err(),
        admin
            .list_user_sessions(bearer(
                ListUserSessionsRequest {
                    user_id: id.clone(),
                    ..ListUserSessionsRequest::default()
                },
                &token,
            ))
            .await
            .unwrap_err(),
        admin
            .revoke_user_sessions(bearer(
                RevokeUserSessionsRequest {
                    user_id: id.clone(),
                },
                &token,
            ))
            .await
            .unwrap_err(),
        admin
            .get_overview(bearer(GetOverviewRequest::default(), &token))
            .await
            .unwrap_err(),
        // Even for the caller's own session and avatar: the admin views are for admins.
        admin
            .get_user_token_tree(bearer(
                GetUserTokenTreeRequest {
                    user_id: id.clone(),
                    session_id,
                },
                &token,
            ))
            .await
            .unwrap_err(),
        admin
            .get_user_avatar(bearer(GetUserAvatarRequest { user_id: id }, &token))
            .await
            .unwrap_err(),
        admin
            .list_signing_keys(bearer(ListSigningKeysRequest {}, &token))
            .await
            .unwrap_err(),
        admin
            .list_security_events(bearer(ListSecurityEventsRequest::default(), &token))
            .await
            .unwrap_err(),
        admin
            .rotate_signing_key(bearer(RotateSigningKeyRequest {}, &token))
            .await
            .unwrap_err(),
    ];
    for status in statuses {
        assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
        assert_eq!(reason(&status), "PERMISSION_DENIED");
    }
    let anonymous = admin
        .list_users(ListUsersRequest::default())
        .await
        .unwrap_err();
    assert_eq!(anonymous.code(), Code::Unauthenticated);
    auth.stop().await;
}

async fn the_bootstrap_admin_is_created_once_and_can_administer(backend: Backend) {
    let bootstrap = BootstrapAdmin {
        username: "root".into(),
        email: "root@example.com".into(),
        password: Secret::new(PASSWORD),
    };
    let auth = TestAuth::spawn_with(backend, |c| c.bootstrap_admin = Some(bootstrap.clone())).await;
    let token = login(&auth, "root", PASSWORD)
        .await
        .unwrap()
        .tokens
        .unwrap()
        .access_token;
    assert_eq!(claims_of(&token)["roles"], serde_json::json!(["admin"]));
    admin_client(&auth)
        .await
        .list_users(bearer(ListUsersRequest::default(), &token))
        .await
        .expect("the bootstrap admin may administer");
    // A restart with the same variables changes nothing.
    let mut config = stride_auth::Config::for_tests(auth.test_db().url().clone());
    config.bootstrap_admin = Some(bootstrap);
    stride_auth::App::build(config).await.unwrap();
    let admins: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE role = 'ADMIN'")
        .fetch_one(auth.db.pool())
        .await
        .unwrap();
    assert_eq!(admins, 1);
    auth.stop().await;
}

async fn a_bootstrap_admin_whose_name_a_user_holds_refuses_to_start(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    register(&auth, "root").await;
    let mut config = stride_auth::Config::for_tests(auth.test_db().url().clone());
    config.bootstrap_admin = Some(BootstrapAdmin {
        username: "Root".into(),
        email: "someone-else@example.com".into(),
        password: Secret::new(PASSWORD),
    });
    let refused = stride_auth::App::build(config)
        .await
        .expect_err("a non-admin holds the bootstrap admin's username");
    assert!(
        refused
            .to_string()
            .contains("STRIDE_BOOTSTRAP_ADMIN_USERNAME"),
        "{refused}"
    );
    auth.stop().await;
}

backend_tests!(
    a_bootstrap_admin_whose_name_a_user_holds_refuses_to_start,
    a_user_calling_admin_service_is_permission_denied,
    the_bootstrap_admin_is_created_once_and_can_administer,
);
