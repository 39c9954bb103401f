//! The training page in a real browser: a workout created through the form is listed, edited
//! (only the changed fields are saved) and deleted; an exercise is created for a workout and
//! another linked and unlinked from the workout's page, whose minutes follow; refused fields are
//! shown beside their inputs with what was typed; titles are text, never markup; the weekly
//! chart counts this week's workouts.

use shared::pb::fitness::v1::exercise_service_client::ExerciseServiceClient;
use shared::pb::fitness::v1::workout_service_client::WorkoutServiceClient;
use shared::pb::fitness::v1::{
    BatchCreateExercisesRequest, BatchCreateWorkoutsRequest, CreateExerciseRequest,
    CreateWorkoutRequest, Exercise, GetWorkoutRequest, ListWorkoutsRequest, UpdateWorkoutRequest,
    Workout, WorkoutType,
};
use testkit::Backend;
use testkit::bearer::{AuthorisedChannel, authorised};
use time::macros::format_description;
use time::{Date, Duration, OffsetDateTime};

use crate::harness::{Browser, PASSWORD, Stack, TestUser, request};

/// The workout form's submit button (new and edit pages).
const SAVE_WORKOUT: &str = "#workout-form button[type=\"submit\"]";
/// The exercise form's submit button (new and edit pages).
const SAVE_EXERCISE: &str = "#exercise-form button[type=\"submit\"]";
/// The title link of the first workout listed.
const FIRST_WORKOUT: &str = "#workouts-table tbody tr:first-child td:nth-child(2) a";

/// Today in UTC, as the console dates a new workout.
fn today() -> Date {
    OffsetDateTime::now_utc().date()
}

/// The chart's label of the week of `date`: its Monday as "2 Mar".
fn week_label(date: Date) -> String {
    let monday = date - Duration::days(i64::from(date.weekday().number_days_from_monday()));
    monday
        .format(format_description!("[day padding:none] [month repr:short]"))
        .unwrap()
}

/// The workouts API on `channel`.
fn workouts(channel: AuthorisedChannel) -> WorkoutServiceClient<AuthorisedChannel> {
    WorkoutServiceClient::new(channel)
}

/// A channel to fitness carrying `user`'s access token.
async fn api(stack: &Stack, user: &TestUser) -> AuthorisedChannel {
    authorised(stack.fitness_channel().await, &user.access_token)
}

