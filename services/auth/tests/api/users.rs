//! UserService: profile updates with masks, full_name rules, password change, avatars.

use prost_types::FieldMask;
use shared::pb::auth::v1::{
    ChangePasswordRequest, GetAvatarRequest, GetMeRequest, Language, Profile, SetAvatarRequest,
    UpdateMeRequest, User,
};
use testkit::{Backend, TestAuth, backend_tests};
use tonic::Code;

use crate::helpers::*;

fn mask(paths: &[&str]) -> Option<FieldMask> {
    Some(FieldMask {
        paths: paths.iter().map(|p| p.to_string()).collect(),
    })
}

fn update(user: User, paths: &[&str]) -> UpdateMeRequest {
    UpdateMeRequest {
        user: Some(user),
        update_mask: if paths.is_empty() { None } else { mask(paths) },
    }
}

async fn full_name_follows_name_changes_until_chosen_and_a_login_never_touches_it(
    backend: Backend,
) {
    let auth = TestAuth::spawn(backend).await;
    let token = access(&register(&auth, "ada").await);
    let mut users = user_client(&auth).await;

    let renamed = users
        .update_me(bearer(
            update(
                User {
                    first_name: "Augusta".into(),
                    ..User::default()
                },
                &[],
            ),
            &token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(renamed.first_name, "Augusta");
    assert_eq!(
        renamed.last_name, "Lovelace",
        "an absent mask updates only populated fields"
    );
    assert_eq!(renamed.profile.unwrap().full_name, "Augusta Lovelace");

    // Names and full_name in one request: the explicit full_name wins and sticks.
    let chosen = users
        .update_me(bearer(
            update(
                User {
                    last_name: "King".into(),
                    profile: Some(Profile {
                        full_name: "Countess of Lovelace".into(),
                        ..Profile::default()
                    }),
                    ..User::default()
                },
                &["last_name", "profile.full_name"],
            ),
            &token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(chosen.profile.unwrap().full_name, "Countess of Lovelace");

    let later = users
        .update_me(bearer(
            update(
                User {
                    first_name: "Ada".into(),
                    ..User::default()
                },
                &["first_name"],
            ),
            &token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        later.profile.unwrap().full_name,
        "Countess of Lovelace",
        "a custom full_name survives name changes"
    );

    let after_login = login(&auth, "ada", PASSWORD).await.unwrap().user.unwrap();
    assert_eq!(
        after_login.profile.unwrap().full_name,
        "Countess of Lovelace"
    );
    auth.stop().await;
}

async fn update_me_sets_profile_fields_and_clears_a_masked_empty_field(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    let token = access(&register(&auth, "ada").await);
    let mut users = user_client(&auth).await;
    let updated = users
        .update_me(bearer(
            update(
                User {
                    email: "countess@example.org".into(),
                    profile: Some(Profile {
                        bio: "Mathematician".into(),
                        birth_date: "1815-12-10".into(),
                        notes: "first program".into(),
                        language: Language::Fr as i32,
                        ..Profile::default()
                    }),
                    ..User::default()
                },
                &[],
            ),
            &token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(updated.email, "countess@example.org");
    let profile = updated.profile.unwrap();
    assert_eq!(
        (
            profile.bio.as_str(),
            profile.birth_date.as_str(),
            profile.notes.as_str(),
            profile.language
        ),
        (
            "Mathematician",
            "1815-12-10",
            "first program",
            Language::Fr as i32
        )
    );
    let cleared = users
        .update_me(bearer(update(User::default(), &["profile.bio"]), &token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(cleared.profile.unwrap().bio, "");
    login(&auth, "countess@example.org", PASSWORD)
        .await
        .expect("the new email logs in");
    auth.stop().await;
}

async fn update_me_rejects_bad_paths_and_values_naming_each_field(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    let token = access(&register(&auth, "ada").await);
    register(&auth, "grace").await;
    let mut users = user_client(&auth).await;

    let status = users
        .update_me(bearer(
            update(User::default(), &["username", "role"]),
            &token,
        ))
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&status), ["update_mask", "update_mask"]);

    let status = users
        .update_me(bearer(
            update(
                User {
                    first_name: "x".repeat(101),
                    email: "nope".into(),
                    profile: Some(Profile {
                        birth_date: "2999-01-01".into(),
                        ..Profile::default()
                    }),
                    ..User::default()
                },
                &[
                    "first_name",
                    "email",
                    "profile.birth_date",
                    "profile.language",
                ],
            ),
            &token,
        ))
        .await
        .unwrap_err();
    assert_eq!(
        bad_fields(&status),
        [
            "user.email",
            "user.first_name",
            "user.profile.birth_date",
            "user.profile.language"
        ]
    );

    let status = users
        .update_me(bearer(
            update(
                User {
                    email: "GRACE@example.com".into(),
                    ..User::default()
                },
                &["email"],
            ),
            &token,
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::AlreadyExists);
    assert_eq!(reason(&status), "EMAIL_TAKEN");
    auth.stop().await;
}

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

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
const JPEG: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F'];
const WEBP: &[u8] = b"RIFF\x24\0\0\0WEBPVP8 ";

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
    full_name_follows_name_changes_until_chosen_and_a_login_never_touches_it,
    update_me_sets_profile_fields_and_clears_a_masked_empty_field,
    update_me_rejects_bad_paths_and_values_naming_each_field,
    change_password_revokes_the_other_sessions_and_keeps_the_current_one,
    avatars_accept_png_jpeg_and_webp_and_reject_anything_else,
);
