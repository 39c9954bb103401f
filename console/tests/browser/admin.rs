//! The admin site and the leaderboard in a real browser: an admin finds, deactivates and
//! reactivates a user (who then cannot, then can, sign in), deactivates several at once, reads
//! the dashboard's counts, filters the security events and rotates the signing key; staff set
//! evaluations on the leaderboard; plain users and staff are refused what is not theirs.

use shared::pb::auth::v1::SetAvatarRequest;
use shared::pb::auth::v1::user_service_client::UserServiceClient;
use shared::pb::fitness::v1::exercise_service_client::ExerciseServiceClient;
use shared::pb::fitness::v1::workout_service_client::WorkoutServiceClient;
use shared::pb::fitness::v1::{
    CreateExerciseRequest, CreateWorkoutRequest, Exercise, Workout, WorkoutType,
};
use testkit::Backend;
use testkit::bearer::authorised;

use crate::harness::{Browser, PASSWORD, Stack, TestUser, request};

/// The sign-in form's submit button.
const SIGN_IN: &str = "form[action=\"/login\"] button[type=\"submit\"]";

/// Registers `name` and makes them an admin (before any browser signs them in).
async fn admin(stack: &Stack, name: &str) -> TestUser {
    let user = stack.register(name).await;
    stack.set_role(&user.id, "admin").await;
    user
}

/// Tries to sign in and stays on the sign-in page; the form's notice.
async fn refused_sign_in(browser: &Browser, login: &str) -> String {
    browser.goto("/login").await;
    browser.fill("#f-login", login).await;
    browser.fill("#f-password", PASSWORD).await;
    browser.click(SIGN_IN).await;
    assert_eq!(browser.path().await, "/login", "{login} is not signed in");
    browser.text(".notice.bad").await
}

/// Creates `workouts` workouts for `user`, and one exercise of `minutes` in the first.
async fn train(stack: &Stack, user: &TestUser, workouts: usize, minutes: i32) {
    let channel = authorised(stack.fitness_channel().await, &user.access_token);
    let mut ids = Vec::new();
    for n in 0..workouts {
        let workout = WorkoutServiceClient::new(channel.clone())
            .create_workout(CreateWorkoutRequest {
                workout: Some(Workout {
                    title: format!("Session {n}"),
                    date: "2026-01-15".into(),
                    workout_type: WorkoutType::Strength as i32,
                    ..Workout::default()
                }),
                ..CreateWorkoutRequest::default()
            })
            .await
            .expect("the workout is created")
            .into_inner();
        ids.push(workout.id);
    }
    ExerciseServiceClient::new(channel)
        .create_exercise(CreateExerciseRequest {
            exercise: Some(Exercise {
                name: "Squats".into(),
                duration_minutes: Some(minutes),
                workout_ids: ids.into_iter().take(1).collect(),
                ..Exercise::default()
            }),
            ..CreateExerciseRequest::default()
        })
        .await
        .expect("the exercise is created");
}

/// A 1×1 PNG.
const PNG: [u8; 67] = [
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0a, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0d, 0x0a, 0x2d, 0xb4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae,
    0x42, 0x60, 0x82,
];

