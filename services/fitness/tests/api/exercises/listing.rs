//! `ListExercises`: newest first, filtered by workout, name and duration, paged with tokens
//! bound to their filters.

use shared::pb::fitness::v1 as pb;
use testkit::{Backend, backend_tests};

use crate::helpers::{Stack, User, assert_bad};

/// Ada's workouts "Legs" and "Core" and five exercises on them, one without a duration.
struct Seeded {
    stack: Stack,
    ada: User,
    legs: String,
    core: String,
}

async fn seeded(backend: Backend) -> Seeded {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let legs = ada.create_workout("Legs", "2026-11-24").await.id;
    let core = ada.create_workout("Core", "2026-11-25").await.id;
    ada.create_exercise("Back Squat", Some(30), &[&legs]).await;
    ada.create_exercise("Plank", Some(5), &[&core]).await;
    ada.create_exercise("Front squat", None, &[&legs, &core])
        .await;
    ada.create_exercise("Stretch_", Some(60), &[]).await;
    ada.create_exercise("Lunge", Some(15), &[&legs]).await;
    Seeded {
        stack,
        ada,
        legs,
        core,
    }
}

impl Seeded {
    async fn list(&mut self, request: pb::ListExercisesRequest) -> pb::ListExercisesResponse {
        self.ada
            .exercises
            .list_exercises(request)
            .await
            .unwrap()
            .into_inner()
    }

    async fn names(&mut self, request: pb::ListExercisesRequest) -> Vec<String> {
        let response = self.list(request).await;
        response.exercises.into_iter().map(|e| e.name).collect()
    }
}

async fn exercises_list_newest_first_with_their_links(backend: Backend) {
    let mut s = seeded(backend).await;
    let all = s.list(pb::ListExercisesRequest::default()).await;
    let names: Vec<&str> = all.exercises.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        names,
        ["Lunge", "Stretch_", "Front squat", "Plank", "Back Squat"]
    );
    let front = all
        .exercises
        .iter()
        .find(|e| e.name == "Front squat")
        .unwrap();
    let mut both = vec![s.legs.clone(), s.core.clone()];
    both.sort();
    assert_eq!(front.workout_ids, both);
    s.stack.stop().await;
}

async fn exercises_filter_by_workout_and_by_name_literally_ignoring_case(backend: Backend) {
    let mut s = seeded(backend).await;
    let on_legs = pb::ListExercisesRequest {
        workout_id: s.legs.clone(),
        ..Default::default()
    };
    assert_eq!(
        s.names(on_legs).await,
        ["Lunge", "Front squat", "Back Squat"]
    );
    let containing = |text: &str| pb::ListExercisesRequest {
        name_contains: text.into(),
        ..Default::default()
    };
    assert_eq!(
        s.names(containing("SQUAT")).await,
        ["Front squat", "Back Squat"]
    );
    assert_eq!(s.names(containing("_")).await, ["Stretch_"]);
    s.stack.stop().await;
}

async fn duration_bounds_are_inclusive_and_never_match_an_exercise_without_one(backend: Backend) {
    let mut s = seeded(backend).await;
    let between = |min: Option<i32>, max: Option<i32>| pb::ListExercisesRequest {
        min_duration_minutes: min,
        max_duration_minutes: max,
        ..Default::default()
    };
    assert_eq!(
        s.names(between(Some(5), Some(30))).await,
        ["Lunge", "Plank", "Back Squat"]
    );
    assert_eq!(s.names(between(Some(31), None)).await, ["Stretch_"]);
    assert!(s.names(between(None, Some(0))).await.is_empty());
    s.stack.stop().await;
}

async fn workout_name_and_duration_filters_combine(backend: Backend) {
    let mut s = seeded(backend).await;
    let combined = pb::ListExercisesRequest {
        workout_id: s.legs.clone(),
        name_contains: "squat".into(),
        min_duration_minutes: Some(1),
        ..Default::default()
    };
    assert_eq!(s.names(combined).await, ["Back Squat"]);
    s.stack.stop().await;
}

async fn pages_of_two_cover_every_exercise_once(backend: Backend) {
    let mut s = seeded(backend).await;
    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let page = s
            .list(pb::ListExercisesRequest {
                page_size: 2,
                page_token: token.clone(),
                ..Default::default()
            })
            .await;
        seen.extend(page.exercises.iter().map(|e| e.name.clone()));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(
        seen,
        ["Lunge", "Stretch_", "Front squat", "Plank", "Back Squat"]
    );
    s.stack.stop().await;
}

async fn an_exercise_page_token_is_refused_with_other_filters(backend: Backend) {
    let mut s = seeded(backend).await;
    let first = s
        .list(pb::ListExercisesRequest {
            page_size: 1,
            workout_id: s.legs.clone(),
            ..Default::default()
        })
        .await;
    assert_bad(
        s.ada
            .exercises
            .list_exercises(pb::ListExercisesRequest {
                page_size: 1,
                workout_id: s.core.clone(),
                page_token: first.next_page_token.clone(),
                ..Default::default()
            })
            .await,
        &["page_token"],
    );
    assert_bad(
        s.ada
            .exercises
            .list_exercises(pb::ListExercisesRequest {
                page_size: 1,
                workout_id: s.legs.clone(),
                min_duration_minutes: Some(0),
                page_token: first.next_page_token,
                ..Default::default()
            })
            .await,
        &["page_token"],
    );
    s.stack.stop().await;
}

backend_tests!(
    exercises_list_newest_first_with_their_links,
    exercises_filter_by_workout_and_by_name_literally_ignoring_case,
    duration_bounds_are_inclusive_and_never_match_an_exercise_without_one,
    workout_name_and_duration_filters_combine,
    pages_of_two_cover_every_exercise_once,
    an_exercise_page_token_is_refused_with_other_filters,
);
