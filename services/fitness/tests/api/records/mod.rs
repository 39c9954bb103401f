//! Personal records, exercise history and weekly summaries, written through
//! ReplaceWorkoutEntries and the workout and exercise RPCs, read through their listings and
//! checked against a recomputation from the `sets` rows.

mod history;
mod kinds;
mod listing;
mod recompute;
mod weekly;

use std::collections::BTreeMap;

use shared::pb::fitness::v1 as pb;

use crate::helpers::{Stack, User, weighted_set};

/// A warm-up set of `reps` at `kg` kilograms.
pub fn warmup_set(kg: f64, reps: i32) -> pb::WorkoutSet {
    pb::WorkoutSet {
        set_type: pb::SetType::Warmup as i32,
        ..weighted_set(kg, reps)
    }
}

/// Creates an exercise tracked in `mode`, linked to nothing.
pub async fn exercise(user: &mut User, name: &str, mode: pb::TrackingMode) -> String {
    user.exercises
        .create_exercise(pb::CreateExerciseRequest {
            exercise: Some(pb::Exercise {
                name: name.to_owned(),
                tracking_mode: mode as i32,
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("exercise created")
        .into_inner()
        .id
}

/// Replaces the entries of `workout_id`, returning them as stored.
pub async fn replace(
    user: &mut User,
    workout_id: &str,
    entries: Vec<pb::WorkoutEntry>,
) -> Vec<pb::WorkoutEntry> {
    user.workouts
        .replace_workout_entries(pb::ReplaceWorkoutEntriesRequest {
            workout_id: workout_id.to_owned(),
            entries,
            etag: String::new(),
            request_id: String::new(),
        })
        .await
        .expect("entries replaced")
        .into_inner()
        .entries
}

/// One page of the user's records.
pub async fn records_page(
    user: &mut User,
    request: pb::ListPersonalRecordsRequest,
) -> Result<pb::ListPersonalRecordsResponse, tonic::Status> {
    user.stats
        .list_personal_records(request)
        .await
        .map(tonic::Response::into_inner)
}

/// Every record of the user, all pages.
pub async fn all_records(user: &mut User) -> Vec<pb::PersonalRecord> {
    let mut records = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = records_page(
            user,
            pb::ListPersonalRecordsRequest {
                page_token,
                ..Default::default()
            },
        )
        .await
        .expect("records listed");
        records.extend(page.records);
        if page.next_page_token.is_empty() {
            return records;
        }
        page_token = page.next_page_token;
    }
}

/// The user's records of `exercise_id`, by kind: (value, id of the holding set).
pub async fn records_of(
    user: &mut User,
    exercise_id: &str,
) -> BTreeMap<pb::RecordKind, (f64, String)> {
    let page = records_page(
        user,
        pb::ListPersonalRecordsRequest {
            exercise_id: exercise_id.to_owned(),
            ..Default::default()
        },
    )
    .await
    .expect("records listed");
    assert!(page.next_page_token.is_empty(), "at most five kinds");
    page.records
        .into_iter()
        .map(|r| {
            let kind = pb::RecordKind::try_from(r.kind).expect("a known kind");
            (kind, (r.value, r.set.expect("the record's set").id))
        })
        .collect()
}

/// A `sets` row as the records are computed from: (set id, exercise id, workout id, date,
/// position, set type, reps, weight_g, distance_mm, duration_s, the exercise's tracking mode).
type SetRow = (
    String,
    String,
    String,
    String,
    i32,
    String,
    Option<i32>,
    Option<i64>,
    Option<i64>,
    Option<i32>,
    String,
);

/// A stored or expected record: (exercise id, kind, value, set id, workout id, date).
type RecordRow = (String, String, i64, String, String, String);

/// The best set per exercise and kind of `rows`, computed here independently of the
/// service: warm-ups never count; weight kinds only in modes counting volume with reps ≥ 1 and a weight above 0; most reps
/// and longest distance only above 0;
/// Epley in integer grams (a single is its weight); most reps ties by the heavier weight;
/// pace in ms per km, lower is better; remaining ties by the earliest set.
fn expected_records(rows: &[SetRow]) -> Vec<RecordRow> {
    // (exercise, kind) → ((score, tie), (date, workout, position), set id, value)
    type Best = ((i64, i64), (String, String, i32), String, i64);
    let mut best: BTreeMap<(String, &'static str), Best> = BTreeMap::new();
    for (
        id,
        exercise,
        workout,
        date,
        position,
        set_type,
        reps,
        weight_g,
        distance,
        duration,
        mode,
    ) in rows
    {
        if set_type == "WARMUP" {
            continue;
        }
        let weighted = mode == "WEIGHT_REPS" || mode == "BODYWEIGHT";
        let mut candidates: Vec<(&'static str, i64, (i64, i64))> = Vec::new();
        if let (true, Some(w), Some(r)) = (weighted, *weight_g, *reps)
            && r >= 1
            && w > 0
        {
            let e1rm = if r == 1 {
                w
            } else {
                w * (30 + i64::from(r)) / 30
            };
            candidates.push(("HEAVIEST_WEIGHT", w, (w, 0)));
            candidates.push(("BEST_ESTIMATED_1RM", e1rm, (e1rm, 0)));
        }
        if let Some(r) = *reps
            && r >= 1
        {
            let r = i64::from(r);
            candidates.push(("MOST_REPS", r, (r, weight_g.unwrap_or(0))));
        }
        if let Some(d) = *distance
            && d > 0
        {
            candidates.push(("LONGEST_DISTANCE", d, (d, 0)));
        }
        if let (Some(d), Some(s)) = (*distance, *duration)
            && d > 0
            && s > 0
        {
            let pace = i64::from(s) * 1_000_000_000 / d;
            candidates.push(("FASTEST_PACE", pace, (-pace, 0)));
        }
        for (kind, value, score) in candidates {
            let order = (date.clone(), workout.clone(), *position);
            let key = (exercise.clone(), kind);
            let better = match best.get(&key) {
                None => true,
                Some((s, o, _, _)) => score > *s || (score == *s && order < *o),
            };
            if better {
                best.insert(key, (score, order, id.clone(), value));
            }
        }
    }
    best.into_iter()
        .map(|((exercise, kind), (_, (date, workout, _), set, value))| {
            (exercise, kind.to_owned(), value, set, workout, date)
        })
        .collect()
}

/// Asserts that the user's `personal_records` rows equal a recomputation from their `sets`
/// rows (read straight from the database), with every record's workout and date those of
/// its set.
pub async fn assert_records_match(stack: &Stack, user: &User) {
    assert_records_match_of(stack, &user.id).await;
}

/// [`assert_records_match`] for a user id.
pub async fn assert_records_match_of(stack: &Stack, user_id: &str) {
    let pool = stack.fitness.db.pool();
    let sets: Vec<SetRow> = sqlx::query_as(
        "SELECT s.id, s.exercise_id, s.workout_id, s.workout_date, s.position, s.set_type, \
         s.reps, s.weight_g, s.distance_mm, s.duration_s, e.tracking_mode \
         FROM sets s JOIN exercises e ON e.id = s.exercise_id WHERE s.user_id = $1",
    )
    .bind(user_id)
    .fetch_all(pool)
    .await
    .expect("sets read");
    let mut stored: Vec<RecordRow> = sqlx::query_as(
        "SELECT exercise_id, kind, value, set_id, workout_id, workout_date \
         FROM personal_records WHERE user_id = $1",
    )
    .bind(user_id)
    .fetch_all(pool)
    .await
    .expect("records read");
    stored.sort();
    assert_eq!(
        stored,
        expected_records(&sets),
        "records of {user_id} differ from a recomputation from their sets"
    );
}
