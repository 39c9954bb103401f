//! Registration: round trip through login and GetMe, validation, uniqueness.

use shared::pb::auth::v1::{GetMeRequest, RegisterRequest, Role};
use testkit::{Backend, TestAuth, backend_tests};
use tonic::Code;

use crate::helpers::*;

async fn register_then_login_then_get_me_round_trips(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    let registered = register(&auth, "ada").await;
    let user = registered.user.clone().unwrap();
    assert_eq!(
        (user.username.as_str(), user.email.as_str()),
        ("ada", "ada@example.com")
    );
    assert_eq!(user.role, Role::User as i32);
    assert!(user.active);
    let profile = user.profile.clone().unwrap();
    assert_eq!(
        profile.full_name, "Ada Lovelace",
        "the profile is created with the user"
    );
    assert!(!profile.has_avatar);
    let tokens = registered.tokens.clone().unwrap();
    assert_eq!(tokens.token_type, "Bearer");
    assert!(!tokens.session_id.is_empty());

    let logged_in = login(&auth, "ADA@Example.com", PASSWORD).await.unwrap();
    let pair = logged_in.tokens.unwrap();
    assert_ne!(
        pair.session_id, tokens.session_id,
        "a login opens a new session"
    );
    assert_eq!(logged_in.user.unwrap().id, user.id);

    let me = user_client(&auth)
        .await
        .get_me(bearer(GetMeRequest {}, &pair.access_token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(me, user);
    let profiles: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM profiles WHERE user_id = $1")
        .bind(&user.id)
        .fetch_one(auth.db.pool())
        .await
        .unwrap();
    assert_eq!(profiles, 1);
    auth.stop().await;
}

type Edit = fn(&mut RegisterRequest);

async fn every_violated_field_is_named_in_one_bad_request(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    let mut client = auth_client(&auth).await;
    let mut request = registration("x");
    request.username = "ab".into();
    request.email = "not-an-email".into();
    request.password = "short".into();
    request.first_name = "n".repeat(101);
    request.last_name = "n".repeat(101);
    request.device_label = "d".repeat(101);
    let status = client.register(request).await.unwrap_err();
    assert_eq!(
        bad_fields(&status),
        [
            "device_label",
            "email",
            "first_name",
            "last_name",
            "password",
            "username"
        ]
    );
    assert_eq!(reason(&status), "INVALID_ARGUMENT");

    let cases: [(&str, Edit); 8] = [
        ("username", |r| r.username = "has space".into()),
        ("username", |r| r.username = "x".repeat(33)),
        ("username", |r| r.username = "ada@home".into()),
        ("email", |r| r.email = "ada@localhost".into()),
        ("email", |r| r.email = String::new()),
        ("password", |r| r.password = "passwordpassword".into()),
        ("password", |r| r.password = "Zq8!".repeat(33)),
        ("password", |r| r.password = "qwertyuiop123".into()),
    ];
    for (i, (field, edit)) in cases.into_iter().enumerate() {
        let mut request = registration("valid_name");
        edit(&mut request);
        let Err(status) = client.register(request).await else {
            panic!("case {i} ({field}) was accepted");
        };
        assert_eq!(bad_fields(&status), [field], "{status:?}");
    }
    let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(auth.db.pool())
        .await
        .unwrap();
    assert_eq!(users, 0, "nothing is stored for a rejected registration");
    auth.stop().await;
}

async fn a_taken_username_or_email_is_already_exists_whatever_the_case(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    register(&auth, "grace").await;
    let mut client = auth_client(&auth).await;

    let mut same_name = registration("GRACE");
    same_name.email = "other@example.com".into();
    let status = client.register(same_name).await.unwrap_err();
    assert_eq!(status.code(), Code::AlreadyExists);
    assert_eq!(reason(&status), "USERNAME_TAKEN");

    let mut same_email = registration("hopper");
    same_email.email = "Grace@EXAMPLE.com".into();
    let status = client.register(same_email).await.unwrap_err();
    assert_eq!(status.code(), Code::AlreadyExists);
    assert_eq!(reason(&status), "EMAIL_TAKEN");
    auth.stop().await;
}

async fn concurrent_registrations_of_one_name_create_exactly_one_user(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    let mut tasks = Vec::new();
    for i in 0..6 {
        let mut client = auth_client(&auth).await;
        let mut request = registration("twin");
        request.email = format!("twin{i}@example.com");
        tasks.push(tokio::spawn(async move { client.register(request).await }));
    }
    let mut created = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => created += 1,
            Err(status) => {
                assert_eq!(status.code(), Code::AlreadyExists, "{status:?}");
                assert_eq!(reason(&status), "USERNAME_TAKEN");
            }
        }
    }
    assert_eq!(created, 1);
    auth.stop().await;
}

backend_tests!(
    register_then_login_then_get_me_round_trips,
    every_violated_field_is_named_in_one_bad_request,
    a_taken_username_or_email_is_already_exists_whatever_the_case,
    concurrent_registrations_of_one_name_create_exactly_one_user,
);
