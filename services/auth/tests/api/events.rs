//! The security event log holds one row per event this part of the service produces, and none
//! of them carries a secret.

use shared::pb::auth::v1::{
    ChangePasswordRequest, Profile, RevokeUserSessionsRequest, Role, RotateSigningKeyRequest,
    SetAvatarRequest, UpdateMeRequest, UpdateUserRequest, User,
};
use testkit::{Backend, TestAuth, backend_tests};

use crate::helpers::*;

/// A service where every security-relevant action has happened once (registrations, logins
/// good and bad up to a lock, profile, avatar, password, role, deactivation and back, session
/// revocation, key rotation); returns it with every secret that went through it.
async fn every_action_once(backend: Backend) -> (TestAuth, Vec<String>) {
    let auth = TestAuth::spawn_with(backend, |c| c.lockout.threshold = 2).await;
    let admin_token = admin_token(&auth).await;
    let registered = register(&auth, "ada").await;
    let ada = registered.user.as_ref().unwrap().id.clone();
    let session = login(&auth, "ada", PASSWORD).await.unwrap().tokens.unwrap();
    let token = session.access_token.clone();
    let mut users = user_client(&auth).await;
    let mut admin = admin_client(&auth).await;

    users
        .update_me(bearer(
            UpdateMeRequest {
                user: Some(User {
                    profile: Some(Profile {
                        bio: "hello".into(),
                        ..Profile::default()
                    }),
                    ..User::default()
                }),
                update_mask: None,
                ..UpdateMeRequest::default()
            },
            &token,
        ))
        .await
        .unwrap();
    users
        .set_avatar(bearer(
            SetAvatarRequest {
                image: b"\x89PNG\r\n\x1a\n".to_vec(),
            },
            &token,
        ))
        .await
        .unwrap();
    users
        .change_password(bearer(
            ChangePasswordRequest {
                current_password: PASSWORD.into(),
                new_password: OTHER_PASSWORD.into(),
                ..Default::default()
            },
            &token,
        ))
        .await
        .unwrap();
    let update = |active: Option<bool>, role: Role| {
        bearer(
            UpdateUserRequest {
                user_id: ada.clone(),
                active,
                role: role as i32,
                update_mask: None,
            },
            &admin_token,
        )
    };
    admin.update_user(update(None, Role::Staff)).await.unwrap();
    admin
        .update_user(update(Some(false), Role::Unspecified))
        .await
        .unwrap();
    admin
        .update_user(update(Some(true), Role::Unspecified))
        .await
        .unwrap();
    login(&auth, "ada", OTHER_PASSWORD).await.unwrap();
    admin
        .revoke_user_sessions(bearer(
            RevokeUserSessionsRequest {
                user_id: ada.clone(),
            },
            &admin_token,
        ))
        .await
        .unwrap();
    admin
        .rotate_signing_key(bearer(RotateSigningKeyRequest {}, &admin_token))
        .await
        .unwrap();
    login(&auth, "ada", "wrong-guess-number-1")
        .await
        .unwrap_err();
    login(&auth, "ada", "wrong-guess-number-2")
        .await
        .unwrap_err();

    let hash: String = sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
        .bind(&ada)
        .fetch_one(auth.db.pool())
        .await
        .unwrap();
    let secrets = [
        PASSWORD,
        OTHER_PASSWORD,
        "wrong-guess-number",
        &hash,
        "$argon2",
        &token,
        &session.refresh_token,
        &admin_token,
        "eyJ",
    ];
    (auth, secrets.map(str::to_owned).to_vec())
}

async fn every_security_relevant_action_leaves_exactly_its_event(backend: Backend) {
    let (auth, _) = every_action_once(backend).await;
    for (event, expected) in [
        ("REGISTER", 2),
        ("LOGIN_SUCCEEDED", 2),
        ("LOGIN_FAILED", 2),
        ("ACCOUNT_LOCKED", 1),
        ("PROFILE_UPDATED", 1),
        ("AVATAR_UPDATED", 1),
        ("PASSWORD_CHANGED", 1),
        ("ROLE_CHANGED", 1),
        ("USER_DEACTIVATED", 1),
        ("USER_ACTIVATED", 1),
        ("ALL_SESSIONS_REVOKED", 1),
        ("SIGNING_KEY_ROTATED", 1),
    ] {
        assert_eq!(event_count(&auth, event).await, expected, "{event}");
    }
    auth.stop().await;
}

async fn no_security_event_carries_a_secret(backend: Backend) {
    let (auth, secrets) = every_action_once(backend).await;

    let rows: Vec<(String, String, String, String)> =
        sqlx::query_as("SELECT event_type, ip, user_agent, detail FROM security_events")
            .fetch_all(auth.db.pool())
            .await
            .unwrap();
    for (event, ip, agent, detail) in rows {
        for secret in &secrets {
            for text in [&ip, &agent, &detail] {
                assert!(!text.contains(secret), "{event} leaks a secret: {text}");
            }
        }
    }
    auth.stop().await;
}

backend_tests!(
    every_security_relevant_action_leaves_exactly_its_event,
    no_security_event_carries_a_secret,
);
