//! The profile page in a real browser: the card shows the account and the training statistics,
//! an uploaded picture is shown (and a file that is not a picture is refused beside the file
//! input), the profile form saves what changed and puts a refused value's error beside its
//! field, and a password change keeps this browser while ending the other sessions.

use std::time::Duration;

use shared::pb::auth::v1::user_service_client::UserServiceClient;
use shared::pb::auth::v1::{GetAvatarRequest, GetMeRequest, User};
use shared::pb::fitness::v1::stats_service_client::StatsServiceClient;
use shared::pb::fitness::v1::workout_service_client::WorkoutServiceClient;
use shared::pb::fitness::v1::{CreateWorkoutRequest, GetMyStatsRequest, Workout, WorkoutType};
use testkit::Backend;
use testkit::bearer::authorised;
use time::OffsetDateTime;
use tonic::Code;

use crate::harness::{PASSWORD, Stack, TestUser, request, wait_until};

/// A 4×4 PNG in the console's accent colour.
const PNG: [u8; 73] = [
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x04, 0x08, 0x02, 0x00, 0x00, 0x00, 0x26, 0x93, 0x09,
    0x29, 0x00, 0x00, 0x00, 0x10, 0x49, 0x44, 0x41, 0x54, 0x78, 0xda, 0x63, 0xf0, 0x77, 0x7b, 0x0a,
    0x47, 0x0c, 0xc4, 0x71, 0x00, 0x5d, 0x32, 0x17, 0xa1, 0xde, 0x2e, 0x5e, 0xdb, 0x00, 0x00, 0x00,
    0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

/// The profile form's submit button.
const SAVE: &str = "#profile-form button[type=\"submit\"]";
/// The picture form's submit button.
const UPLOAD: &str = "#avatar-form button[type=\"submit\"]";
/// The password form's submit button.
const CHANGE: &str = "#password-form button[type=\"submit\"]";

/// The user as auth knows them, read with the token of the session `register` opened.
async fn me(stack: &Stack, user: &TestUser) -> User {
    UserServiceClient::new(authorised(stack.auth_channel().await, &user.access_token))
        .get_me(GetMeRequest {})
        .await
        .expect("GetMe succeeds")
        .into_inner()
}

/// Creates a workout for `user` through the fitness API.
async fn create_workout(stack: &Stack, user: &TestUser, title: &str) {
    let workout = Workout {
        title: title.to_owned(),
        date: "2025-03-14".to_owned(),
        workout_type: WorkoutType::Strength as i32,
        ..Workout::default()
    };
    WorkoutServiceClient::new(authorised(
        stack.fitness_channel().await,
        &user.access_token,
    ))
    .create_workout(CreateWorkoutRequest {
        workout: Some(workout),
        request_id: String::new(),
    })
    .await
    .expect("CreateWorkout succeeds");
}

async fn the_card_shows_the_account_and_the_training(backend: Backend) {
    let stack = Stack::start(backend).await;
    let ada = stack.register("ada").await;
    create_workout(&stack, &ada, "Morning lift").await;
    create_workout(&stack, &ada, "Evening lift").await;
    let account = me(&stack, &ada).await;
    let browser = stack.browser().await;
    browser.sign_in("ada", PASSWORD).await;

    assert_eq!(browser.text("h1").await, "Profile");
    assert_eq!(browser.text("#profile-name").await, "Ada Lovelace");
    assert_eq!(browser.text("#profile-username").await, "@ada");
    assert_eq!(
        browser.text("#profile-initials").await,
        "AL",
        "no picture yet: the initials stand in"
    );
    let verified = if account.email_verified {
        "verified"
    } else {
        "not verified"
    };
    assert_eq!(
        browser.text("#profile-email").await,
        format!("ada@example.com {verified}")
    );
    let created = account
        .created_at
        .and_then(|t| OffsetDateTime::from_unix_timestamp(t.seconds).ok())
        .expect("the user has a creation time");
    assert_eq!(
        browser
            .attr("#profile-since time", "datetime")
            .await
            .as_deref(),
        Some(created.date().to_string().as_str()),
        "member since the day the account was created"
    );

    assert_eq!(browser.text("#stat-workouts").await, "2");
    assert_eq!(browser.text("#stat-exercises").await, "0");
    assert_eq!(browser.text("#stat-minutes").await, "0");
    assert_eq!(browser.text("#stat-evaluation").await, "Not yet");
    assert_eq!(
        browser
            .attr("#stat-evaluation span", "title")
            .await
            .as_deref(),
        Some("Not evaluated yet")
    );
    assert!(
        !browser.exists("#f-mfa_code").await,
        "no second factor: no code input"
    );
    stack.stop().await;
}

async fn an_uploaded_picture_is_shown(backend: Backend) {
    let stack = Stack::start(backend).await;
    let ada = stack.register("ada").await;
    let browser = stack.browser().await;
    browser.sign_in("ada", PASSWORD).await;
    assert!(!browser.exists("#profile-avatar").await);

    let dir = tempfile::tempdir().expect("a temporary directory");
    let picture = dir.path().join("ada.png");
    std::fs::write(&picture, PNG).expect("the picture is written");
    browser
        .fill("#f-avatar", picture.to_str().expect("a UTF-8 path"))
        .await;
    browser.click(UPLOAD).await;

    assert_eq!(browser.path().await, "/?done=avatar");
    assert_eq!(
        browser.text(".notice.good").await,
        "Your picture is updated."
    );
    wait_until("the picture to load in the card", || async {
        browser
            .client
            .execute(
                "const img = document.getElementById('profile-avatar'); \
                 return !!img && img.complete && img.naturalWidth;",
                vec![],
            )
            .await
            .is_ok_and(|width| width.as_u64() == Some(4))
    })
    .await;
    let stored = UserServiceClient::new(authorised(stack.auth_channel().await, &ada.access_token))
        .get_avatar(GetAvatarRequest {})
        .await
        .expect("GetAvatar succeeds")
        .into_inner();
    assert_eq!(stored.image, PNG, "the uploaded bytes are stored");
    assert_eq!(stored.content_type, "image/png");

    let cookie = browser.cookie_header().await;
    let url = format!("{}/avatar", stack.console_url);
    let reply = request("GET", &url, &[("cookie", &cookie)], "")
        .await
        .expect("GET /avatar answers");
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), "image/png");
    assert_eq!(reply.header("cache-control"), "private, no-store");
    browser.screenshot("profile").await;

    // A file that is not a picture is refused beside the file input, and the old one stays.
    let text = dir.path().join("notes.png");
    std::fs::write(&text, "not a picture at all").expect("the file is written");
    browser
        .fill("#f-avatar", text.to_str().expect("a UTF-8 path"))
        .await;
    browser.click(UPLOAD).await;
    assert_eq!(browser.path().await, "/profile/avatar");
    assert_eq!(
        browser.text("#f-avatar-error").await,
        "Must be a PNG, JPEG or WebP image."
    );
    assert_eq!(
        browser
            .attr("#f-avatar", "aria-describedby")
            .await
            .as_deref(),
        Some("f-avatar-error")
    );
    assert!(browser.exists("#profile-avatar").await);
    stack.stop().await;
}

