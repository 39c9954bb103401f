//! ExerciseService: CRUD, links to workouts and the counters they drive, filters, pagination
//! and validation.

use prost_types::FieldMask;
use shared::pb::fitness::v1 as pb;
use testkit::{Backend, backend_tests};
use tonic::Code;

use crate::helpers::{Stack, assert_bad, assert_code, exercise};

fn mask(paths: &[&str]) -> Option<FieldMask> {
    Some(FieldMask {
        paths: paths.iter().map(|p| p.to_string()).collect(),
    })
}

async fn counters(ada: &mut crate::helpers::User, id: &str) -> (i32, i32) {
    let w = ada.get_workout(id).await;
    (w.exercise_count, w.total_duration_minutes)
}

async fn an_exercise_moves_its_workouts_counters_through_its_whole_life(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let w1 = ada.create_workout("Legs", "2026-11-24").await.id;
    let w2 = ada.create_workout("Core", "2026-11-25").await.id;

    let created = ada.create_exercise("Squat", Some(30), &[&w2, &w1]).await;
    let mut sorted = vec![w1.clone(), w2.clone()];
    sorted.sort();
    assert_eq!(created.workout_ids, sorted);
    assert_eq!(created.duration_minutes, Some(30));
    assert_eq!(counters(&mut ada, &w1).await, (1, 30));
    assert_eq!(counters(&mut ada, &w2).await, (1, 30));
    let fetched = ada
        .exercises
        .get_exercise(pb::GetExerciseRequest {
            id: created.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(fetched, created);

    // A second exercise without a duration counts as zero minutes.
    let plank = ada.create_exercise("Plank", None, &[&w2]).await;
    assert_eq!(counters(&mut ada, &w2).await, (2, 30));

    // Duration change moves every linked workout.
    let update = |exercise: pb::Exercise, paths: &[&str]| pb::UpdateExerciseRequest {
        exercise: Some(exercise),
        update_mask: mask(paths),
    };
    let updated = ada
        .exercises
        .update_exercise(update(
            pb::Exercise {
                id: created.id.clone(),
                duration_minutes: Some(45),
                ..Default::default()
            },
            &["duration_minutes"],
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(updated.duration_minutes, Some(45));
    assert_eq!(updated.name, "Squat");
    assert_eq!(counters(&mut ada, &w1).await, (1, 45));
    assert_eq!(counters(&mut ada, &w2).await, (2, 45));

    // Re-linking replaces every link (no mask: the populated fields).
    let relinked = ada
        .exercises
        .update_exercise(pb::UpdateExerciseRequest {
            exercise: Some(pb::Exercise {
                id: created.id.clone(),
                name: "Back squat".into(),
                workout_ids: vec![w2.clone()],
                ..Default::default()
            }),
            update_mask: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(relinked.name, "Back squat");
    assert_eq!(relinked.workout_ids, vec![w2.clone()]);
    assert_eq!(
        relinked.duration_minutes,
        Some(45),
        "not in the populated fields"
    );
    assert_eq!(counters(&mut ada, &w1).await, (0, 0));
    assert_eq!(counters(&mut ada, &w2).await, (2, 45));

    // Moving links and duration at once.
    ada.exercises
        .update_exercise(update(
            pb::Exercise {
                id: created.id.clone(),
                duration_minutes: Some(10),
                workout_ids: vec![w1.clone()],
                ..Default::default()
            },
            &["duration_minutes", "workout_ids"],
        ))
        .await
        .unwrap();
    assert_eq!(counters(&mut ada, &w1).await, (1, 10));
    assert_eq!(counters(&mut ada, &w2).await, (1, 0));

    // A mask naming an unset duration clears it; an empty workout_ids in the mask unlinks.
    let cleared = ada
        .exercises
        .update_exercise(update(
            pb::Exercise {
                id: created.id.clone(),
                ..Default::default()
            },
            &["duration_minutes", "workout_ids", "description"],
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(cleared.duration_minutes, None);
    assert!(cleared.workout_ids.is_empty());
    assert_eq!(counters(&mut ada, &w1).await, (0, 0));

    // Deleting a workout unlinks its exercises and keeps them.
    ada.workouts
        .delete_workout(pb::DeleteWorkoutRequest { id: w2.clone() })
        .await
        .unwrap();
    let plank_now = ada
        .exercises
        .get_exercise(pb::GetExerciseRequest {
            id: plank.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(plank_now.workout_ids.is_empty());

    // Deleting an exercise takes it out of its workouts.
    ada.exercises
        .update_exercise(update(
            pb::Exercise {
                id: plank.id.clone(),
                duration_minutes: Some(5),
                workout_ids: vec![w1.clone()],
                ..Default::default()
            },
            &["duration_minutes", "workout_ids"],
        ))
        .await
        .unwrap();
    assert_eq!(counters(&mut ada, &w1).await, (1, 5));
    ada.exercises
        .delete_exercise(pb::DeleteExerciseRequest {
            id: plank.id.clone(),
        })
        .await
        .unwrap();
    assert_eq!(counters(&mut ada, &w1).await, (0, 0));
    assert_code(
        ada.exercises
            .get_exercise(pb::GetExerciseRequest {
                id: plank.id.clone(),
            })
            .await,
        Code::NotFound,
    );
    assert_code(
        ada.exercises
            .delete_exercise(pb::DeleteExerciseRequest { id: plank.id })
            .await,
        Code::NotFound,
    );
    let stats = ada.my_stats().await;
    assert_eq!(
        (
            stats.total_workouts,
            stats.total_exercises,
            stats.total_duration_minutes
        ),
        (1, 1, 0)
    );
    stack.stop().await;
}

async fn a_workout_comes_with_its_exercises_oldest_first_when_asked(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let legs = ada.create_workout("Legs", "2026-11-24").await.id;
    let other = ada.create_workout("Other", "2026-11-23").await.id;
    let squat = ada
        .create_exercise("Squat", Some(20), &[&legs, &other])
        .await;
    let lunge = ada.create_exercise("Lunge", None, &[&legs]).await;
    ada.create_exercise("Unrelated", Some(5), &[&other]).await;

    let plain = ada
        .workouts
        .get_workout(pb::GetWorkoutRequest {
            id: legs.clone(),
            include_exercises: false,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(plain.exercises.is_empty());
    let full = ada
        .workouts
        .get_workout(pb::GetWorkoutRequest {
            id: legs.clone(),
            include_exercises: true,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(full.exercises, vec![squat, lunge]);
    let w = full.workout.unwrap();
    assert_eq!((w.exercise_count, w.total_duration_minutes), (2, 20));
    stack.stop().await;
}

async fn every_invalid_exercise_field_is_named_in_one_bad_request(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let w = ada.create_workout("Legs", "2026-11-24").await.id;
    let create = |e: pb::Exercise| pb::CreateExerciseRequest {
        exercise: Some(e),
        request_id: String::new(),
    };
    let ok = exercise("Squat", Some(10), &[&w]);

    assert_bad(
        ada.exercises
            .create_exercise(create(pb::Exercise {
                name: String::new(),
                description: "d".repeat(10_001),
                duration_minutes: Some(1441),
                workout_ids: vec!["x".into(), w.clone(), w.clone()],
                ..Default::default()
            }))
            .await,
        &[
            "exercise.description",
            "exercise.duration_minutes",
            "exercise.name",
            "exercise.workout_ids[0]",
            "exercise.workout_ids[2]",
        ],
    );
    for (bad, field) in [
        (
            pb::Exercise {
                name: "x".repeat(256),
                ..ok.clone()
            },
            "exercise.name",
        ),
        (
            pb::Exercise {
                duration_minutes: Some(-1),
                ..ok.clone()
            },
            "exercise.duration_minutes",
        ),
        (
            pb::Exercise {
                workout_ids: vec![String::new()],
                ..ok.clone()
            },
            "exercise.workout_ids[0]",
        ),
        (
            pb::Exercise {
                workout_ids: (0..101).map(|_| uuid::Uuid::now_v7().to_string()).collect(),
                ..ok.clone()
            },
            "exercise.workout_ids",
        ),
        // A well-formed id that is not one of the caller's workouts.
        (
            pb::Exercise {
                workout_ids: vec![w.clone(), uuid::Uuid::now_v7().to_string()],
                ..ok.clone()
            },
            "exercise.workout_ids",
        ),
    ] {
        assert_bad(ada.exercises.create_exercise(create(bad)).await, &[field]);
    }
    assert_bad(
        ada.exercises
            .create_exercise(pb::CreateExerciseRequest {
                exercise: None,
                request_id: String::new(),
            })
            .await,
        &["exercise"],
    );
    // Boundaries are accepted.
    for minutes in [0, 1440] {
        ada.exercises
            .create_exercise(create(pb::Exercise {
                duration_minutes: Some(minutes),
                ..ok.clone()
            }))
            .await
            .unwrap();
    }
    // Batches name the item.
    let mut requests: Vec<_> = (0..4).map(|_| create(ok.clone())).collect();
    requests[1].exercise.as_mut().unwrap().name = String::new();
    requests[3].exercise.as_mut().unwrap().duration_minutes = Some(2000);
    assert_bad(
        ada.exercises
            .batch_create_exercises(pb::BatchCreateExercisesRequest {
                requests,
                request_id: String::new(),
            })
            .await,
        &[
            "requests[1].exercise.name",
            "requests[3].exercise.duration_minutes",
        ],
    );
    assert_bad(
        ada.exercises
            .batch_create_exercises(pb::BatchCreateExercisesRequest {
                requests: (0..101).map(|_| create(ok.clone())).collect(),
                request_id: String::new(),
            })
            .await,
        &["requests"],
    );
    // Updates.
    assert_bad(
        ada.exercises
            .update_exercise(pb::UpdateExerciseRequest {
                exercise: Some(pb::Exercise {
                    id: "e".into(),
                    ..Default::default()
                }),
                update_mask: mask(&["name", "workout_id"]),
            })
            .await,
        &["exercise.id", "update_mask"],
    );
    assert_bad(
        ada.exercises
            .update_exercise(pb::UpdateExerciseRequest {
                exercise: Some(pb::Exercise {
                    id: uuid::Uuid::now_v7().to_string(),
                    duration_minutes: Some(-5),
                    ..Default::default()
                }),
                update_mask: mask(&["name", "duration_minutes"]),
            })
            .await,
        &["exercise.duration_minutes", "exercise.name"],
    );
    assert_bad(
        ada.exercises
            .get_exercise(pb::GetExerciseRequest { id: "nope".into() })
            .await,
        &["id"],
    );
    assert_bad(
        ada.exercises
            .delete_exercise(pb::DeleteExerciseRequest { id: "nope".into() })
            .await,
        &["id"],
    );
    // Listing parameters.
    assert_bad(
        ada.exercises
            .list_exercises(pb::ListExercisesRequest {
                page_size: -5,
                workout_id: "w".into(),
                min_duration_minutes: Some(50),
                max_duration_minutes: Some(40),
                ..Default::default()
            })
            .await,
        &["max_duration_minutes", "page_size", "workout_id"],
    );
    assert_bad(
        ada.exercises
            .list_exercises(pb::ListExercisesRequest {
                min_duration_minutes: Some(-1),
                max_duration_minutes: Some(1441),
                name_contains: "n".repeat(256),
                ..Default::default()
            })
            .await,
        &[
            "max_duration_minutes",
            "min_duration_minutes",
            "name_contains",
        ],
    );
    stack.stop().await;
}

fn names(response: &pb::ListExercisesResponse) -> Vec<&str> {
    response.exercises.iter().map(|e| e.name.as_str()).collect()
}

async fn exercises_are_filtered_and_paged_newest_first(backend: Backend) {
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

    let client = ada.exercises.clone();
    let list = move |request: pb::ListExercisesRequest| {
        let mut client = client.clone();
        async move { client.list_exercises(request).await.unwrap().into_inner() }
    };
    let all = list(pb::ListExercisesRequest::default()).await;
    assert_eq!(
        names(&all),
        ["Lunge", "Stretch_", "Front squat", "Plank", "Back Squat"]
    );
    let on_legs = list(pb::ListExercisesRequest {
        workout_id: legs.clone(),
        ..Default::default()
    })
    .await;
    assert_eq!(names(&on_legs), ["Lunge", "Front squat", "Back Squat"]);
    let squats = list(pb::ListExercisesRequest {
        name_contains: "SQUAT".into(),
        ..Default::default()
    })
    .await;
    assert_eq!(names(&squats), ["Front squat", "Back Squat"]);
    let underscore = list(pb::ListExercisesRequest {
        name_contains: "_".into(),
        ..Default::default()
    })
    .await;
    assert_eq!(names(&underscore), ["Stretch_"]);
    // Duration bounds are inclusive; exercises without a duration never match a bound.
    let mid = list(pb::ListExercisesRequest {
        min_duration_minutes: Some(5),
        max_duration_minutes: Some(30),
        ..Default::default()
    })
    .await;
    assert_eq!(names(&mid), ["Lunge", "Plank", "Back Squat"]);
    let long = list(pb::ListExercisesRequest {
        min_duration_minutes: Some(31),
        ..Default::default()
    })
    .await;
    assert_eq!(names(&long), ["Stretch_"]);
    let short = list(pb::ListExercisesRequest {
        max_duration_minutes: Some(0),
        ..Default::default()
    })
    .await;
    assert!(short.exercises.is_empty());
    let combined = list(pb::ListExercisesRequest {
        workout_id: legs.clone(),
        name_contains: "squat".into(),
        min_duration_minutes: Some(1),
        ..Default::default()
    })
    .await;
    assert_eq!(names(&combined), ["Back Squat"]);
    // Links come back with each exercise.
    let front = all
        .exercises
        .iter()
        .find(|e| e.name == "Front squat")
        .unwrap();
    let mut both = vec![legs.clone(), core.clone()];
    both.sort();
    assert_eq!(front.workout_ids, both);

    // Pages of two: 2 + 2 + 1, each row once.
    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let page = list(pb::ListExercisesRequest {
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
    // A token is refused with other filters.
    let first = list(pb::ListExercisesRequest {
        page_size: 1,
        workout_id: legs.clone(),
        ..Default::default()
    })
    .await;
    assert_bad(
        ada.exercises
            .list_exercises(pb::ListExercisesRequest {
                page_size: 1,
                workout_id: core.clone(),
                page_token: first.next_page_token.clone(),
                ..Default::default()
            })
            .await,
        &["page_token"],
    );
    assert_bad(
        ada.exercises
            .list_exercises(pb::ListExercisesRequest {
                page_size: 1,
                workout_id: legs.clone(),
                min_duration_minutes: Some(0),
                page_token: first.next_page_token,
                ..Default::default()
            })
            .await,
        &["page_token"],
    );
    stack.stop().await;
}

backend_tests!(
    an_exercise_moves_its_workouts_counters_through_its_whole_life,
    a_workout_comes_with_its_exercises_oldest_first_when_asked,
    every_invalid_exercise_field_is_named_in_one_bad_request,
    exercises_are_filtered_and_paged_newest_first,
);
