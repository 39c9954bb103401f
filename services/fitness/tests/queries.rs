//! The number of SQL statements a call runs does not grow with what it writes or reads: a
//! workout of 30 entries × 5 sets is written in one transaction, and read back, in as many
//! statements as a workout of 1 entry × 1 set.
//!
//! Statements are counted from sqlx's own statement log (events of target `sqlx::query`), by
//! a subscriber installed for this binary alone. Its one test runs the backends one after the
//! other, so no other call's statements are counted; each count is the least of three calls,
//! so a stray background statement cannot make two equal counts differ.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use shared::db::Backend;
use shared::pb::fitness::v1 as pb;
use shared::pb::fitness::v1::exercise_service_client::ExerciseServiceClient;
use shared::pb::fitness::v1::workout_service_client::WorkoutServiceClient;
use testkit::TestFitness;
use tonic::transport::Channel;
use tracing_subscriber::layer::{Context, SubscriberExt as _};
use tracing_subscriber::{Layer, Registry};

/// Counts sqlx's statement events.
struct CountStatements(Arc<AtomicUsize>);

impl<S: tracing::Subscriber> Layer<S> for CountStatements {
    fn on_event(&self, event: &tracing::Event<'_>, _ctx: Context<'_, S>) {
        if event.metadata().target() == "sqlx::query" {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
}

/// A caller of a fitness service with its auth layer off.
struct Caller {
    user_id: String,
    workouts: WorkoutServiceClient<Channel>,
    exercises: ExerciseServiceClient<Channel>,
}

impl Caller {
    fn request<T>(&self, message: T) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        request
            .metadata_mut()
            .insert("x-stride-user-id", self.user_id.parse().unwrap());
        request
    }

    async fn workout(&mut self) -> String {
        let request = self.request(pb::CreateWorkoutRequest {
            workout: Some(pb::Workout {
                title: "Counted".into(),
                date: "2026-12-07".into(),
                workout_type: pb::WorkoutType::Strength as i32,
                ..Default::default()
            }),
            request_id: String::new(),
        });
        self.workouts
            .create_workout(request)
            .await
            .unwrap()
            .into_inner()
            .id
    }

    async fn exercises(&mut self, n: usize) -> Vec<String> {
        let mut ids = Vec::new();
        for i in 0..n {
            let request = self.request(pb::CreateExerciseRequest {
                exercise: Some(pb::Exercise {
                    name: format!("Lift {i}"),
                    ..Default::default()
                }),
                request_id: String::new(),
            });
            let created = self.exercises.create_exercise(request).await.unwrap();
            ids.push(created.into_inner().id);
        }
        ids
    }

    fn entries(exercises: &[String], sets: usize, round: usize) -> Vec<pb::WorkoutEntry> {
        exercises
            .iter()
            .map(|id| pb::WorkoutEntry {
                exercise_id: id.clone(),
                sets: (0..sets)
                    .map(|s| pb::WorkoutSet {
                        reps: Some(5),
                        weight: Some(40.0 + (round * 7 + s) as f64),
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            })
            .collect()
    }
}

/// The fewest statements of three runs of `call`.
async fn fewest<F: AsyncFnMut()>(counter: &AtomicUsize, mut call: F) -> usize {
    let mut fewest = usize::MAX;
    for _ in 0..3 {
        let before = counter.load(Ordering::SeqCst);
        call().await;
        fewest = fewest.min(counter.load(Ordering::SeqCst) - before);
    }
    fewest
}

/// Statements of (write, read) for a workout of `entries` × `sets`.
async fn statements(
    counter: &AtomicUsize,
    caller: &mut Caller,
    entries: usize,
    sets: usize,
) -> (usize, usize) {
    let workout = caller.workout().await;
    let exercises = caller.exercises(entries).await;
    let mut round = 0;
    let write = fewest(counter, async || {
        round += 1;
        let request = caller.request(pb::ReplaceWorkoutEntriesRequest {
            workout_id: workout.clone(),
            entries: Caller::entries(&exercises, sets, round),
            ..Default::default()
        });
        let written = caller
            .workouts
            .replace_workout_entries(request)
            .await
            .unwrap()
            .into_inner();
        assert_eq!(written.entries.len(), entries);
    })
    .await;
    let read = fewest(counter, async || {
        let request = caller.request(pb::GetWorkoutRequest {
            id: workout.clone(),
            include_exercises: false,
            include_entries: true,
        });
        let detail = caller
            .workouts
            .get_workout(request)
            .await
            .unwrap()
            .into_inner();
        let read: usize = detail.entries.iter().map(|e| e.sets.len()).sum();
        assert_eq!(read, entries * sets);
    })
    .await;
    (write, read)
}

async fn check(backend: Backend, counter: &AtomicUsize) {
    let fitness = TestFitness::spawn_with(backend, "http://127.0.0.1:9".into(), |config| {
        config.auth.disabled = true;
    })
    .await;
    let channel = fitness.channel().await;
    let mut caller = Caller {
        user_id: uuid::Uuid::now_v7().to_string(),
        workouts: WorkoutServiceClient::new(channel.clone()),
        exercises: ExerciseServiceClient::new(channel),
    };
    let small = statements(counter, &mut caller, 1, 1).await;
    let large = statements(counter, &mut caller, 30, 5).await;
    assert!(
        small.0 > 0 && small.1 > 0,
        "statements are counted: {small:?}"
    );
    assert_eq!(
        large.0, small.0,
        "{backend:?}: writing 30 × 5 sets takes as many statements as 1 × 1"
    );
    assert_eq!(
        large.1, small.1,
        "{backend:?}: reading 30 × 5 sets takes as many statements as 1 × 1"
    );
    fitness.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statements_do_not_grow_with_entries_and_sets() {
    let counter = Arc::new(AtomicUsize::new(0));
    let subscriber = Registry::default().with(CountStatements(Arc::clone(&counter)));
    tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");
    check(Backend::Sqlite, &counter).await;
    if testkit::postgres_available() {
        check(Backend::Postgres, &counter).await;
    }
}
