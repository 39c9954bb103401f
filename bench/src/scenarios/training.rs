//! `training`: the set-level reads and writes of a user with few sets against one with very
//! many (1k vs 1M sets; 1k vs 20k in quick mode), in the same database:
//!
//! - the first page of `ListWorkouts` and of `ListExerciseHistory` must stay flat (p50 ratio
//!   ≤ 1.5): both read one index range, whatever the history behind it;
//! - `ReplaceWorkoutEntries` of one entry of 5 sets must stay flat too: the records of an
//!   edited exercise are compared with its new sets, or recomputed from that exercise's sets
//!   when its workout held them, never from the user's whole history (an exercise with a long
//!   history is edited both ways, for the record);
//! - a workout of 30 entries × 5 sets is written in one call and read back with
//!   `GetWorkout(include_entries)`: absolute figures, for the record.
//!
//! History is seeded with multi-row INSERTs straight into the fitness database (as
//! `list-workouts` does): 4 exercises, workouts of 4 entries × 5 sets. The seeded rows carry no
//! derived totals, which none of the measured calls reads. Fitness runs with its auth layer
//! off (callers named by `x-stride-user-id`), so the ratios are purely the storage's.

use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context as _, Result, anyhow};
use shared::db::{Backend, Db};
use shared::pb::fitness::v1::exercise_service_client::ExerciseServiceClient;
use shared::pb::fitness::v1::workout_service_client::WorkoutServiceClient;
use shared::pb::fitness::v1::{
    CreateExerciseRequest, Exercise, GetWorkoutRequest, ListExerciseHistoryRequest,
    ListWorkoutsRequest, ReplaceWorkoutEntriesRequest, WorkoutEntry, WorkoutSet,
};
use tonic::transport::Channel;

use super::list::{RATIO_TARGET, human};
use super::setup::{self, Identity};
use super::{Ctx, process_rss};
use crate::load::{Outcome, Worker, warm_then_drive};
use crate::report::{Row, Verdict};
use crate::stack;

/// Rows per INSERT statement (at most 6 parameters each: under every backend's limit).
const ROWS_PER_STATEMENT: usize = 1_000;
/// Exercises of a seeded user; the first is the one whose history is read.
const EXERCISES: usize = 4;
/// Sets per seeded entry.
const SETS_PER_ENTRY: usize = 5;
/// Seeded dates spread over this many days.
const DAYS: usize = 3_650;

/// A seeded user: their id and the exercise whose history is read.
struct Seeded {
    user_id: String,
    history_exercise: String,
}