async fn an_admin_finds_a_user_and_deactivates_them(backend: Backend) {
    let stack = Stack::start(backend).await;
    let root = admin(&stack, "root").await;
    stack.register("ada").await;
    // Everyone registered here is called Ada Lovelace: "bob" matches bob alone.
    let bob = stack.register("bob").await;
    let browser = stack.browser().await;
    browser.sign_in("root", PASSWORD).await;

    browser.goto("/admin/users").await;
    assert_eq!(browser.all_text("#users tbody td.username").await.len(), 3);
    browser.fill("#f-query", "bob").await;
    browser.click("#user-filters button[type=\"submit\"]").await;
    assert_eq!(browser.path().await, "/admin/users?query=bob&role=&active=");
    assert_eq!(browser.all_text("#users tbody td.username").await, ["bob"]);
    browser.screenshot("users").await;

    browser.click("#users tbody td.username a").await;
    assert_eq!(browser.path().await, format!("/admin/users/{}", bob.id));
    assert_eq!(browser.text("h1").await, "bob");
    assert_eq!(browser.text("#fact-username").await, "bob");
    assert_eq!(browser.text("#user-status").await, "active");
    assert!(
        browser.exists("span.avatar").await,
        "no avatar yet: initials"
    );
    let session = format!("#session-{}", bob.session_id);
    assert!(
        browser.text(&session).await.contains("active"),
        "the session Register opened is listed"
    );
    assert!(
        browser.exists(&format!("{session} .tree")).await,
        "with its token tree"
    );
    assert!(
        browser
            .all_text("table.events tbody tr")
            .await
            .iter()
            .any(|row| row.contains("Registered")),
        "the user's security events are listed"
    );
    browser.screenshot("user").await;

    browser.click("#deactivate button").await;
    assert_eq!(
        browser.path().await,
        format!("/admin/users/{}?done=deactivated", bob.id)
    );
    assert_eq!(
        browser.text(".notice.good").await,
        "The user is deactivated and signed out everywhere."
    );
    assert_eq!(browser.text("#user-status").await, "deactivated");
    assert!(
        browser.text(&session).await.contains("revoked"),
        "deactivation revoked the session"
    );
    assert!(
        browser
            .all_text("table.events tbody tr")
            .await
            .iter()
            .any(|row| row.contains("Deactivated")),
    );

    let other = stack.browser().await;
    assert_eq!(
        refused_sign_in(&other, "bob").await,
        "Wrong username or password.",
        "a deactivated account cannot sign in"
    );

    browser.click("#reactivate button").await;
    assert_eq!(browser.text("#user-status").await, "active");
    other.sign_in("bob", PASSWORD).await;

    // The API's refusal reads as a sentence: an admin cannot demote themselves.
    browser.goto(&format!("/admin/users/{}", root.id)).await;
    browser.fill("#f-role", "user").await;
    browser.click("#change-role button[type=\"submit\"]").await;
    assert_eq!(
        browser.text(".notice.bad").await,
        "You cannot change your own role."
    );
    assert_eq!(browser.value("#f-role").await, "admin");
    browser.goto("/admin").await;
    assert_eq!(browser.text("h1").await, "Dashboard", "still an admin");
}

async fn an_admin_changes_a_role_and_sees_the_avatar(backend: Backend) {
    let stack = Stack::start(backend).await;
    admin(&stack, "root").await;
    let ada = stack.register("ada").await;
    let channel = authorised(stack.auth_channel().await, &ada.access_token);
    UserServiceClient::new(channel)
        .set_avatar(SetAvatarRequest {
            image: PNG.to_vec(),
        })
        .await
        .expect("the avatar is set");
    let browser = stack.browser().await;
    browser.sign_in("root", PASSWORD).await;

    let page = format!("/admin/users/{}", ada.id);
    browser.goto(&page).await;
    let src = browser.attr("img.avatar", "src").await;
    assert_eq!(src, Some(format!("{page}/avatar")));
    let avatar = request(
        "GET",
        &format!("{}{page}/avatar", stack.console_url),
        &[("cookie", &browser.cookie_header().await)],
        "",
    )
    .await
    .unwrap();
    assert_eq!(avatar.status, 200);
    assert_eq!(avatar.header("content-type"), "image/png");
    assert_eq!(avatar.header("cache-control"), "private, no-store");

    browser.fill("#f-role", "staff").await;
    browser.click("#change-role button[type=\"submit\"]").await;
    assert_eq!(browser.path().await, format!("{page}?done=role"));
    assert_eq!(browser.text(".profile-head .badge").await, "staff");
    assert_eq!(browser.value("#f-role").await, "staff");

    // Staff now: the leaderboard opens for ada, the admin pages do not.
    let theirs = stack.browser().await;
    theirs.sign_in("ada", PASSWORD).await;
    theirs.goto("/leaderboard").await;
    assert_eq!(theirs.text("h1").await, "Leaderboard");
}

