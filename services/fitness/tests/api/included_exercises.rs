//! `GetWorkout` with `include_exercises` or `include_entries`: one answer stays bounded however
//! many exercises a workout has, says when it left some out, and `ListExercises` pages
//! through them all.

use shared::pb::fitness::v1 as pb;
use testkit::{Backend, backend_tests};

use crate::helpers::{Stack, User, exercise};

/// The most exercises one `GetWorkout` answer includes (as documented in the proto).
const CAP: usize = 100;

/// `GetWorkout` of `id` with its exercises.
async fn with_exercises(user: &mut User, id: &str) -> pb::GetWorkoutResponse {
    user.workouts
        .get_workout(pb::GetWorkoutRequest {
            include_entries: false,
            id: id.to_owned(),
            include_exercises: true,
        })
        .await
        .expect("workout found")
        .into_inner()
}

async fn a_workout_with_more_exercises_than_the_cap_includes_the_oldest_and_says_it_left_some_out(
    backend: Backend,
) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let workout = ada.create_workout("Marathon circuit", "2026-11-24").await;
    let batch = |from: usize, count: usize| pb::BatchCreateExercisesRequest {
        requests: (from..from + count)
            .map(|i| pb::CreateExerciseRequest {
                exercise: Some(exercise(
                    &format!("Station {i:03}"),
                    Some(1),
                    &[&workout.id],
                )),
                request_id: String::new(),
            })
            .collect(),
        request_id: String::new(),
    };
    let mut created = Vec::new();
    for (from, count) in [(0, CAP), (CAP, 1)] {
        let response = ada
            .exercises
            .batch_create_exercises(batch(from, count))
            .await
            .expect("batch created")
            .into_inner();
        created.extend(response.exercises.into_iter().map(|e| e.id));
    }

    let answer = with_exercises(&mut ada, &workout.id).await;
    assert_eq!(answer.exercises.len(), CAP, "capped");
    assert!(answer.exercises_truncated, "says it left some out");
    assert_eq!(answer.workout.expect("a workout").exercise_count, 101);
    let included: Vec<&str> = answer.exercises.iter().map(|e| e.id.as_str()).collect();
    let oldest: Vec<&str> = created[..CAP].iter().map(String::as_str).collect();
    assert_eq!(included, oldest, "the oldest, oldest first");

    // Its entries (links appended one after another) are capped the same way.
    let detail = ada.get_with_entries(&workout.id).await;
    assert_eq!(detail.entries.len(), CAP, "entries capped");
    assert!(detail.entries_truncated, "says it left entries out");
    let first: Vec<&str> = detail
        .entries
        .iter()
        .map(|e| e.exercise_id.as_str())
        .collect();
    assert_eq!(first, oldest, "the first entries, in order");

    // The whole list stays reachable through ListExercises, page by page.
    let mut listed = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = ada
            .exercises
            .list_exercises(pb::ListExercisesRequest {
                workout_id: workout.id.clone(),
                page_size: 60,
                page_token,
                ..Default::default()
            })
            .await
            .expect("a page")
            .into_inner();
        listed.extend(page.exercises.into_iter().map(|e| e.id));
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    listed.sort();
    created.sort();
    assert_eq!(listed, created);
    stack.stop().await;
}

async fn a_workout_within_the_cap_includes_every_exercise_and_is_not_truncated(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let workout = ada.create_workout("Legs", "2026-11-24").await;
    ada.create_exercise("Squat", Some(10), &[&workout.id]).await;
    ada.create_exercise("Lunge", None, &[&workout.id]).await;
    let answer = with_exercises(&mut ada, &workout.id).await;
    let names: Vec<&str> = answer.exercises.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["Squat", "Lunge"]);
    assert!(!answer.exercises_truncated);
    let detail = ada.get_with_entries(&workout.id).await;
    assert_eq!(detail.entries.len(), 2);
    assert!(!detail.entries_truncated);
    assert!(
        answer
            .exercises
            .iter()
            .all(|e| e.workout_ids == [workout.id.clone()])
    );
    stack.stop().await;
}

backend_tests!(
    a_workout_with_more_exercises_than_the_cap_includes_the_oldest_and_says_it_left_some_out,
    a_workout_within_the_cap_includes_every_exercise_and_is_not_truncated,
);
