//! The invariant every write keeps: a user's totals equal the counts and sums of their rows,
//! each workout's counters those of its links and its sums those of its sets, each weekly
//! summary the sums of its week's workouts and sets, and each personal record the best set of
//! its exercise, even under concurrent writes from several users.

use rand_like::Lcg;
use shared::pb::fitness::v1 as pb;
use testkit::{Backend, backend_tests};
use tonic::Code;

use std::collections::BTreeMap;

use crate::helpers::{Stack, User, entry, exercise, weighted_set};

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
    assert_set_sums(stack, user).await;
    crate::records::assert_records_match(stack, user).await;
}

/// A set's volume in SQL over `sets s JOIN exercises e`.
const VOLUME: &str = "CASE WHEN e.tracking_mode IN ('WEIGHT_REPS', 'BODYWEIGHT') \
     THEN COALESCE(s.weight_g, 0) * COALESCE(s.reps, 0) ELSE 0 END";

/// Sums of sets: (sets, reps, volume_g, distance_mm, set_seconds).
type SetSums = (i64, i64, i64, i64, i64);

/// Checks that each workout's set sums, the user's set totals and every weekly summary equal
/// sums recomputed from the `sets` rows (and the workouts' dates), and that each set carries
/// its workout's date.
async fn assert_set_sums(stack: &Stack, user: &mut User) {
    let pool = stack.fitness.db.pool();
    // Per workout, from the rows.
    let per_workout: Vec<(String, String, i64, i64, i64, i64, i64)> = sqlx::query_as(&format!(
        "SELECT w.id, w.workout_date, \
         (SELECT COUNT(*) FROM sets s WHERE s.workout_id = w.id), \
         (SELECT CAST(COALESCE(SUM(s.reps), 0) AS BIGINT) FROM sets s WHERE s.workout_id = w.id), \
         (SELECT CAST(COALESCE(SUM({VOLUME}), 0) AS BIGINT) FROM sets s \
            JOIN exercises e ON e.id = s.exercise_id WHERE s.workout_id = w.id), \
         (SELECT CAST(COALESCE(SUM(s.distance_mm), 0) AS BIGINT) FROM sets s \
            WHERE s.workout_id = w.id), \
         (SELECT CAST(COALESCE(SUM(s.duration_s), 0) AS BIGINT) FROM sets s \
            WHERE s.workout_id = w.id) \
         FROM workouts w WHERE w.user_id = $1 ORDER BY w.id"
    ))
    .bind(&user.id)
    .fetch_all(pool)
    .await
    .unwrap();
    let stored: Vec<(String, i64, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT id, set_count, total_reps, volume_g, distance_mm, set_seconds FROM workouts \
         WHERE user_id = $1 ORDER BY id",
    )
    .bind(&user.id)
    .fetch_all(pool)
    .await
    .unwrap();
    let recomputed: Vec<(String, i64, i64, i64, i64, i64)> = per_workout
        .iter()
        .map(|(id, _, a, b, c, d, e)| (id.clone(), *a, *b, *c, *d, *e))
        .collect();
    assert_eq!(
        stored, recomputed,
        "each workout's sums are those of its sets"
    );
    let misdated: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM sets s JOIN workouts w ON w.id = s.workout_id \
         WHERE s.user_id = $1 AND s.workout_date <> w.workout_date",
    )
    .bind(&user.id)
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(misdated, 0, "every set carries its workout's date");
    // Per user.
    let mut total: SetSums = (0, 0, 0, 0, 0);
    let mut weeks: BTreeMap<String, (i64, SetSums)> = BTreeMap::new();
    for (_, date, a, b, c, d, e) in &per_workout {
        total = (
            total.0 + a,
            total.1 + b,
            total.2 + c,
            total.3 + d,
            total.4 + e,
        );
        let week = weeks.entry(monday(date)).or_default();
        week.0 += 1;
        let s = &mut week.1;
        *s = (s.0 + a, s.1 + b, s.2 + c, s.3 + d, s.4 + e);
    }
    let totals: SetSums = sqlx::query_as(
        "SELECT total_sets, total_reps, total_volume_g, total_distance_mm, total_set_seconds \
         FROM stats WHERE user_id = $1",
    )
    .bind(&user.id)
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(
        totals, total,
        "the user's set totals are the sums of their sets"
    );
    let api = user.my_stats().await;
    assert_eq!((api.total_sets, api.total_reps), (total.0, total.1));
    assert_eq!(api.total_volume_kg, total.2 as f64 / 1000.0);
    // Per week.
    let rows: Vec<(String, i64, i64, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT week_start, workouts, sets, reps, volume_g, distance_mm, set_seconds \
         FROM weekly_summaries WHERE user_id = $1 ORDER BY week_start",
    )
    .bind(&user.id)
    .fetch_all(pool)
    .await
    .unwrap();
    let stored: BTreeMap<String, (i64, SetSums)> = rows
        .into_iter()
        .map(|(week, w, a, b, c, d, e)| (week, (w, (a, b, c, d, e))))
        .collect();
    assert_eq!(
        stored, weeks,
        "each week's summary is the sums of its workouts"
    );
}

/// The Monday of the ISO week of `date` (YYYY-MM-DD).
fn monday(date: &str) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let day = time::Date::parse(date, format).unwrap();
    let monday = day - time::Duration::days(i64::from(day.weekday().number_days_from_monday()));
    monday.format(format).unwrap()
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
    let result = match rng.below(9) {
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
        5 => user
            .workouts
            .delete_workout(pb::DeleteWorkoutRequest {
                id: pick(rng, workouts),
            })
            .await
            .map(drop),
        6 | 7 => {
            let mut ids: Vec<String> = (0..rng.below(4)).map(|_| pick(rng, exercises)).collect();
            ids.sort();
            ids.dedup();
            let entries = ids
                .iter()
                .map(|id| {
                    let sets = (0..rng.below(4))
                        .map(|_| weighted_set(rng.below(2000) as f64 / 8.0, rng.below(12) as i32))
                        .collect();
                    entry(id, sets)
                })
                .collect();
            user.workouts
                .replace_workout_entries(pb::ReplaceWorkoutEntriesRequest {
                    workout_id: pick(rng, workouts),
                    entries,
                    etag: String::new(),
                    request_id: String::new(),
                })
                .await
                .map(drop)
        }
        _ => {
            let date = ["2026-01-01", "2026-01-04", "2026-01-05", "2026-02-11"][rng.below(4)];
            user.workouts
                .update_workout(pb::UpdateWorkoutRequest {
                    workout: Some(pb::Workout {
                        id: pick(rng, workouts),
                        date: date.into(),
                        ..Default::default()
                    }),
                    update_mask: Some(prost_types::FieldMask {
                        paths: vec!["date".into()],
                    }),
                })
                .await
                .map(drop)
        }
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
    let sets: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sets")
        .fetch_one(stack.fitness.db.pool())
        .await
        .unwrap();
    assert!(sets > 0, "some replaces wrote sets that survived");
    for user in &mut users {
        assert_invariant(&stack, user).await;
    }
    stack.stop().await;
}

backend_tests!(totals_equal_rows_after_200_concurrent_writes_from_several_users);