async fn an_admin_deactivates_several_users_at_once(backend: Backend) {
    let stack = Stack::start(backend).await;
    admin(&stack, "root").await;
    let ada = stack.register("ada").await;
    let bob = stack.register("bob").await;
    let cy = stack.register("cyrus").await;
    let browser = stack.browser().await;
    browser.sign_in("root", PASSWORD).await;

    browser.goto("/admin/users").await;
    browser.click(&format!("#select-{}", ada.id)).await;
    browser.click(&format!("#select-{}", bob.id)).await;
    browser.click("#deactivate-selected").await;
    assert_eq!(
        browser.path().await,
        "/admin/users?done=deactivated&count=2&failed=0"
    );
    assert_eq!(browser.text(".notice.good").await, "Deactivated 2 users.");
    for (user, status) in [
        (&ada, "deactivated"),
        (&bob, "deactivated"),
        (&cy, "active"),
    ] {
        let row = browser.text(&format!("#user-{}", user.id)).await;
        assert!(row.contains(status), "{}: {row}", user.username);
    }
    browser.goto("/admin/users?active=inactive").await;
    assert_eq!(
        browser.all_text("#users tbody td.username").await,
        ["ada", "bob"]
    );

    // "Select all" ticks the admin too, whom the API will not deactivate: the rest are.
    browser.goto("/admin/users").await;
    browser.click("input[data-select-all=\"user_id\"]").await;
    assert_eq!(
        browser
            .prop(&format!("#select-{}", cy.id), "checked")
            .await
            .as_deref(),
        Some("true")
    );
    browser.click("#deactivate-selected").await;
    assert_eq!(
        browser.text(".notice.bad").await,
        "Deactivated 3 users; 1 could not be deactivated."
    );
    browser.goto("/admin/users?active=active").await;
    assert_eq!(browser.all_text("#users tbody td.username").await, ["root"]);

    // Nothing ticked: nothing happens, and the list says so.
    browser.goto("/admin/users").await;
    browser.click("#deactivate-selected").await;
    assert_eq!(
        browser.text(".notice.bad").await,
        "Select at least one user."
    );
}

async fn the_dashboard_shows_the_counts(backend: Backend) {
    let stack = Stack::start(backend).await;
    admin(&stack, "root").await;
    let ada = stack.register("ada").await;
    stack.register("bob").await;
    train(&stack, &ada, 2, 45).await;

    let browser = stack.browser().await;
    // One failed sign-in, then a good one.
    fails_to_sign_in(&browser, "root").await;
    browser.sign_in("root", PASSWORD).await;

    browser.goto("/admin").await;
    assert_eq!(browser.text("h1").await, "Dashboard");
    for (id, expected) in [
        ("users", "3"),
        ("active-users", "3"),
        // Three from Register, one from the browser.
        ("sessions", "4"),
        ("workouts", "2"),
        ("exercises", "1"),
        ("minutes", "45"),
    ] {
        assert_eq!(browser.text(&format!("#stat-{id}")).await, expected, "{id}");
    }
    // Today is the chart's last day: 3 sign-ups, 1 sign-in, 1 failed sign-in.
    let mut today = Vec::new();
    for column in 2..=4 {
        let cell = format!(".chart-data tbody tr:last-child td:nth-child({column})");
        today.push(browser.prop(&cell, "textContent").await.unwrap_or_default());
    }
    assert_eq!(today, ["3", "1", "1"]);
    assert_eq!(browser.all_text(".chart-data tbody tr").await.len(), 30);
    assert!(
        browser
            .exists(&format!("table.events a[href=\"/admin/users/{}\"]", ada.id))
            .await,
        "the latest events link to their users"
    );
    browser.screenshot("dashboard").await;
}

