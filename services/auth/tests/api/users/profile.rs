//! `GetMe` and `UpdateMe`: profile fields, field masks, the full name.

use testkit::backend_tests;

use super::*;

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
    // A new address waits for its verification (lifecycle::verification).
    assert_eq!(updated.email, "ada@example.com");
    assert_eq!(updated.pending_email, "countess@example.org");
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
    login(&auth, "ada@example.com", PASSWORD)
        .await
        .expect("the current email still logs in");
    assert!(
        login(&auth, "countess@example.org", PASSWORD)
            .await
            .is_err(),
        "an unverified address does not"
    );
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

backend_tests!(
    full_name_follows_name_changes_until_chosen_and_a_login_never_touches_it,
    update_me_sets_profile_fields_and_clears_a_masked_empty_field,
    update_me_rejects_bad_paths_and_values_naming_each_field,
);
