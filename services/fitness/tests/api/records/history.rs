//! ExerciseService.ListExerciseHistory: one exercise's sets, newest workout first (workouts of
//! one date by id, descending), in set order within a workout, paged by keyset.

use prost_types::FieldMask;
use shared::pb::fitness::v1 as pb;
use testkit::{Backend, backend_tests};
use tonic::Code;

use super::{exercise, replace};
use crate::helpers::{Stack, User, assert_bad, assert_code, entry, weighted_set};

/// One page of the history of `exercise_id`.
async fn page(
    user: &mut User,
    exercise_id: &str,
    page_size: i32,
    page_token: &str,
) -> Result<pb::ListExerciseHistoryResponse, tonic::Status> {
    user.exercises
        .list_exercise_history(pb::ListExerciseHistoryRequest {
            exercise_id: exercise_id.to_owned(),
            page_size,
            page_token: page_token.to_owned(),
        })
        .await
        .map(tonic::Response::into_inner)
}

/// Every set of the history, walking pages of `page_size`: (workout id, date, set index,
/// set id, weight).
async fn walk(
    user: &mut User,
    exercise_id: &str,
    page_size: i32,
) -> Vec<(String, String, i32, String, Option<f64>)> {
    let mut sets = Vec::new();
    let mut token = String::new();
    loop {
        let response = page(user, exercise_id, page_size, &token)
            .await
            .expect("history listed");
        let size = if page_size == 0 { 50 } else { page_size };
        assert!(response.sets.len() <= usize::try_from(size).unwrap());
        for h in response.sets {
            let set = h.set.expect("the set");
            sets.push((h.workout_id, h.date, h.set_index, set.id, set.weight));
        }
        if response.next_page_token.is_empty() {
            return sets;
        }
        token = response.next_page_token;
    }
}

/// Ada's bench in three workouts, two of them on the same date, and a squat in one; returns
/// (stack, ada, bench, [workout ids in creation order]).
async fn three_workouts(backend: Backend) -> (Stack, User, String, Vec<String>) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let bench = exercise(&mut ada, "Bench", pb::TrackingMode::WeightReps).await;
    let squat = exercise(&mut ada, "Squat", pb::TrackingMode::WeightReps).await;
    let mut workouts = Vec::new();
    for (title, date) in [
        ("Early", "2026-03-02"),
        ("Same day A", "2026-03-05"),
        ("Same day B", "2026-03-05"),
    ] {
        let w = ada.create_workout(title, date).await.id;
        let base = 10.0 * (workouts.len() as f64 + 1.0);
        replace(
            &mut ada,
            &w,
            vec![
                entry(&squat, vec![weighted_set(200.0, 5)]),
                entry(
                    &bench,
                    vec![
                        weighted_set(base, 5),
                        weighted_set(base + 1.0, 5),
                        weighted_set(base + 2.0, 5),
                    ],
                ),
            ],
        )
        .await;
        workouts.push(w);
    }
    (stack, ada, bench, workouts)
}

async fn history_is_newest_first_in_set_order(backend: Backend) {
    let (stack, mut ada, bench, w) = three_workouts(backend).await;
    let mut same_day = [w[1].clone(), w[2].clone()];
    same_day.sort();
    let expected: Vec<(String, String, i32)> = [
        (same_day[1].clone(), "2026-03-05"),
        (same_day[0].clone(), "2026-03-05"),
        (w[0].clone(), "2026-03-02"),
    ]
    .into_iter()
    .flat_map(|(id, date)| (0..3).map(move |i| (id.clone(), date.to_owned(), i)))
    .collect();
    let full = walk(&mut ada, &bench, 0).await;
    let shape: Vec<(String, String, i32)> = full
        .iter()
        .map(|(w, d, i, _, _)| (w.clone(), d.clone(), *i))
        .collect();
    assert_eq!(shape, expected);
    // The sets are the bench's, in order: weights rise within each workout.
    let first_workout: Vec<Option<f64>> = full.iter().take(3).map(|s| s.4).collect();
    let base = if same_day[1] == w[1] { 20.0 } else { 30.0 };
    assert_eq!(
        first_workout,
        [Some(base), Some(base + 1.0), Some(base + 2.0)]
    );

    // Every page size walks the same sets exactly once, including pages that cut inside a
    // workout and between the two workouts of one date.
    for size in [1, 2, 4, 9, 500] {
        assert_eq!(walk(&mut ada, &bench, size).await, full, "page size {size}");
    }
    let last = page(&mut ada, &bench, 9, "").await.expect("one page");
    assert!(last.next_page_token.is_empty(), "no empty last page");
    stack.stop().await;
}

async fn history_follows_a_date_change(backend: Backend) {
    let (stack, mut ada, bench, w) = three_workouts(backend).await;
    ada.workouts
        .update_workout(pb::UpdateWorkoutRequest {
            workout: Some(pb::Workout {
                id: w[0].clone(),
                date: "2026-03-09".into(),
                ..Default::default()
            }),
            update_mask: Some(FieldMask {
                paths: vec!["date".into()],
            }),
        })
        .await
        .expect("date moved");
    let first = page(&mut ada, &bench, 3, "").await.expect("a page");
    let moved: Vec<(&str, &str)> = first
        .sets
        .iter()
        .map(|h| (h.workout_id.as_str(), h.date.as_str()))
        .collect();
    assert_eq!(moved, [(w[0].as_str(), "2026-03-09"); 3]);
    stack.stop().await;
}

async fn history_refuses_what_is_not_the_callers(backend: Backend) {
    let (stack, mut ada, bench, _) = three_workouts(backend).await;
    let mut bob = stack.user("bob").await;
    assert_code(page(&mut bob, &bench, 0, "").await, Code::NotFound);
    let unknown = uuid::Uuid::now_v7().to_string();
    assert_code(page(&mut ada, &unknown, 0, "").await, Code::NotFound);
    assert_bad(page(&mut ada, "not-an-id", 0, "").await, &["exercise_id"]);
    assert_bad(page(&mut ada, &bench, -1, "").await, &["page_size"]);
    assert_bad(page(&mut ada, &bench, 0, "garbage").await, &["page_token"]);

    // A token is bound to its exercise.
    let token = page(&mut ada, &bench, 1, "")
        .await
        .expect("a page")
        .next_page_token;
    let empty = exercise(&mut ada, "Row", pb::TrackingMode::WeightReps).await;
    assert_bad(page(&mut ada, &empty, 1, &token).await, &["page_token"]);
    let none = page(&mut ada, &empty, 0, "")
        .await
        .expect("an empty history");
    assert!(none.sets.is_empty() && none.next_page_token.is_empty());

    // A tampered token (valid base64 JSON, other fields) is refused, never a crash.
    use base64::Engine as _;
    let forged = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(br#"{"f":"x","k":["2026-03-05","y",0]}"#);
    assert_bad(page(&mut ada, &bench, 1, &forged).await, &["page_token"]);
    stack.stop().await;
}

backend_tests!(
    history_is_newest_first_in_set_order,
    history_follows_a_date_change,
    history_refuses_what_is_not_the_callers,
);
