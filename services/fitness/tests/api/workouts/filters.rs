//! `ListWorkouts` filters and orders: by date or creation, by type, date range and title.

use shared::pb::fitness::v1 as pb;
use testkit::{Backend, backend_tests};

use super::seed;
use crate::helpers::{Stack, User};

/// Ada with five workouts of several types, dates and titles.
async fn seeded(backend: Backend) -> (Stack, User) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    use pb::WorkoutType::*;
    seed(
        &mut ada,
        &[
            ("Morning Run", "2026-03-02", Cardio),
            ("Heavy legs", "2026-03-05", Strength),
            ("Evening run", "2026-03-01", Cardio),
            ("Yoga 100%", "2026-03-04", Flexibility),
            ("Long RUN", "2026-03-03", Endurance),
        ],
    )
    .await;
    (stack, ada)
}

/// The titles Ada's `request` lists.
async fn titles(ada: &mut User, request: pb::ListWorkoutsRequest) -> Vec<String> {
    let response = ada
        .workouts
        .list_workouts(request)
        .await
        .unwrap()
        .into_inner();
    response.workouts.into_iter().map(|w| w.title).collect()
}

async fn workouts_list_by_date_newest_first_in_one_page_by_default(backend: Backend) {
    let (stack, mut ada) = seeded(backend).await;
    let all = ada
        .workouts
        .list_workouts(pb::ListWorkoutsRequest::default())
        .await
        .unwrap()
        .into_inner();
    let titles: Vec<&str> = all.workouts.iter().map(|w| w.title.as_str()).collect();
    assert_eq!(
        titles,
        [
            "Heavy legs",
            "Yoga 100%",
            "Long RUN",
            "Morning Run",
            "Evening run"
        ]
    );
    assert!(all.next_page_token.is_empty());
    stack.stop().await;
}

async fn workouts_list_newest_created_first_when_asked(backend: Backend) {
    let (stack, mut ada) = seeded(backend).await;
    let by_created = pb::ListWorkoutsRequest {
        order_by: pb::WorkoutOrder::CreatedAtDesc as i32,
        ..Default::default()
    };
    assert_eq!(
        titles(&mut ada, by_created).await,
        [
            "Long RUN",
            "Yoga 100%",
            "Evening run",
            "Heavy legs",
            "Morning Run"
        ]
    );
    stack.stop().await;
}

async fn workouts_filter_by_type(backend: Backend) {
    let (stack, mut ada) = seeded(backend).await;
    let cardio = pb::ListWorkoutsRequest {
        workout_type: pb::WorkoutType::Cardio as i32,
        ..Default::default()
    };
    assert_eq!(
        titles(&mut ada, cardio).await,
        ["Morning Run", "Evening run"]
    );
    stack.stop().await;
}

async fn a_date_range_includes_both_ends(backend: Backend) {
    let (stack, mut ada) = seeded(backend).await;
    let range = pb::ListWorkoutsRequest {
        date_from: "2026-03-02".into(),
        date_to: "2026-03-04".into(),
        ..Default::default()
    };
    assert_eq!(
        titles(&mut ada, range).await,
        ["Yoga 100%", "Long RUN", "Morning Run"]
    );
    stack.stop().await;
}

async fn title_contains_ignores_case_and_takes_like_wildcards_literally(backend: Backend) {
    let (stack, mut ada) = seeded(backend).await;
    let containing = |text: &str| pb::ListWorkoutsRequest {
        title_contains: text.into(),
        ..Default::default()
    };
    assert_eq!(
        titles(&mut ada, containing("run")).await,
        ["Long RUN", "Morning Run", "Evening run"]
    );
    assert_eq!(titles(&mut ada, containing("0%")).await, ["Yoga 100%"]);
    assert!(titles(&mut ada, containing("_")).await.is_empty());
    stack.stop().await;
}

async fn type_date_and_title_filters_combine(backend: Backend) {
    let (stack, mut ada) = seeded(backend).await;
    let combined = pb::ListWorkoutsRequest {
        workout_type: pb::WorkoutType::Cardio as i32,
        date_from: "2026-03-02".into(),
        title_contains: "RUN".into(),
        ..Default::default()
    };
    assert_eq!(titles(&mut ada, combined).await, ["Morning Run"]);
    stack.stop().await;
}

backend_tests!(
    workouts_list_by_date_newest_first_in_one_page_by_default,
    workouts_list_newest_created_first_when_asked,
    workouts_filter_by_type,
    a_date_range_includes_both_ends,
    title_contains_ignores_case_and_takes_like_wildcards_literally,
    type_date_and_title_filters_combine,
);
