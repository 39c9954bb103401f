//! Entries and sets: ReplaceWorkoutEntries, validation per tracking mode, reading them back,
//! and every derived value kept in the same transaction.

mod derived;
mod guards;
mod round_trip;
mod times;
mod validation;

use shared::pb::fitness::v1 as pb;

use crate::helpers::User;

/// The set sums the database holds for `user_id`: (workout row sums, stats totals, weekly
/// summaries), each as (sets, reps, volume_g, distance_mm, set_seconds).
pub async fn sums(stack: &crate::helpers::Stack, user_id: &str) -> [(i64, i64, i64, i64, i64); 3] {
    let pool = stack.fitness.db.pool();
    let workouts = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(set_count), 0) AS BIGINT), \
         CAST(COALESCE(SUM(total_reps), 0) AS BIGINT), CAST(COALESCE(SUM(volume_g), 0) AS BIGINT), \
         CAST(COALESCE(SUM(distance_mm), 0) AS BIGINT), \
         CAST(COALESCE(SUM(set_seconds), 0) AS BIGINT) FROM workouts WHERE user_id = $1",
    )
    .bind(user_id)
    .fetch_one(pool)
    .await
    .unwrap();
    let stats = sqlx::query_as(
        "SELECT total_sets, total_reps, total_volume_g, total_distance_mm, total_set_seconds \
         FROM stats WHERE user_id = $1",
    )
    .bind(user_id)
    .fetch_optional(pool)
    .await
    .unwrap()
    .unwrap_or_default();
    let weeks = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(sets), 0) AS BIGINT), CAST(COALESCE(SUM(reps), 0) AS BIGINT), \
         CAST(COALESCE(SUM(volume_g), 0) AS BIGINT), \
         CAST(COALESCE(SUM(distance_mm), 0) AS BIGINT), \
         CAST(COALESCE(SUM(set_seconds), 0) AS BIGINT) FROM weekly_summaries WHERE user_id = $1",
    )
    .bind(user_id)
    .fetch_one(pool)
    .await
    .unwrap();
    [workouts, stats, weeks]
}

/// A workout on 2026-03-04 (a Wednesday) and two weight × reps exercises of `user`.
pub async fn workout_and_two_lifts(user: &mut User) -> (pb::Workout, pb::Exercise, pb::Exercise) {
    let workout = user.create_workout("Push", "2026-03-04").await;
    let bench = user
        .create_exercise_in_mode("Bench", pb::TrackingMode::WeightReps)
        .await;
    let squat = user
        .create_exercise_in_mode("Squat", pb::TrackingMode::WeightReps)
        .await;
    (workout, bench, squat)
}

/// The sums of `user_id`'s sets recomputed from the `sets` rows: (sets, reps, volume_g,
/// distance_mm, set_seconds).
pub async fn from_rows(stack: &crate::helpers::Stack, user_id: &str) -> (i64, i64, i64, i64, i64) {
    sqlx::query_as(
        "SELECT COUNT(*), CAST(COALESCE(SUM(s.reps), 0) AS BIGINT), \
         CAST(COALESCE(SUM(CASE WHEN e.tracking_mode IN ('WEIGHT_REPS', 'BODYWEIGHT') \
              THEN COALESCE(s.weight_g, 0) * COALESCE(s.reps, 0) ELSE 0 END), 0) AS BIGINT), \
         CAST(COALESCE(SUM(s.distance_mm), 0) AS BIGINT), \
         CAST(COALESCE(SUM(s.duration_s), 0) AS BIGINT) \
         FROM sets s JOIN exercises e ON e.id = s.exercise_id WHERE s.user_id = $1",
    )
    .bind(user_id)
    .fetch_one(stack.fitness.db.pool())
    .await
    .unwrap()
}

/// Asserts that the workout rows, the user's totals and the weekly summaries all hold the
/// sums of the user's sets, and returns them.
pub async fn assert_sums_match_rows(
    stack: &crate::helpers::Stack,
    user_id: &str,
) -> (i64, i64, i64, i64, i64) {
    let rows = from_rows(stack, user_id).await;
    let [workouts, totals, weeks] = sums(stack, user_id).await;
    assert_eq!(workouts, rows, "workout rows");
    assert_eq!(totals, rows, "user totals");
    assert_eq!(weeks, rows, "weekly summaries");
    rows
}
