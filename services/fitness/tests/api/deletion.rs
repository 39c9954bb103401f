//! Account deletion reaching fitness through auth's revocation feed (a USER_DELETED event):
//! every row of the user goes, also when fitness reads the event late; a replayed event is
//! harmless, a deletion that fails is retried, and no write of the user can bring rows back.
//! A user's own deletion is checked in both databases.

use std::time::Duration;

use shared::pb::auth::v1 as authpb;
use shared::pb::auth::v1::admin_service_client::AdminServiceClient;
use shared::pb::auth::v1::user_service_client::UserServiceClient;
use shared::pb::fitness::v1 as pb;
use testkit::bearer::bearer;
use testkit::{Backend, Server, TestAuth, TestFitness, backend_tests};
use tonic::Code;

use crate::auth_layer::{admin, call, until_accepted};
use crate::helpers::{
    Bearer, RestartableAuth, Stack, User, announce_deletion, assert_code, poll_until, reason,
    register_at, rows_of, scalar, seed, until_erased,
};

/// How many times the fitness database records `user_id` as deleted (0 or 1).
async fn recorded_deleted(fitness: &TestFitness, user_id: &str) -> i64 {
    scalar(
        fitness,
        "SELECT COUNT(*) FROM deleted_users WHERE user_id = $1",
        user_id,
    )
    .await
}

/// Waits until fitness refuses `token` as revoked.
async fn until_refused(fitness: &TestFitness, token: &str) {
    let (status, _) = poll_until(Duration::from_secs(10), || async {
        call(fitness, Bearer::new(token)).await.err()
    })
    .await;
    assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
    assert_eq!(reason(&status), "TOKEN_REVOKED");
}

/// Every table holds rows of a seeded user.
fn assert_seeded(rows: &[(&str, i64)]) {
    assert!(rows.iter().all(|&(_, n)| n > 0), "{rows:?}");
}

async fn an_admin_deleting_an_account_deletes_its_fitness_rows_and_refuses_its_tokens(
    backend: Backend,
) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let mut bob = stack.user("bob").await;
    seed(&mut ada).await;
    seed(&mut bob).await;
    let root = stack.user("root").await;
    let root = admin(&stack, &root).await;
    assert_seeded(&rows_of(&stack.fitness, &ada.id).await);
    let bobs = rows_of(&stack.fitness, &bob.id).await;

    AdminServiceClient::new(stack.auth.channel().await)
        .delete_user(bearer(
            authpb::DeleteUserRequest {
                user_id: ada.id.clone(),
            },
            &root.access_token,
        ))
        .await
        .expect("DeleteUser succeeds");
    until_erased(&stack.fitness, &ada.id).await;
    until_refused(&stack.fitness, &ada.access_token).await;
    assert_eq!(recorded_deleted(&stack.fitness, &ada.id).await, 1);
    assert_eq!(
        rows_of(&stack.fitness, &bob.id).await,
        bobs,
        "bob untouched"
    );
    call(&stack.fitness, Bearer::new(&bob.access_token))
        .await
        .expect("bob still served");
    stack.stop().await;
}

async fn a_user_deleting_their_own_account_loses_their_fitness_rows(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    seed(&mut ada).await;
    UserServiceClient::new(stack.auth.channel().await)
        .delete_me(bearer(
            authpb::DeleteMeRequest {
                password: testkit::users::PASSWORD.to_owned(),
                mfa_code: String::new(),
            },
            &ada.access_token,
        ))
        .await
        .expect("DeleteMe succeeds");
    until_erased(&stack.fitness, &ada.id).await;
    until_refused(&stack.fitness, &ada.access_token).await;
    // Gone from the auth database too, and refused there.
    for (table, column) in [
        ("users", "id"),
        ("profiles", "user_id"),
        ("sessions", "user_id"),
        ("refresh_tokens", "user_id"),
        ("access_tokens", "user_id"),
    ] {
        let left: i64 =
            sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table} WHERE {column} = $1"))
                .bind(&ada.id)
                .fetch_one(stack.auth.db.pool())
                .await
                .unwrap();
        assert_eq!(left, 0, "auth's {table} still has rows of ada");
    }
    let refused = UserServiceClient::new(stack.auth.channel().await)
        .get_me(bearer(authpb::GetMeRequest {}, &ada.access_token))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::Unauthenticated);
    stack.stop().await;
}

async fn an_announced_deletion_deletes_only_that_users_rows_and_refuses_their_tokens(
    backend: Backend,
) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let mut bob = stack.user("bob").await;
    seed(&mut ada).await;
    seed(&mut bob).await;
    let bobs = rows_of(&stack.fitness, &bob.id).await;
    // The event alone, without the session revocations auth writes beside it: fitness
    // refuses the account's tokens on its own word.
    announce_deletion(&stack.auth.db, &ada.id).await;
    until_erased(&stack.fitness, &ada.id).await;
    until_refused(&stack.fitness, &ada.access_token).await;
    assert_eq!(
        rows_of(&stack.fitness, &bob.id).await,
        bobs,
        "bob untouched"
    );
    stack.stop().await;
}