/// Seeds `sets` sets of a new user: 4 exercises, workouts of 4 entries × 5 sets.
async fn seed(db: &Db, sets: u64) -> Result<Seeded> {
    let user_id = uuid::Uuid::now_v7().to_string();
    let today = time::OffsetDateTime::now_utc().date();
    let now = shared::time::now_micros();
    let exercises: Vec<String> = (0..EXERCISES)
        .map(|_| uuid::Uuid::now_v7().to_string())
        .collect();
    let per_workout = (EXERCISES * SETS_PER_ENTRY) as u64;
    let workouts = sets.div_ceil(per_workout);

    let mut tx = db.begin().await?;
    for (k, id) in exercises.iter().enumerate() {
        sqlx::query(
            "INSERT INTO exercises (id, user_id, name, description, created_at, updated_at, \
             tracking_mode) VALUES ($1, $2, $3, '', $4, $4, 'WEIGHT_REPS')",
        )
        .bind(id.clone())
        .bind(user_id.clone())
        .bind(format!("Lift {k}"))
        .bind(now)
        .execute(&mut *tx)
        .await
        .context("seed exercises")?;
    }
    tx.commit().await?;

    // Workouts in chunks; each chunk's entries and sets follow in the same transaction.
    let chunk = (ROWS_PER_STATEMENT / (EXERCISES * SETS_PER_ENTRY)).max(1) as u64;
    let mut w = 0_u64;
    while w < workouts {
        let n = chunk.min(workouts - w);
        let mut tx = db.begin().await?;
        let mut workout_rows = Vec::new();
        let mut entry_rows = Vec::new();
        let mut set_rows = Vec::new();
        for i in w..w + n {
            let id = uuid::Uuid::now_v7().to_string();
            let date = (today - time::Duration::days((i % DAYS as u64) as i64)).to_string();
            workout_rows.push(vec![
                id.clone(),
                format!("Session {i}"),
                date.clone(),
                (now - i as i64).to_string(),
            ]);
            for (position, exercise) in exercises.iter().enumerate() {
                entry_rows.push(vec![id.clone(), exercise.clone(), position.to_string()]);
                for s in 0..SETS_PER_ENTRY {
                    set_rows.push(vec![
                        uuid::Uuid::now_v7().to_string(),
                        id.clone(),
                        exercise.clone(),
                        date.clone(),
                        s.to_string(),
                    ]);
                }
            }
        }
        let conn = &mut *tx;
        // The user id is $1 of every statement; the rows' values follow.
        for rows in workout_rows.chunks(ROWS_PER_STATEMENT) {
            insert_user_rows(
                conn,
                &user_id,
                "INSERT INTO workouts (id, user_id, title, workout_date, notes, workout_type, \
                 exercise_count, total_duration_minutes, set_count, created_at, updated_at) \
                 VALUES ",
                rows,
                |p| {
                    format!(
                        "(${p}, $1, ${}, ${}, '', 'STRENGTH', 4, 0, 20, CAST(${} AS BIGINT), \
                         CAST(${} AS BIGINT))",
                        p + 1,
                        p + 2,
                        p + 3,
                        p + 3
                    )
                },
            )
            .await?;
        }
        for rows in entry_rows.chunks(ROWS_PER_STATEMENT) {
            insert_user_rows(
                conn,
                &user_id,
                "INSERT INTO workout_exercises (workout_id, exercise_id, user_id, position) VALUES ",
                rows,
                |p| format!("(${p}, ${}, $1, CAST(${} AS INTEGER))", p + 1, p + 2),
            )
            .await?;
        }
        for rows in set_rows.chunks(ROWS_PER_STATEMENT) {
            insert_user_rows(
                conn,
                &user_id,
                "INSERT INTO sets (id, user_id, workout_id, exercise_id, workout_date, position, \
                 set_type, reps, weight_milli, weight_unit, weight_g) VALUES ",
                rows,
                |p| {
                    format!(
                        "(${p}, $1, ${}, ${}, ${}, CAST(${} AS INTEGER), 'NORMAL', 5, 100000, \
                         'KG', 100000)",
                        p + 1,
                        p + 2,
                        p + 3,
                        p + 4
                    )
                },
            )
            .await?;
        }
        tx.commit().await?;
        w += n;
    }
    Ok(Seeded {
        user_id,
        history_exercise: exercises[0].clone(),
    })
}

/// One multi-row INSERT: `head` is the statement up to VALUES, `tuple(p)` one row's
/// placeholders from `$p`; the user id is `$1`, each row's values follow.
async fn insert_user_rows(
    conn: &mut sqlx::AnyConnection,
    user_id: &str,
    head: &str,
    rows: &[Vec<String>],
    tuple: impl Fn(usize) -> String,
) -> Result<()> {
    let per_row = rows.first().map_or(0, Vec::len);
    let mut sql = String::from(head);
    for r in 0..rows.len() {
        if r > 0 {
            sql.push(',');
        }
        // Only numbered parameters: no value reaches the SQL text.
        sql.push_str(&tuple(2 + r * per_row));
    }
    let mut query = sqlx::query(&sql).bind(user_id.to_owned());
    for row in rows {
        for value in row {
            query = query.bind(value.clone());
        }
    }
    query.execute(conn).await.context(head.to_owned())?;
    Ok(())
}

