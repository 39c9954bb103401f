//! AdminService: role check, user management, sessions, security events, key rotation, and
//! the first admin (bootstrap variables and the library behind `stride admin create`).

use prost_types::FieldMask;
use shared::pb::auth::v1::{
    GetJwksRequest, GetMeRequest, GetUserRequest, ListSecurityEventsRequest,
    ListUserSessionsRequest, ListUsersRequest, RevokeUserSessionsRequest, Role,
    RotateSigningKeyRequest, SecurityEventType, SessionStatus, UpdateUserRequest,
};
use stride_auth::config::{BootstrapAdmin, Secret};
use testkit::{Backend, TestAuth, backend_tests};
use tonic::Code;

use crate::helpers::*;

async fn a_user_calling_admin_service_is_permission_denied(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    let user = register(&auth, "ada").await;
    let token = access(&user);
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
            .revoke_user_sessions(bearer(RevokeUserSessionsRequest { user_id: id }, &token))
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

async fn deactivation_revokes_every_session_and_blocks_login_until_reactivated(backend: Backend) {
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
    let mut users = user_client(&auth).await;
    for token in [access(&user), second.access_token] {
        let status = users
            .get_me(bearer(GetMeRequest {}, &token))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::Unauthenticated);
    }
    let refused = login(&auth, "ada", PASSWORD).await.unwrap_err();
    let wrong = login(&auth, "ada", OTHER_PASSWORD).await.unwrap_err();
    assert_eq!(
        (refused.code(), refused.message(), reason(&refused)),
        (wrong.code(), wrong.message(), reason(&wrong)),
        "an inactive account looks like wrong credentials"
    );
    let sessions = admin
        .list_user_sessions(bearer(
            ListUserSessionsRequest {
                user_id: user_id.clone(),
                ..ListUserSessionsRequest::default()
            },
            &admin_token,
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
    assert_eq!(event_count(&auth, "USER_DEACTIVATED").await, 1);

    admin
        .update_user(bearer(
            UpdateUserRequest {
                user_id,
                active: Some(true),
                update_mask: Some(FieldMask {
                    paths: vec!["active".into()],
                }),
                ..UpdateUserRequest::default()
            },
            &admin_token,
        ))
        .await
        .unwrap();
    login(&auth, "ada", PASSWORD)
        .await
        .expect("a reactivated user logs in");
    assert_eq!(event_count(&auth, "USER_ACTIVATED").await, 1);
    auth.stop().await;
}

async fn a_role_change_revokes_old_tokens_shows_in_new_ones_and_bad_updates_are_rejected(
    backend: Backend,
) {
    let auth = TestAuth::spawn(backend).await;
    let admin_token = admin_token(&auth).await;
    let admin_id = claims_of(&admin_token)["sub"].as_str().unwrap().to_owned();
    let registered = register(&auth, "ada").await;
    let old_token = access(&registered);
    let user_id = registered.user.unwrap().id;
    let mut admin = admin_client(&auth).await;
    let staff = admin
        .update_user(bearer(
            UpdateUserRequest {
                user_id: user_id.clone(),
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

    let unspecified = admin
        .update_user(bearer(
            UpdateUserRequest {
                user_id: user_id.clone(),
                update_mask: Some(FieldMask {
                    paths: vec!["role".into()],
                }),
                ..UpdateUserRequest::default()
            },
            &admin_token,
        ))
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&unspecified), ["role"]);
    let bad_path = admin
        .update_user(bearer(
            UpdateUserRequest {
                user_id: user_id.clone(),
                update_mask: Some(FieldMask {
                    paths: vec!["email".into()],
                }),
                ..UpdateUserRequest::default()
            },
            &admin_token,
        ))
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&bad_path), ["update_mask"]);
    let missing = admin
        .get_user(bearer(
            GetUserRequest {
                user_id: stride_auth::new_id(),
            },
            &admin_token,
        ))
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);
    let myself = admin
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

async fn list_users_searches_filters_and_pages_with_tokens_bound_to_filters(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    let admin_token = admin_token(&auth).await;
    for name in ["alice", "bob", "carol", "dave", "erin_50"] {
        register(&auth, name).await;
    }
    let mut admin = admin_client(&auth).await;
    let list = |request: ListUsersRequest| bearer(request, &admin_token);

    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let page = admin
            .list_users(list(ListUsersRequest {
                page_size: 2,
                page_token: token.clone(),
                role: Role::User as i32,
                ..ListUsersRequest::default()
            }))
            .await
            .unwrap()
            .into_inner();
        assert!(page.users.len() <= 2);
        seen.extend(page.users.into_iter().map(|u| u.username));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(
        seen,
        ["alice", "bob", "carol", "dave", "erin_50"],
        "oldest first"
    );

    let first = admin
        .list_users(list(ListUsersRequest {
            page_size: 1,
            ..ListUsersRequest::default()
        }))
        .await
        .unwrap()
        .into_inner();
    let reused = admin
        .list_users(list(ListUsersRequest {
            page_size: 1,
            page_token: first.next_page_token,
            query: "a".into(),
            ..ListUsersRequest::default()
        }))
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&reused), ["page_token"]);
    let negative = admin
        .list_users(list(ListUsersRequest {
            page_size: -1,
            ..ListUsersRequest::default()
        }))
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&negative), ["page_size"]);

    let search = |query: &str| ListUsersRequest {
        query: query.into(),
        ..ListUsersRequest::default()
    };
    let found = admin
        .list_users(list(search("CAR")))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        found
            .users
            .iter()
            .map(|u| u.username.as_str())
            .collect::<Vec<_>>(),
        ["carol"]
    );
    let literal = admin
        .list_users(list(search("n_5")))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(literal.users.len(), 1, "'_' matches literally");
    let percent = admin
        .list_users(list(search("%")))
        .await
        .unwrap()
        .into_inner();
    assert!(percent.users.is_empty(), "'%' matches literally");
    let by_name = admin
        .list_users(list(search("lovelace")))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(by_name.users.len(), 6, "full names match too");

    let admins = admin
        .list_users(list(ListUsersRequest {
            role: Role::Admin as i32,
            ..ListUsersRequest::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(admins.users.len(), 1);
    let inactive = admin
        .list_users(list(ListUsersRequest {
            active: Some(false),
            ..ListUsersRequest::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(inactive.users.is_empty());
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

async fn security_events_filter_by_user_type_and_time_newest_first(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    let admin_token = admin_token(&auth).await;
    let ada = register(&auth, "ada").await.user.unwrap().id;
    login(&auth, "ada", PASSWORD).await.unwrap();
    login(&auth, "ada", OTHER_PASSWORD).await.unwrap_err();
    login(&auth, "ada", PASSWORD).await.unwrap();
    let mut admin = admin_client(&auth).await;
    let list = |request: ListSecurityEventsRequest| bearer(request, &admin_token);

    let all = admin
        .list_security_events(list(ListSecurityEventsRequest {
            user_id: ada.clone(),
            ..ListSecurityEventsRequest::default()
        }))
        .await
        .unwrap()
        .into_inner()
        .events;
    let types: Vec<i32> = all.iter().map(|e| e.r#type).collect();
    assert_eq!(
        types,
        [
            SecurityEventType::LoginSucceeded as i32,
            SecurityEventType::LoginFailed as i32,
            SecurityEventType::LoginSucceeded as i32,
            SecurityEventType::Register as i32,
        ],
        "newest first"
    );
    assert!(all.iter().all(|e| e.user_id == ada && e.ip == "127.0.0.1"));

    let mut pages = Vec::new();
    let mut token = String::new();
    loop {
        let page = admin
            .list_security_events(list(ListSecurityEventsRequest {
                r#type: SecurityEventType::LoginSucceeded as i32,
                page_size: 1,
                page_token: token.clone(),
                ..ListSecurityEventsRequest::default()
            }))
            .await
            .unwrap()
            .into_inner();
        pages.extend(page.events.into_iter().map(|e| e.id));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(pages, [all[0].id.clone(), all[2].id.clone()]);

    let cut = all[1].created_at;
    let before = admin
        .list_security_events(list(ListSecurityEventsRequest {
            user_id: ada.clone(),
            end_time: cut,
            ..ListSecurityEventsRequest::default()
        }))
        .await
        .unwrap()
        .into_inner()
        .events;
    assert_eq!(before.len(), 2, "end_time is exclusive");
    let after = admin
        .list_security_events(list(ListSecurityEventsRequest {
            user_id: ada.clone(),
            start_time: cut,
            ..ListSecurityEventsRequest::default()
        }))
        .await
        .unwrap()
        .into_inner()
        .events;
    assert_eq!(after.len(), 2, "start_time is inclusive");
    let backwards = admin
        .list_security_events(list(ListSecurityEventsRequest {
            start_time: all[0].created_at,
            end_time: all[3].created_at,
            ..ListSecurityEventsRequest::default()
        }))
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&backwards), ["end_time"]);
    auth.stop().await;
}

async fn key_rotation_signs_new_tokens_with_the_new_kid_and_old_tokens_keep_verifying(
    backend: Backend,
) {
    let auth = TestAuth::spawn(backend).await;
    let admin_token = admin_token(&auth).await;
    let old_kid = header_of(&admin_token)["kid"].as_str().unwrap().to_owned();
    // A replica sharing the database, loaded before the rotation.
    let mut config = stride_auth::Config::for_tests(auth.test_db().url().clone());
    config.tokens.issuer = "stride".into();
    let replica = stride_auth::App::build(config).await.unwrap();

    let rotated = admin_client(&auth)
        .await
        .rotate_signing_key(bearer(RotateSigningKeyRequest {}, &admin_token))
        .await
        .unwrap()
        .into_inner();
    assert_ne!(rotated.kid, old_kid);
    let fresh = access(&register(&auth, "ada").await);
    assert_eq!(header_of(&fresh)["kid"], rotated.kid.as_str());
    user_client(&auth)
        .await
        .get_me(bearer(GetMeRequest {}, &admin_token))
        .await
        .expect("a token signed by the retired key still verifies");
    let jwks = auth_client(&auth)
        .await
        .get_jwks(GetJwksRequest {})
        .await
        .unwrap()
        .into_inner();
    let kids: Vec<&str> = jwks.keys.iter().map(|k| k.kid.as_str()).collect();
    assert_eq!(
        kids,
        [rotated.kid.as_str(), old_kid.as_str()],
        "active key first"
    );
    replica
        .state()
        .tokens
        .verify_access(&fresh)
        .await
        .expect("another replica learns the new kid from the database");

    let (retired_at, expires_at): (Option<i64>, Option<i64>) =
        sqlx::query_as("SELECT retired_at, expires_at FROM signing_keys WHERE kid = $1")
            .bind(&old_kid)
            .fetch_one(auth.db.pool())
            .await
            .unwrap();
    let lifetime = expires_at.unwrap() - retired_at.unwrap();
    assert!(
        lifetime >= 14 * 86_400 * 1_000_000,
        "a retired key outlives every refresh token it signed"
    );
    assert_eq!(event_count(&auth, "SIGNING_KEY_ROTATED").await, 1);
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

async fn the_admin_create_command_writes_an_admin_to_the_database(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    let config = stride_auth::Config::for_tests(auth.test_db().url().clone());
    let id = stride_auth::bootstrap::create_admin(&config, "ops", "ops@example.com", PASSWORD)
        .await
        .unwrap();
    let user = login(&auth, "ops", PASSWORD).await.unwrap().user.unwrap();
    assert_eq!((user.id, user.role), (id, Role::Admin as i32));
    let again =
        stride_auth::bootstrap::create_admin(&config, "OPS", "other@example.com", PASSWORD).await;
    assert!(matches!(
        again,
        Err(stride_auth::Error::AlreadyExists("USERNAME_TAKEN"))
    ));
    let weak =
        stride_auth::bootstrap::create_admin(&config, "ops2", "o2@example.com", "short").await;
    assert!(matches!(weak, Err(stride_auth::Error::InvalidArgument(_))));
    let kid = stride_auth::bootstrap::rotate_keys(&config).await.unwrap();
    let active: String =
        sqlx::query_scalar("SELECT kid FROM signing_keys WHERE retired_at IS NULL")
            .fetch_one(auth.db.pool())
            .await
            .unwrap();
    assert_eq!(active, kid, "stride keys rotate makes a new key active");
    auth.stop().await;
}

backend_tests!(
    a_user_calling_admin_service_is_permission_denied,
    deactivation_revokes_every_session_and_blocks_login_until_reactivated,
    a_role_change_revokes_old_tokens_shows_in_new_ones_and_bad_updates_are_rejected,
    list_users_searches_filters_and_pages_with_tokens_bound_to_filters,
    revoke_user_sessions_counts_and_revokes_every_active_session,
    security_events_filter_by_user_type_and_time_newest_first,
    key_rotation_signs_new_tokens_with_the_new_kid_and_old_tokens_keep_verifying,
    the_bootstrap_admin_is_created_once_and_can_administer,
    the_admin_create_command_writes_an_admin_to_the_database,
);
