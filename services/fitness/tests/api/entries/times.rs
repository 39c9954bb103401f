//! A workout's start, end and zone: the date derived from the start in its zone, the end's
//! bounds, the elapsed time, and a date change moving the sets and the weekly sums.

use shared::pb::fitness::v1 as pb;
use testkit::{Backend, backend_tests};

use super::assert_sums_match_rows;
use crate::helpers::{Stack, assert_bad, entry, weighted_set, workout};

/// 2026-03-01T23:30:00Z in microseconds' seconds.
const LATE_SUNDAY_UTC: i64 = 1_772_407_800;

fn at(seconds: i64) -> Option<prost_types::Timestamp> {
    Some(prost_types::Timestamp { seconds, nanos: 0 })
}

async fn an_empty_date_is_the_starts_date_in_the_workouts_zone(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let created = ada
        .workouts
        .create_workout(pb::CreateWorkoutRequest {
            workout: Some(pb::Workout {
                started_at: at(LATE_SUNDAY_UTC),
                ended_at: at(LATE_SUNDAY_UTC + 3600 + 5),
                time_zone: "Europe/Berlin".into(),
                ..workout("Late", "", pb::WorkoutType::Strength)
            }),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(created.date, "2026-03-02", "already Monday in Berlin");
    assert_eq!(created.time_zone, "Europe/Berlin");
    assert_eq!(created.elapsed_seconds, 3605);
    assert_eq!(created.started_at, at(LATE_SUNDAY_UTC));
    assert_eq!(ada.get_workout(&created.id).await, created);
    let utc = ada
        .workouts
        .create_workout(pb::CreateWorkoutRequest {
            workout: Some(pb::Workout {
                started_at: at(LATE_SUNDAY_UTC),
                ..workout("Late", "", pb::WorkoutType::Strength)
            }),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (utc.date.as_str(), utc.time_zone.as_str()),
        ("2026-03-01", "UTC")
    );
    assert_eq!(utc.elapsed_seconds, 0);
    let weeks: Vec<(String, i64)> = sqlx::query_as(
        "SELECT week_start, workouts FROM weekly_summaries WHERE user_id = $1 ORDER BY week_start",
    )
    .bind(&ada.id)
    .fetch_all(stack.fitness.db.pool())
    .await
    .unwrap();
    assert_eq!(
        weeks,
        [("2026-02-23".to_owned(), 1), ("2026-03-02".to_owned(), 1)],
        "each counts in its own zone's week"
    );
    stack.stop().await;
}

async fn bad_times_and_zones_are_named_at_once(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let create = |w: pb::Workout| pb::CreateWorkoutRequest {
        workout: Some(w),
        request_id: String::new(),
    };
    let base = workout("W", "", pb::WorkoutType::Strength);
    assert_bad(
        ada.workouts
            .create_workout(create(pb::Workout {
                time_zone: "Mars/Olympus".into(),
                ended_at: at(LATE_SUNDAY_UTC),
                ..base.clone()
            }))
            .await,
        &["workout.time_zone", "workout.ended_at"],
    );
    assert_bad(
        ada.workouts
            .create_workout(create(pb::Workout {
                started_at: at(LATE_SUNDAY_UTC),
                ended_at: at(LATE_SUNDAY_UTC - 1),
                ..base.clone()
            }))
            .await,
        &["workout.ended_at"],
    );
    assert_bad(
        ada.workouts
            .create_workout(create(pb::Workout {
                started_at: at(LATE_SUNDAY_UTC),
                ended_at: at(LATE_SUNDAY_UTC + 24 * 3600 + 1),
                ..base.clone()
            }))
            .await,
        &["workout.ended_at"],
    );
    assert_bad(
        ada.workouts
            .create_workout(create(pb::Workout {
                started_at: Some(prost_types::Timestamp {
                    seconds: i64::MAX,
                    nanos: 0,
                }),
                ..base.clone()
            }))
            .await,
        &["workout.started_at"],
    );
    assert_bad(
        ada.workouts.create_workout(create(base.clone())).await,
        &["workout.date"],
    );
    stack.stop().await;
}

async fn updating_the_start_moves_the_date_its_sets_and_the_weekly_sums(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let (w, bench, _) = super::workout_and_two_lifts(&mut ada).await;
    ada.replace_entries(&w.id, vec![entry(&bench.id, vec![weighted_set(100.0, 5)])])
        .await;
    let update = |w: pb::Workout, paths: &[&str]| pb::UpdateWorkoutRequest {
        workout: Some(w),
        update_mask: Some(prost_types::FieldMask {
            paths: paths.iter().map(|p| p.to_string()).collect(),
        }),
    };
    let moved = ada
        .workouts
        .update_workout(update(
            pb::Workout {
                id: w.id.clone(),
                started_at: at(LATE_SUNDAY_UTC),
                time_zone: "Europe/Berlin".into(),
                ..Default::default()
            },
            &["started_at", "time_zone"],
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(moved.date, "2026-03-02");
    let dates: Vec<String> =
        sqlx::query_scalar("SELECT workout_date FROM sets WHERE workout_id = $1")
            .bind(&w.id)
            .fetch_all(stack.fitness.db.pool())
            .await
            .unwrap();
    assert_eq!(dates, ["2026-03-02"]);
    assert_sums_match_rows(&stack, &ada.id).await;
    // An explicit date to another week moves the sums there.
    ada.workouts
        .update_workout(update(
            pb::Workout {
                id: w.id.clone(),
                date: "2026-04-15".into(),
                ..Default::default()
            },
            &["date"],
        ))
        .await
        .unwrap();
    assert_sums_match_rows(&stack, &ada.id).await;
    let weeks: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT week_start, workouts, sets FROM weekly_summaries WHERE user_id = $1",
    )
    .bind(&ada.id)
    .fetch_all(stack.fitness.db.pool())
    .await
    .unwrap();
    assert_eq!(weeks, [("2026-04-13".to_owned(), 1, 1)]);
    // An end before the stored start is refused; clearing both is fine.
    assert_bad(
        ada.workouts
            .update_workout(update(
                pb::Workout {
                    id: w.id.clone(),
                    ended_at: at(LATE_SUNDAY_UTC - 60),
                    ..Default::default()
                },
                &["ended_at"],
            ))
            .await,
        &["workout.ended_at"],
    );
    let cleared = ada
        .workouts
        .update_workout(update(
            pb::Workout {
                id: w.id.clone(),
                ..Default::default()
            },
            &["started_at", "ended_at"],
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (cleared.started_at, cleared.date.as_str()),
        (None, "2026-04-15")
    );
    stack.stop().await;
}

backend_tests!(
    an_empty_date_is_the_starts_date_in_the_workouts_zone,
    bad_times_and_zones_are_named_at_once,
    updating_the_start_moves_the_date_its_sets_and_the_weekly_sums,
);