/// Refreshes the planner's statistics, as autovacuum or a periodic `ANALYZE` would.
async fn analyze(db: &Db) -> Result<()> {
    let statements: &[&str] = match db.backend() {
        Backend::Postgres => &[
            "ANALYZE workouts",
            "ANALYZE workout_exercises",
            "ANALYZE sets",
        ],
        Backend::Sqlite => &["ANALYZE"],
    };
    for sql in statements {
        sqlx::query(sql).execute(db.pool()).await?;
    }
    Ok(())
}

/// One of the measured calls.
#[derive(Clone)]
enum Call {
    /// First page of `ListWorkouts`.
    ListWorkouts,
    /// First page of one exercise's history.
    History(String),
    /// Replaces a workout's entries: `(workout, exercises, weights)`, 5 sets per exercise.
    Replace(String, Vec<String>, Load),
    /// `GetWorkout(include_entries)`, expecting this many sets.
    GetEntries(String, usize),
}

/// The weights a replace writes.
#[derive(Clone, Copy)]
enum Load {
    /// Changing on every call, up to 157.5 kg: every call changes the records, and the
    /// workout holds some of them, so each call recomputes them from all the exercise's sets.
    Records,
    /// 50–53 kg: below every record of the seeded history (100 kg × 5), so the new sets are
    /// compared with the records and nothing is recomputed (the usual edit).
    Light,
}

/// Makes one [`Call`] as one user.
struct TrainingWorker {
    workouts: WorkoutServiceClient<Channel>,
    exercises: ExerciseServiceClient<Channel>,
    who: Identity,
    call: Call,
    round: u64,
}

fn sets(round: u64, load: Load) -> Vec<WorkoutSet> {
    (0..SETS_PER_ENTRY as u64)
        .map(|s| WorkoutSet {
            reps: Some(5),
            weight: Some(match load {
                Load::Records => 60.0 + ((round + s) % 40) as f64 * 2.5,
                Load::Light => 50.0 + ((round + s) % 4) as f64,
            }),
            ..WorkoutSet::default()
        })
        .collect()
}

impl Worker for TrainingWorker {
    async fn call(&mut self) -> Result<(), tonic::Status> {
        self.round += 1;
        match &self.call {
            Call::ListWorkouts => {
                let mut request = tonic::Request::new(ListWorkoutsRequest::default());
                self.who.apply(&mut request);
                let page = self.workouts.list_workouts(request).await?.into_inner();
                expect(page.workouts.len() == 50, "a first page of 50 workouts")
            }
            Call::History(exercise_id) => {
                let mut request = tonic::Request::new(ListExerciseHistoryRequest {
                    exercise_id: exercise_id.clone(),
                    ..ListExerciseHistoryRequest::default()
                });
                self.who.apply(&mut request);
                let page = self
                    .exercises
                    .list_exercise_history(request)
                    .await?
                    .into_inner();
                expect(page.sets.len() == 50, "a first page of 50 sets")
            }
            Call::Replace(workout_id, exercises, load) => {
                let entries = exercises
                    .iter()
                    .map(|exercise_id| WorkoutEntry {
                        exercise_id: exercise_id.clone(),
                        sets: sets(self.round, *load),
                        ..WorkoutEntry::default()
                    })
                    .collect();
                let mut request = tonic::Request::new(ReplaceWorkoutEntriesRequest {
                    workout_id: workout_id.clone(),
                    entries,
                    ..ReplaceWorkoutEntriesRequest::default()
                });
                self.who.apply(&mut request);
                let written = self
                    .workouts
                    .replace_workout_entries(request)
                    .await?
                    .into_inner();
                let stored: usize = written.entries.iter().map(|e| e.sets.len()).sum();
                expect(
                    stored == exercises.len() * SETS_PER_ENTRY,
                    "every set written",
                )
            }
            Call::GetEntries(workout_id, expected) => {
                let mut request = tonic::Request::new(GetWorkoutRequest {
                    id: workout_id.clone(),
                    include_exercises: false,
                    include_entries: true,
                });
                self.who.apply(&mut request);
                let detail = self.workouts.get_workout(request).await?.into_inner();
                let read: usize = detail.entries.iter().map(|e| e.sets.len()).sum();
                expect(read == *expected, "every set read back")
            }
        }
    }
}

