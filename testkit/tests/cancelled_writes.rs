//! Writes cut off by their clients at random points (a client timeout, a disconnect) must
//! leave no connection inside a transaction: afterwards a write succeeds at once, on both
//! backends and through the write paths of both services.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use shared::pb::auth::v1 as auth_pb;
use shared::pb::auth::v1::auth_service_client::AuthServiceClient;
use shared::pb::auth::v1::user_service_client::UserServiceClient;
use shared::pb::fitness::v1 as pb;
use shared::pb::fitness::v1::exercise_service_client::ExerciseServiceClient;
use shared::pb::fitness::v1::workout_service_client::WorkoutServiceClient;
use testkit::{Backend, TestAuth, TestFitness, backend_tests};
use tonic::Request;

/// Writes started and cut off per round, and rounds.
const WRITERS: usize = 48;
const ROUNDS: usize = 6;

/// Far longer than a healthy write on a loaded machine, far shorter than SQLite's busy
/// timeout (10 s), which is what a write stuck behind a leaked transaction waits for.
const AT_ONCE: Duration = Duration::from_secs(5);

fn bearer<T>(message: T, token: &str, timeout: Option<Duration>) -> Request<T> {
    let mut request = Request::new(message);
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    if let Some(timeout) = timeout {
        request.set_timeout(timeout);
    }
    request
}

fn exercise(name: String) -> pb::CreateExerciseRequest {
    pb::CreateExerciseRequest {
        exercise: Some(pb::Exercise {
            name,
            duration_minutes: Some(10),
            ..Default::default()
        }),
        request_id: String::new(),
    }
}

fn profile(bio: String) -> auth_pb::UpdateMeRequest {
    auth_pb::UpdateMeRequest {
        user: Some(auth_pb::User {
            profile: Some(auth_pb::Profile {
                bio,
                ..Default::default()
            }),
            ..Default::default()
        }),
        update_mask: None,
        ..Default::default()
    }
}

async fn writes_cut_off_at_random_points_never_block_later_writes(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    let fitness = TestFitness::spawn(backend, auth.url()).await;
    let token = AuthServiceClient::new(auth.channel().await)
        .register(auth_pb::RegisterRequest {
            username: "ada".into(),
            email: "ada@example.com".into(),
            password: "violet-kettle-orbit-9172".into(),
            first_name: "Ada".into(),
            last_name: "Lovelace".into(),
            device_label: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .tokens
        .unwrap()
        .access_token;
    let (auth_channel, fitness_channel) = (auth.channel().await, fitness.channel().await);
    let workout = WorkoutServiceClient::new(fitness_channel.clone())
        .create_workout(bearer(
            pb::CreateWorkoutRequest {
                workout: Some(pb::Workout {
                    title: "base".into(),
                    date: "2026-11-30".into(),
                    workout_type: pb::WorkoutType::Strength as i32,
                    ..Default::default()
                }),
                request_id: String::new(),
            },
            &token,
            None,
        ))
        .await
        .unwrap()
        .into_inner();

    for round in 0..ROUNDS {
        let mut cut = Vec::new();
        for i in 0..WRITERS {
            // Deadlines spread over the life of a write: before, during and after BEGIN.
            let deadline = Duration::from_micros(((i * 7919 + round * 104_729) % 30_000) as u64);
            let (token, auth_channel, fitness_channel) =
                (token.clone(), auth_channel.clone(), fitness_channel.clone());
            let workout_id = workout.id.clone();
            cut.push(tokio::spawn(async move {
                let name = format!("cut {round}.{i}");
                match i % 3 {
                    0 => {
                        let mut request = exercise(name);
                        if let Some(e) = request.exercise.as_mut() {
                            e.workout_ids = vec![workout_id];
                        }
                        let _ = ExerciseServiceClient::new(fitness_channel)
                            .create_exercise(bearer(request, &token, Some(deadline)))
                            .await;
                    }
                    1 => {
                        let _ = UserServiceClient::new(auth_channel)
                            .update_me(bearer(profile(name), &token, Some(deadline)))
                            .await;
                    }
                    _ => {
                        // Dropped by the client itself rather than by a deadline.
                        let call = async move {
                            ExerciseServiceClient::new(fitness_channel)
                                .create_exercise(bearer(exercise(name), &token, None))
                                .await
                        };
                        let _ = tokio::time::timeout(deadline, call).await;
                    }
                }
            }));
        }
        for task in cut {
            task.await.unwrap();
        }
    }

    // Every service's write path must still work, at once. On fresh connections: the cut-off
    // rounds reset hundreds of streams, and a server may rightly close a connection that does
    // that (HTTP/2 rapid-reset protection); what is under test is the database, not that.
    let (auth_channel, fitness_channel) = (auth.channel().await, fitness.channel().await);
    let started = Instant::now();
    let created = tokio::time::timeout(
        AT_ONCE,
        ExerciseServiceClient::new(fitness_channel.clone()).create_exercise(bearer(
            exercise("after".into()),
            &token,
            None,
        )),
    )
    .await
    .expect("a fitness write after cancelled writes does not wait for a leaked transaction");
    assert!(created.is_ok(), "{created:?}");
    let updated = tokio::time::timeout(
        AT_ONCE,
        UserServiceClient::new(auth_channel.clone()).update_me(bearer(
            profile("after".into()),
            &token,
            None,
        )),
    )
    .await
    .expect("an auth write after cancelled writes does not wait for a leaked transaction");
    assert!(updated.is_ok(), "{updated:?}");
    assert!(started.elapsed() < AT_ONCE);

    // And the stats still add up: nothing was half-written.
    let stats: (i64, i64) = sqlx::query_as(
        "SELECT CAST(s.total_exercises AS BIGINT), \
         (SELECT COUNT(*) FROM exercises e WHERE e.user_id = s.user_id) FROM stats s",
    )
    .fetch_one(fitness.db.pool())
    .await
    .unwrap();
    assert_eq!(stats.0, stats.1, "stat totals equal the rows");

    fitness.stop().await;
    auth.stop().await;
}

backend_tests!(writes_cut_off_at_random_points_never_block_later_writes);