async fn editing_the_profile_saves_and_explains(backend: Backend) {
    let stack = Stack::start(backend).await;
    let ada = stack.register("ada").await;
    let browser = stack.browser().await;
    browser.sign_in("ada", PASSWORD).await;

    browser.fill("#f-full_name", "Countess of Lovelace").await;
    browser
        .fill("#f-bio", "Wrote the first program.\nLoves engines.")
        .await;
    browser.fill("#f-language", "fr").await;
    browser.click(SAVE).await;

    assert_eq!(browser.path().await, "/?done=profile");
    assert_eq!(browser.text(".notice.good").await, "Your profile is saved.");
    assert_eq!(browser.text("#profile-name").await, "Countess of Lovelace");
    assert_eq!(
        browser.text("#profile-bio").await,
        "Wrote the first program.\nLoves engines."
    );
    assert_eq!(browser.text("#profile-language").await, "French");
    let saved = me(&stack, &ada).await;
    let profile = saved.profile.expect("a profile");
    assert_eq!(profile.full_name, "Countess of Lovelace");
    assert_eq!(
        profile.bio, "Wrote the first program.\nLoves engines.",
        "line breaks arrive without carriage returns"
    );
    assert_eq!(
        saved.first_name, "Ada",
        "unchanged fields stay as they were"
    );

    // A value the API refuses comes back beside its field, with what was typed.
    let long = "x".repeat(101);
    browser.fill("#f-first_name", &long).await;
    browser.fill("#f-bio", "Not saved either.").await;
    browser.click(SAVE).await;
    assert_eq!(browser.path().await, "/profile");
    assert_eq!(
        browser.text(".notice.bad").await,
        "Please correct the fields marked below."
    );
    assert_eq!(
        browser.text("#f-first_name-error").await,
        "Must be at most 100 characters."
    );
    assert_eq!(browser.value("#f-first_name").await, long);
    assert_eq!(browser.value("#f-bio").await, "Not saved either.");
    assert!(!browser.exists("#f-bio-error").await);
    let unchanged = me(&stack, &ada).await;
    assert_eq!(unchanged.first_name, "Ada");
    assert_eq!(
        unchanged.profile.map(|p| p.bio).as_deref(),
        Some("Wrote the first program.\nLoves engines."),
        "a refused update changes nothing"
    );
    stack.stop().await;
}

