//! An exercise's links to workouts, and the counters (exercise count, total minutes) they
//! drive through creation, updates and deletion.

use shared::pb::fitness::v1 as pb;
use testkit::{Backend, backend_tests};
use tonic::Code;

use super::mask;
use crate::helpers::{Stack, User, assert_code};

/// A workout's (exercise count, total minutes).
async fn counters(ada: &mut User, id: &str) -> (i32, i32) {
    let w = ada.get_workout(id).await;
    (w.exercise_count, w.total_duration_minutes)
}

/// Ada's workouts "Legs" (`w1`) and "Core" (`w2`), and "Squat", 30 minutes, linked to both.
struct Linked {
    stack: Stack,
    ada: User,
    w1: String,
    w2: String,
    squat: pb::Exercise,
}

async fn linked(backend: Backend) -> Linked {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let w1 = ada.create_workout("Legs", "2026-11-24").await.id;
    let w2 = ada.create_workout("Core", "2026-11-25").await.id;
    let squat = ada.create_exercise("Squat", Some(30), &[&w2, &w1]).await;
    Linked {
        stack,
        ada,
        w1,
        w2,
        squat,
    }
}

impl Linked {
    /// Adds "Plank", without a duration, to `w2`.
    async fn plank(&mut self) -> pb::Exercise {
        let w2 = self.w2.clone();
        self.ada.create_exercise("Plank", None, &[&w2]).await
    }

    /// Updates Squat with `exercise` (its id set) under a mask of `paths`.
    async fn update_squat(&mut self, exercise: pb::Exercise, paths: &[&str]) -> pb::Exercise {
        self.ada
            .exercises
            .update_exercise(pb::UpdateExerciseRequest {
                exercise: Some(pb::Exercise {
                    id: self.squat.id.clone(),
                    ..exercise
                }),
                update_mask: mask(paths),
            })
            .await
            .unwrap()
            .into_inner()
    }
}

async fn creating_an_exercise_counts_it_in_every_linked_workout(backend: Backend) {
    let Linked {
        stack,
        mut ada,
        w1,
        w2,
        squat,
    } = linked(backend).await;
    let mut sorted = vec![w1.clone(), w2.clone()];
    sorted.sort();
    assert_eq!(squat.workout_ids, sorted);
    assert_eq!(squat.duration_minutes, Some(30));
    assert_eq!(counters(&mut ada, &w1).await, (1, 30));
    assert_eq!(counters(&mut ada, &w2).await, (1, 30));
    let fetched = ada
        .exercises
        .get_exercise(pb::GetExerciseRequest {
            id: squat.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(fetched, squat);
    stack.stop().await;
}

async fn an_exercise_without_a_duration_counts_as_zero_minutes(backend: Backend) {
    let mut l = linked(backend).await;
    l.plank().await;
    assert_eq!(counters(&mut l.ada, &l.w2).await, (2, 30));
    l.stack.stop().await;
}

async fn a_duration_change_moves_every_linked_workout(backend: Backend) {
    let mut l = linked(backend).await;
    l.plank().await;
    let updated = l
        .update_squat(
            pb::Exercise {
                duration_minutes: Some(45),
                ..Default::default()
            },
            &["duration_minutes"],
        )
        .await;
    assert_eq!(updated.duration_minutes, Some(45));
    assert_eq!(updated.name, "Squat");
    assert_eq!(counters(&mut l.ada, &l.w1).await, (1, 45));
    assert_eq!(counters(&mut l.ada, &l.w2).await, (2, 45));
    l.stack.stop().await;
}

async fn relinking_without_a_mask_replaces_every_link(backend: Backend) {
    let mut l = linked(backend).await;
    l.plank().await;
    let relinked = l
        .ada
        .exercises
        .update_exercise(pb::UpdateExerciseRequest {
            exercise: Some(pb::Exercise {
                id: l.squat.id.clone(),
                name: "Back squat".into(),
                workout_ids: vec![l.w2.clone()],
                ..Default::default()
            }),
            update_mask: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(relinked.name, "Back squat");
    assert_eq!(relinked.workout_ids, vec![l.w2.clone()]);
    assert_eq!(
        relinked.duration_minutes,
        Some(30),
        "not in the populated fields"
    );
    assert_eq!(counters(&mut l.ada, &l.w1).await, (0, 0));
    assert_eq!(counters(&mut l.ada, &l.w2).await, (2, 30));
    l.stack.stop().await;
}

async fn moving_links_and_duration_at_once_moves_both_workouts_counters(backend: Backend) {
    let mut l = linked(backend).await;
    l.plank().await;
    l.update_squat(
        pb::Exercise {
            duration_minutes: Some(10),
            workout_ids: vec![l.w1.clone()],
            ..Default::default()
        },
        &["duration_minutes", "workout_ids"],
    )
    .await;
    assert_eq!(counters(&mut l.ada, &l.w1).await, (1, 10));
    assert_eq!(counters(&mut l.ada, &l.w2).await, (1, 0));
    l.stack.stop().await;
}

async fn a_mask_naming_unset_fields_clears_the_duration_and_unlinks(backend: Backend) {
    let mut l = linked(backend).await;
    let cleared = l
        .update_squat(
            pb::Exercise::default(),
            &["duration_minutes", "workout_ids", "description"],
        )
        .await;
    assert_eq!(cleared.duration_minutes, None);
    assert!(cleared.workout_ids.is_empty());
    assert_eq!(counters(&mut l.ada, &l.w1).await, (0, 0));
    l.stack.stop().await;
}

async fn deleting_a_workout_unlinks_its_exercises_and_keeps_them(backend: Backend) {
    let mut l = linked(backend).await;
    let plank = l.plank().await;
    l.ada
        .workouts
        .delete_workout(pb::DeleteWorkoutRequest { id: l.w2.clone() })
        .await
        .unwrap();
    let plank_now = l
        .ada
        .exercises
        .get_exercise(pb::GetExerciseRequest { id: plank.id })
        .await
        .unwrap()
        .into_inner();
    assert!(plank_now.workout_ids.is_empty());
    l.stack.stop().await;
}

async fn deleting_an_exercise_takes_it_out_of_its_workouts_and_the_stats(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let w1 = ada.create_workout("Legs", "2026-11-24").await.id;
    let plank = ada.create_exercise("Plank", Some(5), &[&w1]).await;
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
        (1, 0, 0)
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
            include_entries: false,
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
            include_entries: false,
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

backend_tests!(
    creating_an_exercise_counts_it_in_every_linked_workout,
    an_exercise_without_a_duration_counts_as_zero_minutes,
    a_duration_change_moves_every_linked_workout,
    relinking_without_a_mask_replaces_every_link,
    moving_links_and_duration_at_once_moves_both_workouts_counters,
    a_mask_naming_unset_fields_clears_the_duration_and_unlinks,
    deleting_a_workout_unlinks_its_exercises_and_keeps_them,
    deleting_an_exercise_takes_it_out_of_its_workouts_and_the_stats,
    a_workout_comes_with_its_exercises_oldest_first_when_asked,
);
