//! The invariant every write keeps: a user's totals equal the counts and sums of their rows
//! (and each workout's counters those of its links), even under concurrent writes from several
//! users.

use rand_like::Lcg;
use shared::pb::fitness::v1 as pb;
use testkit::{Backend, backend_tests};
use tonic::Code;

use crate::helpers::{Stack, User, exercise};

/// A tiny deterministic generator, so a failing run can be replayed.
mod rand_like {
    pub struct Lcg(pub u64);
    impl Lcg {
        pub fn below(&mut self, n: usize) -> usize {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((self.0 >> 33) as usize) % n.max(1)
        }
    }
}

/// Checks, in SQL on the fitness database and through GetMyStats, that every total equals
/// the counts and sums of the rows.
async fn assert_invariant(stack: &Stack, user: &mut User) {
    let pool = stack.fitness.db.pool();
    let (workouts, exercises, minutes): (i64, i64, i64) = sqlx::query_as(
        "SELECT total_workouts, total_exercises, total_duration_minutes FROM stats WHERE user_id = $1",
    )
    .bind(&user.id)
    .fetch_one(pool)
    .await
    .unwrap();
    let (row_workouts, row_exercises, row_minutes): (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM workouts WHERE user_id = $1), \
                (SELECT COUNT(*) FROM exercises WHERE user_id = $1), \
                (SELECT CAST(COALESCE(SUM(duration_minutes), 0) AS BIGINT) FROM exercises WHERE user_id = $1)",
    )
    .bind(&user.id)
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(
        (workouts, exercises, minutes),
        (row_workouts, row_exercises, row_minutes)
    );
    let api = user.my_stats().await;
    assert_eq!(
        (
            api.total_workouts,
            api.total_exercises,
            api.total_duration_minutes
        ),
        (row_workouts, row_exercises, row_minutes)
    );
    let mismatched: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM workouts w WHERE w.user_id = $1 AND ( \
           w.exercise_count <> (SELECT COUNT(*) FROM workout_exercises l WHERE l.workout_id = w.id) \
           OR w.total_duration_minutes <> (SELECT CAST(COALESCE(SUM(e.duration_minutes), 0) AS BIGINT) \
              FROM workout_exercises l JOIN exercises e ON e.id = l.exercise_id WHERE l.workout_id = w.id))",
    )
    .bind(&user.id)
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(mismatched, 0, "workout counters match their links");
}

/// One random write by `user`; failures a concurrent delete can cause (NOT_FOUND, or a
/// workout that vanished before it could be linked) are part of the game.
async fn random_write(user: &mut User, rng: &mut Lcg, workouts: &[String], exercises: &[String]) {
    let pick = |rng: &mut Lcg, from: &[String]| from[rng.below(from.len())].clone();
    let some_workouts = |rng: &mut Lcg| -> Vec<String> {
        let mut ids: Vec<String> = (0..rng.below(3)).map(|_| pick(rng, workouts)).collect();
        ids.sort();
        ids.dedup();
        ids
    };
    let result = match rng.below(6) {
        0 => user
            .workouts
            .create_workout(pb::CreateWorkoutRequest {
                workout: Some(crate::helpers::workout(
                    "W",
                    "2026-01-01",
                    pb::WorkoutType::Cardio,
                )),
                request_id: String::new(),
            })
            .await
            .map(drop),
        1 | 2 => {
            let ids = some_workouts(rng);
            let duration = (rng.below(4) > 0).then(|| rng.below(120) as i32);
            user.exercises
                .create_exercise(pb::CreateExerciseRequest {
                    exercise: Some(pb::Exercise {
                        workout_ids: ids,
                        ..exercise("E", duration, &[])
                    }),
                    request_id: String::new(),
                })
                .await
                .map(drop)
        }
        3 => {
            let ids = some_workouts(rng);
            user.exercises
                .update_exercise(pb::UpdateExerciseRequest {
                    exercise: Some(pb::Exercise {
                        id: pick(rng, exercises),
                        duration_minutes: Some(rng.below(200) as i32),
                        workout_ids: ids,
                        ..Default::default()
                    }),
                    update_mask: Some(prost_types::FieldMask {
                        paths: vec!["duration_minutes".into(), "workout_ids".into()],
                    }),
                })
                .await
                .map(drop)
        }
        4 => user
            .exercises
            .delete_exercise(pb::DeleteExerciseRequest {
                id: pick(rng, exercises),
            })
            .await
            .map(drop),
        _ => user
            .workouts
            .delete_workout(pb::DeleteWorkoutRequest {
                id: pick(rng, workouts),
            })
            .await
            .map(drop),
    };
    if let Err(status) = result {
        assert!(
            matches!(status.code(), Code::NotFound | Code::InvalidArgument),
            "unexpected failure: {status:?}"
        );
    }
}

async fn totals_equal_rows_after_200_concurrent_writes_from_several_users(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut users = Vec::new();
    for name in ["ada", "bob", "cat", "dan"] {
        users.push(stack.user(name).await);
    }
    // Each user starts with a few workouts and exercises to update and delete.
    let mut seeds = Vec::new();
    for user in &mut users {
        let mut workouts = Vec::new();
        for i in 0..6 {
            workouts.push(
                user.create_workout(&format!("Seed {i}"), "2026-01-01")
                    .await
                    .id,
            );
        }
        let mut exercises = Vec::new();
        for i in 0..6 {
            let w = workouts[i % workouts.len()].clone();
            exercises.push(
                user.create_exercise("Seed", Some(10 * i as i32), &[&w])
                    .await
                    .id,
            );
        }
        seeds.push((workouts, exercises));
    }
    // 200 writes: 4 users × 10 concurrent workers × 5 writes each.
    let mut tasks = Vec::new();
    for (u, user) in users.iter().enumerate() {
        for worker in 0..10u64 {
            let mut user = user.clone_clients();
            let (workouts, exercises) = seeds[u].clone();
            tasks.push(tokio::spawn(async move {
                let mut rng = Lcg(u as u64 * 1000 + worker);
                for _ in 0..5 {
                    random_write(&mut user, &mut rng, &workouts, &exercises).await;
                }
            }));
        }
    }
    assert_eq!(tasks.len() * 5, 200);
    for task in tasks {
        task.await.unwrap();
    }
    for user in &mut users {
        assert_invariant(&stack, user).await;
    }
    stack.stop().await;
}

backend_tests!(totals_equal_rows_after_200_concurrent_writes_from_several_users);