async fn changing_the_password_keeps_this_browser_only(backend: Backend) {
    let stack = Stack::start(backend).await;
    let ada = stack.register("ada").await;
    let browser = stack.browser().await;
    browser.sign_in("ada", PASSWORD).await;
    let new_password = "quartz meadow lantern 7731 osprey";

    // A wrong current password is said beside it.
    browser
        .fill("#f-current_password", "not my password at all")
        .await;
    browser.fill("#f-new_password", new_password).await;
    browser.fill("#f-confirm_password", new_password).await;
    browser.click(CHANGE).await;
    assert_eq!(browser.path().await, "/profile/password");
    assert_eq!(
        browser.text("#f-current_password-error").await,
        "That is not your current password."
    );
    assert_eq!(
        browser.value("#f-new_password").await,
        "",
        "passwords are never sent back"
    );

    // A repeated password that differs is caught before any call.
    browser.fill("#f-current_password", PASSWORD).await;
    browser.fill("#f-new_password", new_password).await;
    browser.fill("#f-confirm_password", "something else").await;
    browser.click(CHANGE).await;
    assert!(
        browser
            .text("#f-confirm_password-error")
            .await
            .contains("same as the new password")
    );

    browser.fill("#f-current_password", PASSWORD).await;
    browser.fill("#f-new_password", new_password).await;
    browser.fill("#f-confirm_password", new_password).await;
    browser.click(CHANGE).await;
    assert_eq!(browser.path().await, "/?done=password");
    assert!(browser.text(".notice.good").await.contains("changed"));

    // This browser stays signed in; the session `register` opened ends.
    browser.goto("/sessions").await;
    assert_eq!(browser.path().await, "/sessions");
    refused_within(&stack, &ada.access_token, Duration::from_secs(5)).await;
    let other = stack.browser().await;
    other.sign_in("ada", new_password).await;
    stack.stop().await;
}

/// Waits until fitness refuses `token` as UNAUTHENTICATED, failing after `deadline`.
pub async fn refused_within(stack: &Stack, token: &str, deadline: Duration) {
    let channel = stack.fitness_channel().await;
    let start = std::time::Instant::now();
    loop {
        let answer = StatsServiceClient::new(authorised(channel.clone(), token))
            .get_my_stats(GetMyStatsRequest {})
            .await;
        match answer {
            Err(status) if status.code() == Code::Unauthenticated => return,
            other => assert!(
                start.elapsed() < deadline,
                "fitness still answers the revoked token after {deadline:?}: {other:?}"
            ),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

crate::browser_tests!(
    the_card_shows_the_account_and_the_training,
    an_uploaded_picture_is_shown,
    editing_the_profile_saves_and_explains,
    changing_the_password_keeps_this_browser_only,
);
