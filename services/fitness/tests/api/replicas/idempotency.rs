//! One request id sent to fitness-1 and fitness-2 at once, many times: the replay is decided
//! under the user's stats row lock in the shared database, so exactly one create happens
//! whichever replica each retry reaches, and everyone gets its result.

use std::future::Future;
use std::sync::Arc;

use shared::pb::fitness::v1 as pb;
use testkit::replicas::Replicas;
use testkit::{Backend, postgres_tests};
use tokio::sync::Barrier;

use super::{until_both_accept, workouts_at};
use crate::helpers::workout;

/// Concurrent presentations of each request id, alternating between the replicas.
const RETRIES: usize = 20;

/// Runs `send(i)` for every `i` below [`RETRIES`] at once; the answers, which must all be
/// successes.
async fn at_once<T, F, Fut>(send: F) -> Vec<T>
where
    T: Send + 'static,
    F: Fn(usize) -> Fut,
    Fut: Future<Output = Result<tonic::Response<T>, tonic::Status>> + Send + 'static,
{
    let start = Arc::new(Barrier::new(RETRIES));
    let tasks: Vec<_> = (0..RETRIES)
        .map(|i| {
            let start = start.clone();
            let request = send(i);
            tokio::spawn(async move {
                start.wait().await;
                request.await
            })
        })
        .collect();
    let mut answers = Vec::new();
    for task in tasks {
        let answer = task.await.unwrap().expect("every retry succeeds");
        answers.push(answer.into_inner());
    }
    answers
}

/// Rows `sql` counts for `user_id` in the shared fitness database.
async fn count(replicas: &Replicas, sql: &str, user_id: &str) -> i64 {
    sqlx::query_scalar(sql)
        .bind(user_id)
        .fetch_one(replicas.fitness[0].db.pool())
        .await
        .unwrap()
}

const WORKOUTS: &str = "SELECT COUNT(*) FROM workouts WHERE user_id = $1";
const REQUEST_IDS: &str = "SELECT COUNT(*) FROM request_ids WHERE user_id = $1";

async fn one_request_id_sent_to_both_fitness_replicas_at_once_creates_exactly_one_row(
    backend: Backend,
) {
    let replicas = Replicas::spawn(backend).await;
    let [auth_1, _] = replicas.auth_channels().await;
    let fitness = replicas.fitness_channels().await;
    let registered = testkit::users::register(auth_1, "ada").await;
    let user_id = registered.user.unwrap().id;
    let tokens = registered.tokens.unwrap();
    until_both_accept(&fitness, &tokens).await;
    let clients = workouts_at(&fitness, &tokens.access_token);

    // Several keys in turn; the first races the creation of the user's stats row, the lock
    // every write takes first. Each retry's body differs: a retry gets the first result
    // whatever it sends, so equal answers mean one create.
    for round in 0..5 {
        let request_id = format!("replicated-{round}");
        let answers = at_once(|i| {
            let mut client = clients[i % 2].clone();
            let request = pb::CreateWorkoutRequest {
                workout: Some(workout(
                    &format!("Try {i}"),
                    "2026-11-24",
                    pb::WorkoutType::Strength,
                )),
                request_id: request_id.clone(),
            };
            async move { client.create_workout(request).await }
        })
        .await;
        assert!(
            answers.iter().all(|answer| *answer == answers[0]),
            "round {round}: every retry gets the first result: {answers:?}"
        );
        let created = round + 1;
        assert_eq!(count(&replicas, WORKOUTS, &user_id).await, created);
        assert_eq!(count(&replicas, REQUEST_IDS, &user_id).await, created);
    }

    // A batch: all of it once.
    let answers = at_once(|i| {
        let mut client = clients[i % 2].clone();
        let request = pb::BatchCreateWorkoutsRequest {
            requests: (0..3)
                .map(|item| pb::CreateWorkoutRequest {
                    workout: Some(workout(
                        &format!("Batch {i}.{item}"),
                        "2026-11-25",
                        pb::WorkoutType::Cardio,
                    )),
                    request_id: String::new(),
                })
                .collect(),
            request_id: "replicated-batch".into(),
        };
        async move { client.batch_create_workouts(request).await }
    })
    .await;
    assert!(
        answers.iter().all(|answer| *answer == answers[0]),
        "every batch retry gets the first result: {answers:?}"
    );
    assert_eq!(count(&replicas, WORKOUTS, &user_id).await, 5 + 3);
    assert_eq!(count(&replicas, REQUEST_IDS, &user_id).await, 5 + 1);

    // The stats counted each create once, as both replicas read them.
    for (name, channel) in ["fitness-1", "fitness-2"].iter().zip(fitness) {
        let stats = pb::stats_service_client::StatsServiceClient::new(testkit::bearer::authorised(
            channel,
            &tokens.access_token,
        ))
        .get_my_stats(pb::GetMyStatsRequest {})
        .await
        .unwrap()
        .into_inner();
        assert_eq!(stats.total_workouts, 5 + 3, "{name}");
    }
    replicas.stop().await;
}

postgres_tests!(one_request_id_sent_to_both_fitness_replicas_at_once_creates_exactly_one_row);
