//! A login racing a change of its account: the password was checked against the account as it
//! was, so a password change, deactivation or role change committed while the login was
//! hashing must keep it from opening a session. The race is made deterministic by pausing the
//! login right after its password check.

use std::sync::atomic::Ordering;

use prost_types::FieldMask;
use shared::pb::auth::v1::{Role, UpdateUserRequest};
use testkit::{Backend, TestAuth, backend_tests};
use tonic::Code;

use super::*;

/// Starts a login of Ada, runs `change` while it is paused after its password check, and
/// returns the login's answer.
async fn login_across<F, Fut>(auth: &TestAuth, pause: &Pause, change: F) -> Result<(), Status>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    pause.armed.store(true, Ordering::SeqCst);
    let racing = {
        let mut client = auth_client(auth).await;
        tokio::spawn(async move { client.login(login_request("ada", PASSWORD)).await })
    };
    pause.reached.notified().await;
    change().await;
    pause.go.notify_one();
    racing.await.unwrap().map(|_| ())
}

async fn spawn_paused(backend: Backend) -> (TestAuth, Pause) {
    let pause = Pause::default();
    let hook = pause.hook();
    let auth = TestAuth::spawn_with(backend, move |c| {
        c.hooks.after_password_check = Some(hook);
    })
    .await;
    (auth, pause)
}

async fn sessions_of_ada(auth: &TestAuth) -> i64 {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.username = 'ada'",
    )
    .fetch_one(auth.db.pool())
    .await
    .unwrap()
}

async fn a_login_racing_a_password_change_opens_no_session(backend: Backend) {
    let (auth, pause) = spawn_paused(backend).await;
    let token = access(&register(&auth, "ada").await);
    let answer = login_across(&auth, &pause, || async {
        change_password(&auth, &token, PASSWORD, OTHER_PASSWORD)
            .await
            .unwrap();
    })
    .await;
    let refused = answer.unwrap_err();
    assert_eq!(
        (refused.code(), reason(&refused).as_str()),
        (Code::Unauthenticated, "INVALID_CREDENTIALS")
    );
    assert_eq!(
        sessions_of_ada(&auth).await,
        1,
        "only the registration's session"
    );
    auth.stop().await;
}

async fn update_ada(auth: &TestAuth, admin: &str, request: UpdateUserRequest) {
    admin_client(auth)
        .await
        .update_user(bearer(request, admin))
        .await
        .unwrap();
}

async fn a_login_racing_a_deactivation_or_a_role_change_opens_no_session(backend: Backend) {
    for change in ["deactivate", "promote"] {
        let (auth, pause) = spawn_paused(backend).await;
        let ada = register(&auth, "ada").await.user.unwrap().id;
        let admin = admin_token(&auth).await;
        let request = match change {
            "deactivate" => UpdateUserRequest {
                user_id: ada.clone(),
                active: Some(false),
                update_mask: Some(FieldMask {
                    paths: vec!["active".into()],
                }),
                ..Default::default()
            },
            _ => UpdateUserRequest {
                user_id: ada.clone(),
                role: Role::Staff as i32,
                update_mask: Some(FieldMask {
                    paths: vec!["role".into()],
                }),
                ..Default::default()
            },
        };
        let answer = login_across(&auth, &pause, || update_ada(&auth, &admin, request)).await;
        let refused = answer.expect_err(change);
        assert_eq!(reason(&refused), "INVALID_CREDENTIALS", "{change}");
        let live: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM sessions WHERE user_id = $1 AND revoked_at IS NULL",
        )
        .bind(&ada)
        .fetch_one(auth.db.pool())
        .await
        .unwrap();
        assert_eq!(
            live, 0,
            "{change}: the change ended every session, and none was born"
        );
        auth.stop().await;
    }
}

backend_tests!(
    a_login_racing_a_password_change_opens_no_session,
    a_login_racing_a_deactivation_or_a_role_change_opens_no_session,
);