/// Creates a workout through the fitness API; its id.
async fn create_workout(stack: &Stack, user: &TestUser, title: &str, date: Date) -> String {
    workouts(api(stack, user).await)
        .create_workout(CreateWorkoutRequest {
            workout: Some(Workout {
                title: title.to_owned(),
                date: date.to_string(),
                workout_type: WorkoutType::Cardio as i32,
                ..Workout::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("the workout is created")
        .into_inner()
        .id
}

/// Creates an exercise of `minutes` linked to `workout_ids` through the fitness API.
async fn create_exercise(
    stack: &Stack,
    user: &TestUser,
    name: &str,
    minutes: i32,
    workout_ids: &[&str],
) {
    ExerciseServiceClient::new(api(stack, user).await)
        .create_exercise(CreateExerciseRequest {
            exercise: Some(Exercise {
                name: name.to_owned(),
                duration_minutes: Some(minutes),
                workout_ids: workout_ids.iter().map(|id| (*id).to_owned()).collect(),
                ..Exercise::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("the exercise is created");
}

/// A signed-in browser for a new user `name`.
async fn signed_in(stack: &Stack, name: &str) -> (TestUser, Browser) {
    let user = stack.register(name).await;
    let browser = stack.browser().await;
    browser.sign_in(name, PASSWORD).await;
    (user, browser)
}

/// Creates a workout through the new-workout form (dated today, as the form proposes).
async fn create_through_form(browser: &Browser, title: &str, kind: &str) {
    browser.goto("/training").await;
    browser.click("#new-workout").await;
    assert_eq!(browser.path().await, "/training/workouts/new");
    assert_eq!(browser.value("#f-date").await, today().to_string());
    browser.fill("#f-title", title).await;
    browser.fill("#f-workout_type", kind).await;
    browser.click(SAVE_WORKOUT).await;
    assert_eq!(browser.path().await, "/training?done=workout-created");
}

/// The id of the workout whose page the browser shows.
async fn workout_id_of_page(browser: &Browser) -> String {
    let path = browser.path().await;
    let id = path
        .strip_prefix("/training/workouts/")
        .and_then(|rest| rest.split('?').next())
        .unwrap_or_else(|| panic!("not a workout's page: {path}"));
    id.to_owned()
}

async fn a_workout_created_through_the_form_is_listed(backend: Backend) {
    let stack = Stack::start(backend).await;
    let (_, browser) = signed_in(&stack, "ada").await;
    browser.goto("/training").await;
    assert_eq!(browser.text("h1").await, "Training");
    assert!(!browser.exists("#workouts-table").await);
    assert!(
        browser
            .text("#workouts .empty")
            .await
            .contains("No workouts yet")
    );

    create_through_form(&browser, "Leg day", "strength").await;

    assert_eq!(browser.text(".notice.good").await, "Workout created.");
    let row = browser.text("#workouts-table tbody tr").await;
    for expected in ["Leg day", "Strength"] {
        assert!(row.contains(expected), "{expected:?} in {row:?}");
    }
    assert_eq!(
        browser
            .attr("#workouts-table tbody tr time", "datetime")
            .await,
        Some(today().to_string())
    );
    assert_eq!(browser.all_text("#workouts-table tbody tr").await.len(), 1);
    assert_eq!(browser.text("#week-minutes").await, "0", "no exercises yet");
    assert_eq!(browser.text("#period-workouts").await, "1");

    // The filters are ListWorkouts': a title that does not match lists nothing, a type that
    // matches lists it.
    browser.fill("#f-q", "swim").await;
    browser
        .click("#workouts form.filters button[type=\"submit\"]")
        .await;
    assert!(browser.path().await.contains("q=swim"));
    assert!(!browser.exists("#workouts-table").await);
    assert!(browser.text("#workouts .empty").await.contains("match"));
    browser.goto("/training?type=strength&q=LEG").await;
    assert!(browser.text("#workouts-table").await.contains("Leg day"));
    browser.goto("/training?type=cardio").await;
    assert!(!browser.exists("#workouts-table").await);
    stack.stop().await;
}

async fn a_workout_is_edited_then_deleted(backend: Backend) {
    let stack = Stack::start(backend).await;
    let (ada, browser) = signed_in(&stack, "ada").await;
    create_through_form(&browser, "Leg day", "strength").await;
    browser.click(FIRST_WORKOUT).await;
    let id = workout_id_of_page(&browser).await;
    assert_eq!(browser.text("h1").await, "Leg day");
    assert_eq!(browser.value("#f-title").await, "Leg day");

    // Meanwhile the notes change elsewhere; saving the page's form must not undo that, since
    // only the fields changed in the form are in the update mask.
    workouts(api(&stack, &ada).await)
        .update_workout(UpdateWorkoutRequest {
            workout: Some(Workout {
                id: id.clone(),
                notes: "written from the CLI".to_owned(),
                ..Workout::default()
            }),
            update_mask: None,
        })
        .await
        .expect("the notes are updated");

    browser.fill("#f-title", "Leg day (heavy)").await;
    browser.fill("#f-date", "2026-01-05").await;
    browser.fill("#f-workout_type", "endurance").await;
    browser.click(SAVE_WORKOUT).await;

    assert_eq!(
        browser.path().await,
        format!("/training/workouts/{id}?done=workout-updated")
    );
    assert_eq!(browser.text(".notice.good").await, "Workout saved.");
    assert_eq!(browser.text("h1").await, "Leg day (heavy)");
    assert_eq!(browser.text("#workout-date").await, "5 Jan 2026");
    assert_eq!(browser.value("#f-date").await, "2026-01-05");
    assert_eq!(browser.text("#workout-notes").await, "written from the CLI");
    let stored = workouts(api(&stack, &ada).await)
        .get_workout(GetWorkoutRequest {
            include_entries: false,
            id: id.clone(),
            include_exercises: false,
        })
        .await
        .expect("the workout is read")
        .into_inner()
        .workout
        .expect("a workout");
    assert_eq!(stored.title, "Leg day (heavy)");
    assert_eq!(stored.date, "2026-01-05");
    assert_eq!(stored.workout_type, WorkoutType::Endurance as i32);
    assert_eq!(stored.notes, "written from the CLI");

    // Saving without a change changes nothing.
    browser.click(SAVE_WORKOUT).await;
    assert_eq!(browser.text(".notice.good").await, "Nothing was changed.");

    browser
        .click("form[action$=\"/delete\"] button[type=\"submit\"]")
        .await;
    assert_eq!(browser.path().await, "/training?done=workout-deleted");
    assert!(
        browser
            .text(".notice.good")
            .await
            .starts_with("Workout deleted.")
    );
    assert!(!browser.exists("#workouts-table").await);
    let left = workouts(api(&stack, &ada).await)
        .list_workouts(ListWorkoutsRequest::default())
        .await
        .expect("the workouts are listed")
        .into_inner()
        .workouts;
    assert!(left.is_empty(), "{left:?}");
    browser.goto(&format!("/training/workouts/{id}")).await;
    assert_eq!(browser.text("h1").await, "Not found");
    stack.stop().await;
}

async fn exercises_are_linked_to_a_workout_whose_minutes_follow(backend: Backend) {
    let stack = Stack::start(backend).await;
    let (_, browser) = signed_in(&stack, "ada").await;
    create_through_form(&browser, "Morning", "cardio").await;
    browser.click(FIRST_WORKOUT).await;
    let id = workout_id_of_page(&browser).await;
    let workout_page = format!("/training/workouts/{id}");
    assert_eq!(browser.text("#workout-minutes").await, "0");

    // A new exercise for this workout: the form comes with the workout ticked.
    browser.click("#new-exercise-here").await;
    assert!(
        browser
            .path()
            .await
            .starts_with("/training/exercises/new?workout=")
    );
    let tick = format!("input[name=\"workout_ids\"][value=\"{id}\"]");
    assert_eq!(
        browser.prop(&tick, "checked").await.as_deref(),
        Some("true")
    );
    browser.fill("#f-name", "Rowing").await;
    browser.fill("#f-duration_minutes", "25").await;
    browser.click(SAVE_EXERCISE).await;
    assert_eq!(
        browser.path().await,
        format!("{workout_page}?done=exercise-created")
    );
    assert_eq!(browser.text("#workout-minutes").await, "25");
    assert!(browser.text("#linked-table").await.contains("Rowing"));

    // An exercise created on its own, then linked from the workout's page.
    browser.goto("/training").await;
    browser.click("#new-exercise").await;
    assert_eq!(
        browser.prop(&tick, "checked").await.as_deref(),
        Some("false")
    );
    browser.fill("#f-name", "Plank").await;
    browser.fill("#f-duration_minutes", "5").await;
    browser.click(SAVE_EXERCISE).await;
    assert_eq!(browser.path().await, "/training?done=exercise-created");
    let listed = browser.text("#exercises-table").await;
    assert!(
        listed.contains("Plank") && listed.contains("Rowing"),
        "{listed}"
    );

    browser.goto(&workout_page).await;
    browser.fill("#f-exercise_id", "Plank (5 min)").await;
    browser.click("#link-form button[type=\"submit\"]").await;
    assert_eq!(
        browser.path().await,
        format!("{workout_page}?done=exercise-linked")
    );
    assert_eq!(browser.text("#workout-minutes").await, "30");
    assert_eq!(browser.text("#workout-exercises").await, "2");

    // Unlinked again (rows are oldest first: Plank is second).
    browser
        .click("#linked-table tbody tr:nth-child(2) form button[type=\"submit\"]")
        .await;
    assert_eq!(
        browser.path().await,
        format!("{workout_page}?done=exercise-unlinked")
    );
    assert_eq!(browser.text("#workout-minutes").await, "25");
    assert!(!browser.text("#linked-table").await.contains("Plank"));

    // The list shows the workout's count and minutes; this week's chart counts them.
    browser.goto("/training").await;
    let row = browser.text("#workouts-table tbody tr").await;
    assert!(row.contains("Morning"), "{row}");
    let cells = browser.all_text("#workouts-table tbody tr td").await;
    assert_eq!(cells[3..5], ["1".to_owned(), "25".to_owned()], "{cells:?}");
    assert_eq!(browser.text("#week-minutes").await, "25");

    // Unticking the workout on the exercise's page unlinks it too (exercises are listed most
    // recently created first: Rowing is second).
    browser
        .click("#exercises-table tbody tr:nth-child(2) td:first-child a")
        .await;
    assert_eq!(browser.text("h1").await, "Rowing");
    assert_eq!(
        browser.prop(&tick, "checked").await.as_deref(),
        Some("true")
    );
    browser.click(&tick).await;
    browser.click(SAVE_EXERCISE).await;
    assert_eq!(browser.text(".notice.good").await, "Exercise saved.");
    assert_eq!(browser.text("#exercise-workouts").await, "0");
    browser.goto(&workout_page).await;
    assert_eq!(browser.text("#workout-minutes").await, "0");
    stack.stop().await;
}

async fn refused_fields_are_shown_beside_their_inputs(backend: Backend) {
    let stack = Stack::start(backend).await;
    let (_, browser) = signed_in(&stack, "ada").await;
    browser.goto("/training/workouts/new").await;
    browser.fill("#f-title", "   ").await;
    browser.fill("#f-date", "").await;
    browser.fill("#f-workout_type", "flexibility").await;
    browser.fill("#f-notes", "stretch <slowly>").await;
    browser.click(SAVE_WORKOUT).await;

    assert_eq!(browser.path().await, "/training/workouts");
    let title_error = browser.text("#f-title-error").await;
    assert!(title_error.starts_with("Required"), "{title_error}");
    assert!(browser.exists(".field.invalid #f-title").await);
    assert_eq!(
        browser
            .attr("#f-title", "aria-describedby")
            .await
            .as_deref(),
        Some("f-title-error")
    );
    assert!(browser.text("#f-date-error").await.contains("YYYY-MM-DD"));
    assert!(!browser.exists("#f-workout_type-error").await);
    assert!(!browser.exists("#f-notes-error").await);
    // What was typed is kept.
    assert_eq!(browser.value("#f-title").await, "   ");
    assert_eq!(browser.value("#f-workout_type").await, "flexibility");
    assert_eq!(browser.value("#f-notes").await, "stretch <slowly>");

    // Corrected, the same form creates the workout.
    browser.fill("#f-title", "Stretching").await;
    browser.fill("#f-date", &today().to_string()).await;
    browser.click(SAVE_WORKOUT).await;
    assert_eq!(browser.path().await, "/training?done=workout-created");
    assert!(browser.text("#workouts-table").await.contains("Stretching"));

    // An exercise's minutes out of range, and a type left unchosen.
    browser.click("#new-exercise").await;
    browser.fill("#f-name", "Marathon").await;
    browser.fill("#f-duration_minutes", "2000").await;
    browser.click(SAVE_EXERCISE).await;
    let error = browser.text("#f-duration_minutes-error").await;
    assert!(error.contains("1440"), "{error}");
    assert_eq!(browser.value("#f-name").await, "Marathon");
    assert_eq!(browser.value("#f-duration_minutes").await, "2000");

    browser.goto("/training/workouts/new").await;
    browser.fill("#f-title", "Untyped").await;
    browser.click(SAVE_WORKOUT).await;
    assert!(browser.exists("#f-workout_type-error").await);

    // A filter the service refuses is shown beside the filter.
    browser.goto("/training?from=2026-02-30").await;
    let error = browser.text("#f-from-error").await;
    assert!(error.contains("calendar date"), "{error}");
    // (A date input drops a value that is not a date; the page sent it back as typed.)
    assert_eq!(
        browser.attr("#f-from", "value").await.as_deref(),
        Some("2026-02-30")
    );
    stack.stop().await;
}

async fn titles_are_text_never_markup(backend: Backend) {
    let stack = Stack::start(backend).await;
    let (ada, browser) = signed_in(&stack, "ada").await;
    let title = "<script>alert(1)</script>";
    let id = create_workout(&stack, &ada, title, today()).await;
    create_exercise(&stack, &ada, "<img src=x onerror=alert(2)>", 10, &[&id]).await;

    for path in ["/training".to_owned(), format!("/training/workouts/{id}")] {
        browser.goto(&path).await;
        let alert = browser.client.get_alert_text().await;
        assert!(alert.is_err(), "a dialog opened on {path}: {alert:?}");
        let source = browser.source().await;
        assert!(
            source.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{path}"
        );
        assert!(!source.contains("<script>alert(1)"), "{path}");
        assert!(!source.contains("<img src=\"x\""), "{path}");
        // The only script of the page is the console's own file, and no image was injected.
        let scripts = browser
            .client
            .execute(
                "return Array.from(document.scripts, s => s.getAttribute('src'));",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(scripts, serde_json::json!(["/static/console.js"]), "{path}");
        assert!(!browser.exists("main img").await, "{path}");
    }
    // The title is shown as it was written.
    assert_eq!(browser.text("h1").await, title);
    assert_eq!(
        browser.text("#linked-table tbody td:first-child").await,
        "<img src=x onerror=alert(2)>"
    );
    browser.goto("/training").await;
    assert_eq!(browser.text(FIRST_WORKOUT).await, title);

    // What the console sent, before any browser parsing.
    let reply = request(
        "GET",
        &format!("{}/training", stack.console_url),
        &[("cookie", &browser.cookie_header().await)],
        "",
    )
    .await
    .unwrap();
    assert_eq!(reply.status, 200);
    assert!(reply.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!reply.body.contains("<script>alert"));
    stack.stop().await;
}

/// A workout the chart test creates: its title, how many weeks ago, and its exercises (name,
/// minutes).
type Planned = (&'static str, i64, &'static [(&'static str, i32)]);

async fn the_weekly_chart_counts_this_weeks_workouts(backend: Backend) {
    let stack = Stack::start(backend).await;
    let (ada, browser) = signed_in(&stack, "ada").await;
    let today = today();
    let plan: [Planned; 5] = [
        ("Intervals", 0, &[("Sprints", 30), ("Cool down", 10)]),
        ("Long run", 1, &[("Run", 50)]),
        ("Hills", 3, &[("Hill repeats", 35)]),
        ("Easy spin", 5, &[("Bike", 45)]),
        ("Old race", 20, &[("Race", 99)]), // outside the twelve weeks
    ];
    for (title, weeks_ago, exercises) in plan {
        let date = today - Duration::weeks(weeks_ago);
        let id = create_workout(&stack, &ada, title, date).await;
        for (name, minutes) in exercises {
            create_exercise(&stack, &ada, name, *minutes, &[&id]).await;
        }
    }

    browser.goto("/training").await;
    assert_eq!(browser.text("#week-minutes").await, "40");
    assert_eq!(browser.text("#period-minutes").await, "170");
    assert_eq!(browser.text("#period-workouts").await, "4");
    let source = browser.source().await;
    let this_week = format!("{}: 40 minutes", week_label(today));
    assert!(source.contains(&this_week), "no bar titled {this_week:?}");
    let last_week = format!("{}: 50 minutes", week_label(today - Duration::weeks(1)));
    assert!(source.contains(&last_week), "no bar titled {last_week:?}");
    assert_eq!(
        browser.all_text("#weekly svg rect.bar").await.len(),
        12,
        "one bar per week"
    );
    // Every workout is listed, the old one too.
    assert_eq!(browser.all_text("#workouts-table tbody tr").await.len(), 5);
    browser.screenshot("training").await;
    stack.stop().await;
}

async fn each_list_pages_on_its_own(backend: Backend) {
    let stack = Stack::start(backend).await;
    let (ada, browser) = signed_in(&stack, "ada").await;
    let channel = api(&stack, &ada).await;
    let requests = (1..=22)
        .map(|i| CreateWorkoutRequest {
            workout: Some(Workout {
                title: format!("Workout {i:02}"),
                date: (today() - Duration::days(i)).to_string(),
                workout_type: WorkoutType::Balance as i32,
                ..Workout::default()
            }),
            request_id: String::new(),
        })
        .collect();
    workouts(channel.clone())
        .batch_create_workouts(BatchCreateWorkoutsRequest {
            requests,
            request_id: String::new(),
        })
        .await
        .expect("the workouts are created");
    let requests = (1..=23)
        .map(|i| CreateExerciseRequest {
            exercise: Some(Exercise {
                name: format!("Exercise {i:02}"),
                ..Exercise::default()
            }),
            request_id: String::new(),
        })
        .collect();
    ExerciseServiceClient::new(channel)
        .batch_create_exercises(BatchCreateExercisesRequest {
            requests,
            request_id: String::new(),
        })
        .await
        .expect("the exercises are created");

    let workout_rows = "#workouts-table tbody tr";
    let exercise_rows = "#exercises-table tbody tr";
    browser.goto("/training").await;
    assert_eq!(browser.all_text(workout_rows).await.len(), 20);
    assert_eq!(browser.all_text(exercise_rows).await.len(), 20);

    browser.click("#workouts nav.pager a[rel=\"next\"]").await;
    assert_eq!(browser.all_text(workout_rows).await.len(), 2);
    assert!(browser.text(workout_rows).await.contains("Workout 21"));
    assert_eq!(browser.all_text(exercise_rows).await.len(), 20);

    browser.click("#exercises nav.pager a[rel=\"next\"]").await;
    assert!(browser.path().await.contains("ex_page_token="));
    assert_eq!(browser.all_text(exercise_rows).await.len(), 3);
    assert!(browser.text(exercise_rows).await.contains("Exercise 03"));
    assert_eq!(
        browser.all_text(workout_rows).await.len(),
        2,
        "the workouts stay on their page"
    );
    assert!(!browser.exists("#workouts nav.pager a[rel=\"next\"]").await);

    browser.click("#workouts nav.pager a:not([rel])").await;
    assert_eq!(browser.all_text(workout_rows).await.len(), 20);
    assert_eq!(browser.all_text(exercise_rows).await.len(), 3);
    stack.stop().await;
}

crate::browser_tests!(
    each_list_pages_on_its_own,
    a_workout_created_through_the_form_is_listed,
    a_workout_is_edited_then_deleted,
    exercises_are_linked_to_a_workout_whose_minutes_follow,
    refused_fields_are_shown_beside_their_inputs,
    titles_are_text_never_markup,
    the_weekly_chart_counts_this_weeks_workouts,
);