fn expect(ok: bool, what: &str) -> Result<(), tonic::Status> {
    if ok {
        Ok(())
    } else {
        Err(tonic::Status::internal(format!("expected {what}")))
    }
}

/// Creates `n` exercises of `who` through the RPC and returns their ids.
async fn create_exercises(channel: &Channel, who: &Identity, n: usize) -> Result<Vec<String>> {
    let mut client = ExerciseServiceClient::new(channel.clone());
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let mut request = tonic::Request::new(CreateExerciseRequest {
            exercise: Some(Exercise {
                name: format!("Bench lift {i}"),
                ..Exercise::default()
            }),
            request_id: String::new(),
        });
        who.apply(&mut request);
        let created = client
            .create_exercise(request)
            .await
            .map_err(|status| anyhow!("CreateExercise: {status}"))?;
        ids.push(created.into_inner().id);
    }
    Ok(ids)
}

/// Measures `call` as `who` with `concurrency` workers.
async fn measure(
    ctx: &Ctx,
    channel: &Channel,
    who: &Identity,
    call: Call,
    concurrency: usize,
) -> Result<Outcome> {
    warm_then_drive(
        async || {
            Ok((0..concurrency)
                .map(|_| TrainingWorker {
                    workouts: WorkoutServiceClient::new(channel.clone()),
                    exercises: ExerciseServiceClient::new(channel.clone()),
                    who: who.clone(),
                    call: call.clone(),
                    round: 0,
                })
                .collect())
        },
        ctx.limits(),
    )
    .await
}

/// The p50 of an outcome in microseconds (0 when nothing succeeded).
fn p50(outcome: &Outcome) -> u64 {
    outcome.latency.as_ref().map_or(0, |l| l.p50)
}

/// A judged row: p50(large) / p50(small) ≤ [`RATIO_TARGET`].
fn ratio_row(name: &str, small: &Outcome, large: &Outcome, sets: (u64, u64)) -> Row {
    let ratio = match (p50(small), p50(large)) {
        (s, l) if s > 0 => l as f64 / s as f64,
        _ => f64::INFINITY,
    };
    let mut row = Row::empty(format!(
        "training: {name} p50 ratio {}/{} sets",
        human(sets.1),
        human(sets.0)
    ))
    .judged(
        "p50 ratio ≤ 1.5",
        Verdict::check(ratio <= RATIO_TARGET, || format!("ratio {ratio:.2}")),
    )
    .noted(format!("ratio {ratio:.2}"));
    row.rss = process_rss();
    row
}

