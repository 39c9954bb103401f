//! `ChangePassword` and `SetAvatar`.

use testkit::backend_tests;

use super::*;

async fn change_password_revokes_the_other_sessions_and_keeps_the_current_one(backend: Backend) {
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
    let mut users = user_client(&auth).await;

    let wrong = users
        .change_password(bearer(
            ChangePasswordRequest {
                current_password: OTHER_PASSWORD.into(),
                new_password: "amber-willow-quartz-5521".into(),
            },
            &current,
        ))
        .await
        .unwrap_err();
    assert_eq!(wrong.code(), Code::Unauthenticated);
    let weak = users
        .change_password(bearer(
            ChangePasswordRequest {
                current_password: PASSWORD.into(),
                new_password: "password1234".into(),
            },
            &current,
        ))
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&weak), ["new_password"]);

    users
        .change_password(bearer(
            ChangePasswordRequest {
                current_password: PASSWORD.into(),
                new_password: OTHER_PASSWORD.into(),
            },
            &current,
        ))
        .await
        .unwrap();
    for old in [&first, &second] {
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
    assert_eq!(
        login(&auth, "ada", PASSWORD).await.unwrap_err().code(),
        Code::Unauthenticated
    );
    login(&auth, "ada", OTHER_PASSWORD).await.unwrap();

    // Two sessions revoked: two SESSION events in the feed, sequenced 1 and 2.
    let feed: Vec<(i64, String)> =
        sqlx::query_as("SELECT sequence, kind FROM revocation_events ORDER BY sequence")
            .fetch_all(auth.db.pool())
            .await
            .unwrap();
    assert_eq!(feed, [(1, "SESSION".to_owned()), (2, "SESSION".to_owned())]);
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
    change_password_revokes_the_other_sessions_and_keeps_the_current_one,
    avatars_accept_png_jpeg_and_webp_and_reject_anything_else,
);