async fn an_account_deleted_while_fitness_was_down_is_deleted_when_it_starts_again(
    backend: Backend,
) {
    let auth = TestAuth::spawn(backend).await;
    let fitness = TestFitness::spawn(backend, auth.url()).await;
    let mut ada = User::register(&auth, &fitness, "ada").await;
    let mut bob = User::register(&auth, &fitness, "bob").await;
    seed(&mut ada).await;
    seed(&mut bob).await;
    let bobs = rows_of(&fitness, &bob.id).await;
    assert_seeded(&rows_of(&fitness, &ada.id).await);
    let test_db = fitness.stop_keeping_db().await.unwrap();

    // Announced while fitness is down: only the restarted replica can act on it (it may do so
    // at once, so the rows are not counted again here: the counts would race the deletion).
    announce_deletion(&auth.db, &ada.id).await;
    let fitness = TestFitness::start(test_db, auth.url(), |_| {})
        .await
        .expect("fitness starts again");
    until_erased(&fitness, &ada.id).await;
    assert_eq!(rows_of(&fitness, &bob.id).await, bobs, "bob untouched");
    fitness.stop().await;
    auth.stop().await;
}

async fn a_deletion_replayed_by_the_feed_deletes_nothing_more(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    let fitness = TestFitness::spawn(backend, auth.url()).await;
    let mut ada = User::register(&auth, &fitness, "ada").await;
    let mut bob = User::register(&auth, &fitness, "bob").await;
    let cat = User::register(&auth, &fitness, "cat").await;
    seed(&mut ada).await;
    seed(&mut bob).await;
    let bobs = rows_of(&fitness, &bob.id).await;
    // The same deletion twice in the feed, and again after a restart, which replays the
    // feed from its start.
    announce_deletion(&auth.db, &ada.id).await;
    announce_deletion(&auth.db, &ada.id).await;
    until_erased(&fitness, &ada.id).await;
    let test_db = fitness.stop_keeping_db().await.unwrap();
    let fitness = TestFitness::start(test_db, auth.url(), |_| {})
        .await
        .expect("fitness starts again");
    // Events are applied in order: once cat's deletion is recorded, ada's were replayed.
    announce_deletion(&auth.db, &cat.id).await;
    poll_until(Duration::from_secs(15), || async {
        (recorded_deleted(&fitness, &cat.id).await == 1).then_some(())
    })
    .await;
    assert_eq!(recorded_deleted(&fitness, &ada.id).await, 1);
    assert!(
        rows_of(&fitness, &ada.id)
            .await
            .iter()
            .all(|&(_, n)| n == 0)
    );
    assert_eq!(rows_of(&fitness, &bob.id).await, bobs, "bob untouched");
    fitness.stop().await;
    auth.stop().await;
}

async fn a_deletion_that_fails_is_retried_until_it_commits(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    seed(&mut ada).await;
    let adas = rows_of(&stack.fitness, &ada.id).await;
    // The deletion cannot commit while its table is missing.
    let pool = stack.fitness.db.pool();
    sqlx::query("ALTER TABLE deleted_users RENAME TO deleted_users_away")
        .execute(pool)
        .await
        .unwrap();
    announce_deletion(&stack.auth.db, &ada.id).await;
    // The tokens are refused as the event is applied, just before the deletion is tried.
    until_refused(&stack.fitness, &ada.access_token).await;
    assert_eq!(rows_of(&stack.fitness, &ada.id).await, adas, "rolled back");

    sqlx::query("ALTER TABLE deleted_users_away RENAME TO deleted_users")
        .execute(pool)
        .await
        .unwrap();
    // No new event: the feed delivers the same one again until its deletion commits.
    until_erased(&stack.fitness, &ada.id).await;
    assert_eq!(recorded_deleted(&stack.fitness, &ada.id).await, 1);
    stack.stop().await;
}

async fn a_user_recorded_as_deleted_cannot_write_whatever_their_token_says(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let root = stack.user("root").await;
    let root = admin(&stack, &root).await;
    until_accepted(&stack.fitness, &ada.access_token).await;
    // As if another replica had deleted ada, and this one had not yet heard of it.
    sqlx::query("INSERT INTO deleted_users (user_id, deleted_at) VALUES ($1, 0)")
        .bind(&ada.id)
        .execute(stack.fitness.db.pool())
        .await
        .unwrap();

    let refused = ada
        .workouts
        .create_workout(pb::CreateWorkoutRequest {
            workout: Some(crate::helpers::workout(
                "Legs",
                "2026-03-01",
                pb::WorkoutType::Strength,
            )),
            request_id: String::new(),
        })
        .await;
    assert_eq!(
        reason(&assert_code(refused, Code::Unauthenticated)),
        "TOKEN_REVOKED"
    );
    let refused = ada.stats.get_my_stats(pb::GetMyStatsRequest {}).await;
    assert_code(refused, Code::Unauthenticated);
    let mut staff = shared::pb::fitness::v1::stats_service_client::StatsServiceClient::new(
        testkit::bearer::authorised(stack.fitness.channel().await, &root.access_token),
    );
    let refused = staff
        .set_evaluation(pb::SetEvaluationRequest {
            user_id: ada.id.clone(),
            evaluation: 50,
        })
        .await;
    assert_code(refused, Code::NotFound);
    assert!(
        rows_of(&stack.fitness, &ada.id)
            .await
            .iter()
            .all(|&(_, n)| n == 0),
        "nothing written"
    );
    stack.stop().await;
}