/// Seeds both users, then measures each call for each, and the 30 × 5 workout.
pub async fn run(ctx: &Ctx) -> Result<Vec<Row>> {
    let (small, large) = ctx.plan.list_rows;
    let fitness = stack::start_fitness(ctx.plan.backend, "http://127.0.0.1:9".into(), true).await?;
    let t0 = Instant::now();
    let users = [
        seed(&fitness.db, small).await?,
        seed(&fitness.db, large).await?,
    ];
    analyze(&fitness.db).await?;
    let seeded = t0.elapsed();
    let channels = Arc::new(stack::channels(fitness.addr, 1).await?);
    let channel = &channels[0];
    let reads = 4.min(ctx.plan.concurrency);

    let mut rows = Vec::new();
    let mut outcomes: Vec<[Outcome; 3]> = Vec::new();
    let mut heavy_rows = Vec::new();
    for (user, count) in users.iter().zip([small, large]) {
        let who = Identity::UserId(setup::ascii(&user.user_id)?);
        // A fresh workout and exercise: the edited exercise has only the sets of this call.
        let workout = setup::create_workout(channel, &who, "Edited").await?;
        let edited = create_exercises(channel, &who, 1).await?;
        let list = measure(ctx, channel, &who, Call::ListWorkouts, reads).await?;
        let history = measure(
            ctx,
            channel,
            &who,
            Call::History(user.history_exercise.clone()),
            reads,
        )
        .await?;
        let replace = measure(
            ctx,
            channel,
            &who,
            Call::Replace(workout, edited, Load::Records),
            1,
        )
        .await?;
        // Edits of the exercise holding a quarter of the history: the usual one, whose sets
        // beat no record, compares them with the records; one whose workout holds records it
        // rewrites recomputes them over all the exercise's sets, so that one grows with the
        // exercise's history.
        let long = setup::create_workout(channel, &who, "Long history").await?;
        for (load, what) in [
            (Load::Light, "beating no record; compared with the records"),
            (
                Load::Records,
                "its workout holding records; recomputed over all the exercise's sets",
            ),
        ] {
            let outcome = measure(
                ctx,
                channel,
                &who,
                Call::Replace(long.clone(), vec![user.history_exercise.clone()], load),
                1,
            )
            .await?;
            let mut row = Row::from_outcome(
                format!(
                    "training: ReplaceWorkoutEntries 1 × 5 of an exercise with {} sets, {}",
                    human(count / EXERCISES as u64),
                    match load {
                        Load::Light => "no new record",
                        Load::Records => "new records",
                    }
                ),
                &outcome,
            )
            .noted(format!("1 in flight; {what}"));
            row.rss = process_rss();
            heavy_rows.push(row);
        }
        for (name, outcome, note) in [
            (
                "ListWorkouts first page",
                &list,
                format!("{reads} in flight, page of 50"),
            ),
            (
                "ListExerciseHistory first page",
                &history,
                format!("{reads} in flight, page of 50"),
            ),
            (
                "ReplaceWorkoutEntries 1 × 5",
                &replace,
                "1 in flight; records of the edited exercise recomputed".to_owned(),
            ),
        ] {
            let mut row =
                Row::from_outcome(format!("training: {name}, {} sets", human(count)), outcome)
                    .noted(note);
            row.rss = process_rss();
            rows.push(row);
        }
        outcomes.push([list, history, replace]);
    }
    rows.extend(heavy_rows);
    if let [small_runs, large_runs] = outcomes.as_slice() {
        for (i, name) in [
            "ListWorkouts",
            "ListExerciseHistory",
            "ReplaceWorkoutEntries",
        ]
        .iter()
        .enumerate()
        {
            rows.push(ratio_row(
                name,
                &small_runs[i],
                &large_runs[i],
                (small, large),
            ));
        }
    }

    // A workout of 30 entries × 5 sets, written in one call and read back.
    let who = Identity::UserId(setup::ascii(&users[0].user_id)?);
    let workout = setup::create_workout(channel, &who, "Thirty").await?;
    let thirty = create_exercises(channel, &who, 30).await?;
    let write = measure(
        ctx,
        channel,
        &who,
        Call::Replace(workout.clone(), thirty, Load::Records),
        1,
    )
    .await?;
    let read = measure(ctx, channel, &who, Call::GetEntries(workout, 150), reads).await?;
    let mut row = Row::from_outcome("training: ReplaceWorkoutEntries 30 × 5", &write)
        .noted("1 in flight; one transaction, records of 30 exercises recomputed");
    row.rss = process_rss();
    rows.push(row);
    let mut row = Row::from_outcome("training: GetWorkout include_entries 30 × 5", &read).noted(
        format!("{reads} in flight; 150 sets in a constant number of queries"),
    );
    row.rss = process_rss();
    rows.push(row);
    if let Some(first) = rows.first_mut() {
        first.note = format!(
            "{}; seeded {} sets in {:.1} s",
            first.note,
            small + large,
            seeded.as_secs_f64()
        );
    }
    fitness.stop().await?;
    Ok(rows)
}