async fn security_events_are_filtered(backend: Backend) {
    let stack = Stack::start(backend).await;
    admin(&stack, "root").await;
    let ada = stack.register("ada").await;
    let stranger = stack.browser().await;
    fails_to_sign_in(&stranger, "ada").await;
    drop(stranger);
    let browser = stack.browser().await;
    browser.sign_in("root", PASSWORD).await;

    browser.goto("/admin/events").await;
    assert!(browser.all_text("table.events tbody tr").await.len() >= 4);
    browser.screenshot("events").await;

    browser.fill("#f-type", "LOGIN_FAILED").await;
    browser.fill("#f-user_id", &ada.id).await;
    browser
        .click("#event-filters button[type=\"submit\"]")
        .await;
    let rows = browser.all_text("table.events tbody tr").await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(
        rows[0].contains("Sign-in failed") && rows[0].contains("ada"),
        "{rows:?}"
    );

    let today = time::OffsetDateTime::now_utc().date().to_string();
    browser.fill("#f-from", &today).await;
    browser.fill("#f-to", &today).await;
    browser
        .click("#event-filters button[type=\"submit\"]")
        .await;
    assert_eq!(browser.all_text("table.events tbody tr").await.len(), 1);
    browser.fill("#f-from", "2020-01-01").await;
    browser.fill("#f-to", "2020-01-02").await;
    browser
        .click("#event-filters button[type=\"submit\"]")
        .await;
    assert!(!browser.exists("table.events").await);
    assert_eq!(
        browser.text(".empty").await,
        "No security events match these filters."
    );

    // Filters that cannot be right are marked beside their fields.
    browser
        .goto("/admin/events?from=2026-03-02&to=2026-03-01")
        .await;
    assert_eq!(
        browser.text("#f-to-error").await,
        "Must not be before the first day."
    );
    let too_long = "x".repeat(65);
    browser
        .goto(&format!("/admin/events?user_id={too_long}"))
        .await;
    assert_eq!(
        browser.text("#f-user_id-error").await,
        "Is not an id.",
        "the API's violation is shown beside the field"
    );
    assert_eq!(
        browser.text(".notice.bad").await,
        "Please correct the fields marked below."
    );

    // The user page links to the full list of that user's events.
    browser.goto(&format!("/admin/users/{}", ada.id)).await;
    browser.click("#all-events").await;
    assert_eq!(browser.value("#f-user_id").await, ada.id);
    assert!(browser.all_text("table.events tbody tr").await.len() >= 2);
}

/// Tries to sign in as `login` with a wrong password.
async fn fails_to_sign_in(browser: &Browser, login: &str) {
    browser.goto("/login").await;
    browser.fill("#f-login", login).await;
    browser.fill("#f-password", "not the password").await;
    browser.click(SIGN_IN).await;
    assert_eq!(browser.path().await, "/login");
}

async fn an_admin_rotates_the_signing_key(backend: Backend) {
    let stack = Stack::start(backend).await;
    admin(&stack, "root").await;
    let browser = stack.browser().await;
    browser.sign_in("root", PASSWORD).await;

    browser.goto("/admin/keys").await;
    let before = browser.all_text("#keys tbody tr").await;
    assert_eq!(before.len(), 1, "{before:?}");
    assert!(before[0].contains("active"));

    browser.click("#rotate button").await;
    assert_eq!(browser.path().await, "/admin/keys?done=rotated");
    let after = browser.all_text("#keys tbody tr").await;
    assert_eq!(after.len(), 2, "{after:?}");
    assert!(
        after[0].contains("active"),
        "the new key is first: {after:?}"
    );
    assert!(after[1].contains("retired"), "{after:?}");
    let old_kid = before[0].split_whitespace().next().unwrap_or_default();
    assert!(after[1].starts_with(old_kid), "{after:?}");
    browser.screenshot("keys").await;

    // The console's session goes on under the new key.
    browser.goto("/admin").await;
    assert_eq!(browser.text("h1").await, "Dashboard");
}

async fn staff_evaluate_users_on_the_leaderboard(backend: Backend) {
    let stack = Stack::start(backend).await;
    let coach = stack.register("coach").await;
    stack.set_role(&coach.id, "staff").await;
    let ada = stack.register("ada").await;
    train(&stack, &ada, 1, 30).await;
    let browser = stack.browser().await;
    browser.sign_in("coach", PASSWORD).await;

    browser.goto("/leaderboard").await;
    let row = format!("#rank-{}", ada.id);
    assert!(browser.text(&row).await.contains("not evaluated"));
    assert!(
        !browser.exists(&format!("{row} a")).await,
        "staff see user ids, not links to the admin pages"
    );

    let input = format!("#eval-{}", ada.id);
    let save = format!("#evaluate-{} button", ada.id);
    browser.fill(&input, "150").await;
    browser.click(&save).await;
    assert_eq!(
        browser.text(&format!("{input}-error")).await,
        "Must be between 0 and 100."
    );
    assert_eq!(browser.value(&input).await, "150", "what was typed is kept");
    assert_eq!(
        browser.attr(&input, "aria-invalid").await.as_deref(),
        Some("true")
    );

    browser.fill(&input, "87").await;
    browser.click(&save).await;
    assert_eq!(browser.path().await, "/leaderboard?done=evaluation");
    assert_eq!(browser.text(".notice.good").await, "Evaluation saved.");
    assert_eq!(browser.text(&format!("{row} td.evaluation")).await, "87");
    assert_eq!(
        browser.text(&format!("{row} td")).await,
        "1",
        "ranked first"
    );
    browser.screenshot("leaderboard").await;
}

