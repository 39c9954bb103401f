//! `ChangePassword` and `SetAvatar`.

use testkit::backend_tests;

use super::*;

/// Ada signed in three times; the access tokens of her first two sessions and her current one.
async fn three_sessions(backend: Backend) -> (TestAuth, [String; 2], String) {
    let auth = TestAuth::spawn(backend).await;
    let first = access(&register(&auth, "ada").await);
    let second = login(&auth, "ada", PASSWORD)
        .await
        .unwrap()
        .tokens
        .unwrap()
        .access_token;
    let current = login(&auth, "ada", PASSWORD)
        .await
        .unwrap()
        .tokens
        .unwrap()
        .access_token;
    (auth, [first, second], current)
}

/// `ChangePassword` from `current` to `new_password`, as the session of `token`.
async fn change_password(
    auth: &TestAuth,
    token: &str,
    current: &str,
    new_password: &str,
) -> Result<(), tonic::Status> {
    user_client(auth)
        .await
        .change_password(bearer(
            ChangePasswordRequest {
                current_password: current.into(),
                new_password: new_password.into(),
                ..Default::default()
            },
            token,
        ))
        .await
        .map(drop)
}

async fn a_password_change_with_a_wrong_current_password_is_unauthenticated(backend: Backend) {
    let (auth, _, current) = three_sessions(backend).await;
    let wrong = change_password(&auth, &current, OTHER_PASSWORD, "amber-willow-quartz-5521")
        .await
        .unwrap_err();
    assert_eq!(wrong.code(), Code::Unauthenticated);
    auth.stop().await;
}

async fn a_weak_new_password_is_named(backend: Backend) {
    let (auth, _, current) = three_sessions(backend).await;
    let weak = change_password(&auth, &current, PASSWORD, "password1234")
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&weak), ["new_password"]);
    auth.stop().await;
}

async fn change_password_revokes_the_other_sessions_and_keeps_the_current_one(backend: Backend) {
    let (auth, old, current) = three_sessions(backend).await;
    change_password(&auth, &current, PASSWORD, OTHER_PASSWORD)
        .await
        .unwrap();
    let mut users = user_client(&auth).await;
    for old in &old {
        let status = users
            .get_me(bearer(GetMeRequest {}, old))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::Unauthenticated);
        assert_eq!(reason(&status), "TOKEN_REVOKED");
    }
    users
        .get_me(bearer(GetMeRequest {}, &current))
        .await
        .expect("the current session survives");
    // Two sessions revoked: two SESSION events in the feed, sequenced 1 and 2.
    let feed: Vec<(i64, String)> =
        sqlx::query_as("SELECT sequence, kind FROM revocation_events ORDER BY sequence")
            .fetch_all(auth.db.pool())
            .await
            .unwrap();
    assert_eq!(feed, [(1, "SESSION".to_owned()), (2, "SESSION".to_owned())]);
    auth.stop().await;
}

async fn after_a_password_change_only_the_new_password_logs_in(backend: Backend) {
    let (auth, _, current) = three_sessions(backend).await;
    change_password(&auth, &current, PASSWORD, OTHER_PASSWORD)
        .await
        .unwrap();
    assert_eq!(
        login(&auth, "ada", PASSWORD).await.unwrap_err().code(),
        Code::Unauthenticated
    );
    login(&auth, "ada", OTHER_PASSWORD).await.unwrap();
    auth.stop().await;
}

async fn avatars_accept_png_jpeg_and_webp_and_reject_anything_else(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    let token = access(&register(&auth, "ada").await);
    let mut users = user_client(&auth).await;
    let missing = users
        .get_avatar(bearer(GetAvatarRequest {}, &token))
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);

    for (image, content_type) in [
        (PNG, "image/png"),
        (JPEG, "image/jpeg"),
        (WEBP, "image/webp"),
    ] {
        let set = users
            .set_avatar(bearer(
                SetAvatarRequest {
                    image: image.to_vec(),
                },
                &token,
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(set.content_type, content_type);
        assert_eq!(set.size_bytes, image.len() as i64);
        let got = users
            .get_avatar(bearer(GetAvatarRequest {}, &token))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            (got.image.as_slice(), got.content_type.as_str()),
            (image, content_type)
        );
    }
    let me = users
        .get_me(bearer(GetMeRequest {}, &token))
        .await
        .unwrap()
        .into_inner();
    assert!(me.profile.unwrap().has_avatar);

    let mut big = PNG.to_vec();
    big.resize(2 * 1024 * 1024, 0);
    for bad in [
        b"just some text, renamed to avatar.png".to_vec(),
        big,
        Vec::new(),
    ] {
        let status = users
            .set_avatar(bearer(SetAvatarRequest { image: bad }, &token))
            .await
            .unwrap_err();
        assert_eq!(bad_fields(&status), ["image"]);
    }
    let mut limit = PNG.to_vec();
    limit.resize(1024 * 1024, 0);
    users
        .set_avatar(bearer(SetAvatarRequest { image: limit }, &token))
        .await
        .expect("exactly 1 MiB is accepted");
    auth.stop().await;
}

backend_tests!(
    a_password_change_with_a_wrong_current_password_is_unauthenticated,
    a_weak_new_password_is_named,
    change_password_revokes_the_other_sessions_and_keeps_the_current_one,
    after_a_password_change_only_the_new_password_logs_in,
    avatars_accept_png_jpeg_and_webp_and_reject_anything_else,
);