/// Two fitness servers on one database: the first follows auth and deletes ada's rows; the
/// second has lost its feed (its auth instance stopped) and, within its staleness bound, still
/// accepts ada's token. Its write is refused by the database's record of the deletion.
async fn a_replica_that_has_not_heard_of_the_deletion_cannot_write_the_users_rows_back(
    backend: Backend,
) {
    let auth = RestartableAuth::start(backend).await;
    let aside = auth.start_aside().await;
    let fitness_db = testkit::TestDb::create("fitness", backend).await;
    let start = |auth_url: String| {
        let mut config = stride_fitness::Config::for_tests(fitness_db.url().clone(), auth_url);
        config.auth.max_staleness = Duration::from_secs(60);
        Server::start::<stride_fitness::App>(config)
    };
    let following = start(auth.url()).await.expect("fitness-1 starts");
    let behind = start(aside.url()).await.expect("fitness-2 starts");
    let (ada_id, ada) = register_at(auth.channel().await, "ada").await;
    let mut writes = pb::workout_service_client::WorkoutServiceClient::new(
        testkit::bearer::authorised(testkit::channel(behind.addr).await, &ada.access_token),
    );
    let create = || pb::CreateWorkoutRequest {
        workout: Some(crate::helpers::workout(
            "Legs",
            "2026-03-01",
            pb::WorkoutType::Strength,
        )),
        request_id: String::new(),
    };
    writes
        .create_workout(create())
        .await
        .expect("fitness-2 serves ada");
    aside.stop().await.expect("the second auth instance stops");

    announce_deletion(&auth.db, &ada_id).await;
    poll_until(Duration::from_secs(15), || async {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM deleted_users WHERE user_id = $1")
            .bind(&ada_id)
            .fetch_one(following.db.pool())
            .await
            .unwrap();
        (n == 1).then_some(())
    })
    .await;
    let refused = writes.create_workout(create()).await;
    assert_eq!(
        reason(&assert_code(refused, Code::Unauthenticated)),
        "TOKEN_REVOKED"
    );
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM workouts WHERE user_id = $1")
        .bind(&ada_id)
        .fetch_one(following.db.pool())
        .await
        .unwrap();
    assert_eq!(left, 0);
    behind.stop().await.unwrap();
    following.stop().await.unwrap();
    drop(auth);
}

async fn writes_racing_the_deletion_leave_no_row_behind(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let ada = stack.user("ada").await;
    until_accepted(&stack.fitness, &ada.access_token).await;
    // Writers that keep creating workouts until they are refused.
    let writers: Vec<_> = (0..4)
        .map(|_| {
            let mut ada = ada.clone_clients();
            tokio::spawn(async move {
                let mut created = 0;
                loop {
                    let request = pb::CreateWorkoutRequest {
                        workout: Some(crate::helpers::workout(
                            "Run",
                            "2026-03-01",
                            pb::WorkoutType::Cardio,
                        )),
                        request_id: String::new(),
                    };
                    match ada.workouts.create_workout(request).await {
                        Ok(_) => created += 1,
                        Err(status) => {
                            assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
                            return created;
                        }
                    }
                }
            })
        })
        .collect();
    // Let the writers get going, then delete.
    poll_until(Duration::from_secs(10), || async {
        let n = scalar(
            &stack.fitness,
            "SELECT COUNT(*) FROM workouts WHERE user_id = $1",
            &ada.id,
        )
        .await;
        (n >= 8).then_some(())
    })
    .await;
    announce_deletion(&stack.auth.db, &ada.id).await;
    for writer in writers {
        writer.await.unwrap();
    }
    poll_until(Duration::from_secs(15), || async {
        (recorded_deleted(&stack.fitness, &ada.id).await == 1).then_some(())
    })
    .await;
    // Every writer has stopped and the deletion has committed: nothing can come back now.
    let rows = rows_of(&stack.fitness, &ada.id).await;
    assert!(rows.iter().all(|&(_, n)| n == 0), "{rows:?}");
    stack.stop().await;
}

backend_tests!(
    an_admin_deleting_an_account_deletes_its_fitness_rows_and_refuses_its_tokens,
    a_user_deleting_their_own_account_loses_their_fitness_rows,
    an_announced_deletion_deletes_only_that_users_rows_and_refuses_their_tokens,
    an_account_deleted_while_fitness_was_down_is_deleted_when_it_starts_again,
    a_deletion_replayed_by_the_feed_deletes_nothing_more,
    a_deletion_that_fails_is_retried_until_it_commits,
    a_user_recorded_as_deleted_cannot_write_whatever_their_token_says,
    a_replica_that_has_not_heard_of_the_deletion_cannot_write_the_users_rows_back,
    writes_racing_the_deletion_leave_no_row_behind,
);