async fn admins_see_names_and_evaluate_from_the_user_page(backend: Backend) {
    let stack = Stack::start(backend).await;
    admin(&stack, "root").await;
    let ada = stack.register("ada").await;
    train(&stack, &ada, 1, 30).await;
    let browser = stack.browser().await;
    browser.sign_in("root", PASSWORD).await;

    browser.goto("/leaderboard").await;
    let row = format!("#rank-{}", ada.id);
    assert_eq!(browser.text(&format!("{row} a")).await, "ada");

    let page = format!("/admin/users/{}", ada.id);
    browser.goto(&page).await;
    assert_eq!(browser.text("#user-workouts").await, "1");
    assert_eq!(browser.text("#user-minutes").await, "30");
    let input = format!("#eval-{}", ada.id);
    let save = format!("#evaluate-{} button", ada.id);
    browser.fill(&input, "-1").await;
    browser.click(&save).await;
    assert_eq!(
        browser.text(&format!("{input}-error")).await,
        "Must be between 0 and 100."
    );
    assert!(browser.exists(&format!("a[href=\"{page}\"]")).await);
    browser.fill(&input, "64").await;
    browser.click(&save).await;
    assert_eq!(browser.path().await, format!("{page}?done=evaluation"));
    assert_eq!(browser.text("#user-evaluation").await, "64");
}

async fn plain_users_and_staff_are_refused_what_is_not_theirs(backend: Backend) {
    let stack = Stack::start(backend).await;
    let ada = stack.register("ada").await;
    let coach = stack.register("coach").await;
    stack.set_role(&coach.id, "staff").await;
    let admin_pages = [
        "/admin".to_owned(),
        "/admin/users".to_owned(),
        format!("/admin/users/{}", ada.id),
        format!("/admin/users/{}/avatar", ada.id),
        "/admin/events".to_owned(),
        "/admin/keys".to_owned(),
    ];

    let browser = stack.browser().await;
    browser.sign_in("ada", PASSWORD).await;
    assert!(!browser.exists("a[href=\"/leaderboard\"]").await);
    let cookie = browser.cookie_header().await;
    for path in admin_pages
        .iter()
        .map(String::as_str)
        .chain(["/leaderboard"])
    {
        browser.goto(path).await;
        assert_eq!(browser.text("h1").await, "Not allowed", "{path}");
        let reply = request(
            "GET",
            &format!("{}{path}", stack.console_url),
            &[("cookie", &cookie)],
            "",
        )
        .await
        .unwrap();
        assert_eq!(reply.status, 403, "{path}");
    }

    let staff = stack.browser().await;
    staff.sign_in("coach", PASSWORD).await;
    assert!(staff.exists("a[href=\"/leaderboard\"]").await);
    assert!(!staff.exists("a[href=\"/admin/users\"]").await);
    for path in &admin_pages {
        staff.goto(path).await;
        assert_eq!(staff.text("h1").await, "Not allowed", "{path}");
    }
    staff.goto("/leaderboard").await;
    assert_eq!(staff.text("h1").await, "Leaderboard");
}

crate::browser_tests!(
    an_admin_finds_a_user_and_deactivates_them,
    an_admin_changes_a_role_and_sees_the_avatar,
    an_admin_deactivates_several_users_at_once,
    the_dashboard_shows_the_counts,
    security_events_are_filtered,
    an_admin_rotates_the_signing_key,
    staff_evaluate_users_on_the_leaderboard,
    admins_see_names_and_evaluate_from_the_user_page,
    plain_users_and_staff_are_refused_what_is_not_theirs,
);
