//! Helpers of the fitness API tests: a real auth service and a real fitness service per test,
//! users registered through the real `AuthService`, clients that send their access token, and
//! readers of status details.

#![allow(dead_code)] // Each area uses its own subset of the helpers.

use shared::pb::auth::v1 as authpb;
use shared::pb::fitness::v1 as pb;
use shared::pb::fitness::v1::catalogue_service_client::CatalogueServiceClient;
use shared::pb::fitness::v1::data_service_client::DataServiceClient;
use shared::pb::fitness::v1::exercise_service_client::ExerciseServiceClient;
use shared::pb::fitness::v1::stats_service_client::StatsServiceClient;
use shared::pb::fitness::v1::workout_service_client::WorkoutServiceClient;
use testkit::bearer::AuthorisedChannel;
use testkit::{Backend, Server, TestAuth, TestFitness};
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

pub use testkit::bearer::Bearer;
pub use testkit::poll::poll_until;
pub use testkit::status::{assert_bad, assert_code, bad_fields, reason};

/// Real auth and fitness services for one test, fitness pointed at auth.
pub struct Stack {
    pub auth: TestAuth,
    pub fitness: TestFitness,
}

impl Stack {
    /// Both services on `backend` with the test configurations.
    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Both services, after `adjust` has edited the fitness configuration.
    pub async fn spawn_with(
        backend: Backend,
        adjust: impl FnOnce(&mut stride_fitness::Config),
    ) -> Self {
        let auth = TestAuth::spawn(backend).await;
        let fitness = TestFitness::spawn_with(backend, auth.url(), adjust).await;
        Self { auth, fitness }
    }

    /// Registers `username` at the auth service and returns its fitness clients.
    pub async fn user(&self, username: &str) -> User {
        User::register(&self.auth, &self.fitness, username).await
    }

    /// Logs `username` in again (e.g. after a role change) and returns fresh clients.
    pub async fn login(&self, username: &str) -> User {
        User::login(&self.auth, &self.fitness, username).await
    }

    /// Promotes `user` to `role` (`STAFF`, `ADMIN`) directly in the auth database (shorter
    /// than going through AdminService, which the auth tests cover), then logs in again so the
    /// new token carries it.
    pub async fn promote(&self, user: &User, role: &str) -> User {
        sqlx::query("UPDATE users SET role = $1 WHERE id = $2")
            .bind(role)
            .bind(&user.id)
            .execute(self.auth.db.pool())
            .await
            .expect("role set");
        self.login(&user.username).await
    }

    /// Stops both services.
    pub async fn stop(self) {
        self.fitness.stop().await;
        self.auth.stop().await;
    }
}

/// A registered user with a fresh access token and fitness clients that send it.
pub struct User {
    pub id: String,
    pub username: String,
    pub access_token: String,
    pub refresh_token: String,
    pub session_id: String,
    pub workouts: WorkoutServiceClient<AuthorisedChannel>,
    pub exercises: ExerciseServiceClient<AuthorisedChannel>,
    pub stats: StatsServiceClient<AuthorisedChannel>,
    pub data: DataServiceClient<AuthorisedChannel>,
    pub catalogue: CatalogueServiceClient<AuthorisedChannel>,
}

impl User {
    /// Registers through the real `AuthService.Register`.
    pub async fn register(auth: &TestAuth, fitness: &TestFitness, username: &str) -> Self {
        let response = testkit::users::register(auth.channel().await, username).await;
        let id = response.user.expect("a user").id;
        let tokens = response.tokens.expect("a token pair");
        Self::with_tokens(fitness, id, username, tokens).await
    }

    /// Logs in again (e.g. after a role change) and returns the new identity.
    pub async fn login(auth: &TestAuth, fitness: &TestFitness, username: &str) -> Self {
        let response =
            testkit::users::login(auth.channel().await, username, testkit::users::PASSWORD, "")
                .await
                .expect("login succeeds");
        let id = response.user.expect("a user").id;
        let tokens = response.tokens.expect("a token pair");
        Self::with_tokens(fitness, id, username, tokens).await
    }

    async fn with_tokens(
        fitness: &TestFitness,
        id: String,
        username: &str,
        tokens: authpb::TokenPair,
    ) -> Self {
        let channel = testkit::bearer::authorised(fitness.channel().await, &tokens.access_token);
        Self {
            id,
            username: username.to_owned(),
            workouts: WorkoutServiceClient::new(channel.clone()),
            exercises: ExerciseServiceClient::new(channel.clone()),
            stats: StatsServiceClient::new(channel.clone()),
            data: DataServiceClient::new(channel.clone()),
            catalogue: CatalogueServiceClient::new(channel),
            access_token: tokens.access_token,
            refresh_token: tokens.refresh_token,
            session_id: tokens.session_id,
        }
    }
}

/// A workout client sending `bearer`.
pub async fn workouts_with(
    fitness: &TestFitness,
    bearer: Bearer,
) -> WorkoutServiceClient<InterceptedService<Channel, Bearer>> {
    WorkoutServiceClient::with_interceptor(fitness.channel().await, bearer)
}

/// A workout to create.
pub fn workout(title: &str, date: &str, workout_type: pb::WorkoutType) -> pb::Workout {
    pb::Workout {
        title: title.to_owned(),
        date: date.to_owned(),
        notes: String::new(),
        workout_type: workout_type as i32,
        ..Default::default()
    }
}

/// An exercise to create.
pub fn exercise(name: &str, duration: Option<i32>, workout_ids: &[&str]) -> pb::Exercise {
    pb::Exercise {
        name: name.to_owned(),
        duration_minutes: duration,
        workout_ids: workout_ids.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    }
}

impl User {
    /// Another handle on the same identity and connections (clients are cheap to clone).
    pub fn clone_clients(&self) -> User {
        User {
            id: self.id.clone(),
            username: self.username.clone(),
            access_token: self.access_token.clone(),
            refresh_token: self.refresh_token.clone(),
            session_id: self.session_id.clone(),
            workouts: self.workouts.clone(),
            exercises: self.exercises.clone(),
            stats: self.stats.clone(),
            data: self.data.clone(),
            catalogue: self.catalogue.clone(),
        }
    }

    /// Creates a workout and returns it.
    pub async fn create_workout(&mut self, title: &str, date: &str) -> pb::Workout {
        self.workouts
            .create_workout(pb::CreateWorkoutRequest {
                workout: Some(workout(title, date, pb::WorkoutType::Strength)),
                request_id: String::new(),
            })
            .await
            .expect("workout created")
            .into_inner()
    }

    /// Creates an exercise and returns it.
    pub async fn create_exercise(
        &mut self,
        name: &str,
        duration: Option<i32>,
        workout_ids: &[&str],
    ) -> pb::Exercise {
        self.exercises
            .create_exercise(pb::CreateExerciseRequest {
                exercise: Some(exercise(name, duration, workout_ids)),
                request_id: String::new(),
            })
            .await
            .expect("exercise created")
            .into_inner()
    }

    /// Fetches one of the user's workouts.
    pub async fn get_workout(&mut self, id: &str) -> pb::Workout {
        self.workouts
            .get_workout(pb::GetWorkoutRequest {
                include_entries: false,
                id: id.to_owned(),
                include_exercises: false,
            })
            .await
            .expect("workout found")
            .into_inner()
            .workout
            .expect("a workout")
    }

    /// The user's stats.
    pub async fn my_stats(&mut self) -> pb::Stat {
        self.stats
            .get_my_stats(pb::GetMyStatsRequest {})
            .await
            .expect("stats")
            .into_inner()
    }
}

/// Reads one number from the fitness database.
pub async fn scalar(fitness: &TestFitness, sql: &str, user_id: &str) -> i64 {
    sqlx::query_scalar(sql)
        .bind(user_id)
        .fetch_one(fitness.db.pool())
        .await
        .expect("query runs")
}

/// An auth service this test starts and stops itself, always on the same port and database,
/// to take auth down and bring it back while fitness keeps running.
pub struct RestartableAuth {
    pub addr: std::net::SocketAddr,
    pub db: shared::db::Db,
    config: stride_auth::Config,
    server: Option<Server>,
    // Declared last: the database outlives the server using it.
    _test_db: testkit::TestDb,
}

impl RestartableAuth {
    /// Starts auth on a fresh database and a free port.
    pub async fn start(backend: Backend) -> Self {
        let test_db = testkit::TestDb::create("auth", backend).await;
        let config = stride_auth::Config::for_tests(test_db.url().clone());
        let server = Server::start::<stride_auth::App>(config.clone())
            .await
            .expect("auth starts");
        Self {
            addr: server.addr,
            db: server.db.clone(),
            config: stride_auth::Config {
                listen_addr: server.addr,
                ..config
            },
            server: Some(server),
            _test_db: test_db,
        }
    }

    /// `http://<addr>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Shuts auth down and waits until it has stopped.
    pub async fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            server.stop().await.expect("auth stops cleanly");
        }
    }

    /// Starts auth again on the same port and database.
    pub async fn restart(&mut self) {
        let server = Server::start::<stride_auth::App>(self.config.clone())
            .await
            .expect("auth restarts on its port");
        self.server = Some(server);
    }

    /// Starts auth again on the same port with a fresh, empty database (as after a restore
    /// or a recreated volume): its revocation feed starts again from sequence 0.
    pub async fn restart_on_a_fresh_database(&mut self, backend: Backend) {
        let test_db = testkit::TestDb::create("auth", backend).await;
        self.config.database_url = test_db.url().clone();
        // The old server is stopped, so its database can go.
        self._test_db = test_db;
        self.restart().await;
        self.db = self.server.as_ref().expect("just started").db.clone();
    }

    /// A channel to auth.
    pub async fn channel(&self) -> Channel {
        testkit::channel(self.addr).await
    }

    /// While auth is stopped: restores its database from a backup taken when the revocation
    /// feed's head was `sequence` (see `testkit::backup`).
    pub async fn restore_feed_to(&self, sequence: i64) {
        assert!(self.server.is_none(), "restore while auth is stopped");
        testkit::backup::restore_revocation_feed(&self.config.database_url, sequence).await;
    }

    /// A second auth instance on the same database but a port of its own, which fitness does
    /// not know: what it revokes reaches fitness only through the shared database's feed.
    pub async fn start_aside(&self) -> Server {
        let config = stride_auth::Config {
            listen_addr: "127.0.0.1:0".parse().expect("a socket address"),
            ..self.config.clone()
        };
        Server::start::<stride_auth::App>(config)
            .await
            .expect("a second auth instance starts")
    }
}

/// Registers `username` at an auth service reachable through `channel`; returns the user id
/// and the token pair.
pub async fn register_at(channel: Channel, username: &str) -> (String, authpb::TokenPair) {
    let response = testkit::users::register(channel, username).await;
    (
        response.user.expect("a user").id,
        response.tokens.expect("a token pair"),
    )
}

/// The `kid` of a JWT's header.
pub fn kid_of(token: &str) -> String {
    use base64::Engine as _;
    let header = token.split('.').next().unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header)
        .unwrap();
    serde_json::from_slice::<serde_json::Value>(&bytes).unwrap()["kid"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The tables of the fitness database that hold rows of a user, each keyed by `user_id`.
pub const USER_TABLES: [&str; 8] = [
    "workouts",
    "exercises",
    "workout_exercises",
    "stats",
    "request_ids",
    "sets",
    "weekly_summaries",
    "personal_records",
];

/// How many rows of `user_id` each of [`USER_TABLES`] holds, read from the database itself.
pub async fn rows_of(fitness: &TestFitness, user_id: &str) -> Vec<(&'static str, i64)> {
    let mut counts = Vec::new();
    for table in USER_TABLES {
        let sql = format!("SELECT COUNT(*) FROM {table} WHERE user_id = $1");
        counts.push((table, scalar(fitness, &sql, user_id).await));
    }
    counts
}

/// Gives `user` rows in every table of [`USER_TABLES`]: two workouts (one created with a
/// request id), an exercise linked to both with a set in the first, and so their stats,
/// weekly summaries and records.
pub async fn seed(user: &mut User) {
    let request = pb::CreateWorkoutRequest {
        workout: Some(workout("Legs", "2026-03-01", pb::WorkoutType::Strength)),
        request_id: format!("{}-legs", user.username),
    };
    let legs = user
        .workouts
        .create_workout(request)
        .await
        .expect("workout created")
        .into_inner();
    let arms = user.create_workout("Arms", "2026-03-02").await;
    let squat = user
        .create_exercise("Squat", Some(20), &[&legs.id, &arms.id])
        .await;
    user.replace_entries(
        &legs.id,
        vec![entry(&squat.id, vec![weighted_set(100.0, 5)])],
    )
    .await;
}

/// Announces on auth's revocation feed that the account `user_id` was deleted, as the auth
/// service's deletion does: a USER_DELETED event at the next sequence, kept for 30 days.
/// Written straight into the auth database, in a transaction that takes the sequence under the
/// counter's row lock; the feed finds it at its next look at the head.
pub async fn announce_deletion(auth_db: &shared::db::Db, user_id: &str) {
    let now = shared::time::now_micros();
    let mut tx = auth_db.begin().await.expect("a transaction on auth");
    let sequence: i64 = sqlx::query_scalar(
        "UPDATE revocation_sequence SET value = value + 1 WHERE id = 1 RETURNING value",
    )
    .fetch_one(&mut *tx)
    .await
    .expect("a sequence");
    sqlx::query(
        "INSERT INTO revocation_events (sequence, kind, jti, session_id, user_id, revoked_at, \
         expires_at) VALUES ($1, 'USER_DELETED', NULL, NULL, $2, $3, $4)",
    )
    .bind(sequence)
    .bind(user_id)
    .bind(now)
    .bind(now + 30 * 24 * 3600 * 1_000_000)
    .execute(&mut *tx)
    .await
    .expect("the event is stored");
    tx.commit().await.expect("the event commits");
}

/// Waits until every row of `user_id` is gone from the fitness database.
pub async fn until_erased(fitness: &TestFitness, user_id: &str) {
    poll_until(std::time::Duration::from_secs(15), || async {
        let left: i64 = rows_of(fitness, user_id).await.iter().map(|(_, n)| n).sum();
        (left == 0).then_some(())
    })
    .await;
}

/// A weight × reps set of `kg` kilograms, the rest unset.
pub fn weighted_set(kg: f64, reps: i32) -> pb::WorkoutSet {
    pb::WorkoutSet {
        reps: Some(reps),
        weight: Some(kg),
        weight_unit: pb::WeightUnit::Kg as i32,
        ..Default::default()
    }
}

/// A set of `reps` reps and nothing else (reps-only, bodyweight, assisted exercises).
pub fn reps_set(reps: i32) -> pb::WorkoutSet {
    pb::WorkoutSet {
        reps: Some(reps),
        ..Default::default()
    }
}

/// A set of `meters` metres in `seconds` seconds (distance and duration exercises).
pub fn distance_set(meters: f64, seconds: Option<i32>) -> pb::WorkoutSet {
    pb::WorkoutSet {
        distance_meters: Some(meters),
        duration_seconds: seconds,
        ..Default::default()
    }
}

/// An entry of the exercise `exercise_id` with `sets`, no superset, no notes.
pub fn entry(exercise_id: &str, sets: Vec<pb::WorkoutSet>) -> pb::WorkoutEntry {
    pb::WorkoutEntry {
        exercise_id: exercise_id.to_owned(),
        sets,
        ..Default::default()
    }
}

impl User {
    /// Creates an exercise tracked in `mode`, linked to no workout, and returns it.
    pub async fn create_exercise_in_mode(
        &mut self,
        name: &str,
        mode: pb::TrackingMode,
    ) -> pb::Exercise {
        self.exercises
            .create_exercise(pb::CreateExerciseRequest {
                exercise: Some(pb::Exercise {
                    tracking_mode: mode as i32,
                    ..exercise(name, None, &[])
                }),
                request_id: String::new(),
            })
            .await
            .expect("exercise created")
            .into_inner()
    }

    /// Replaces the entries of `workout_id` (no etag, no request id) and returns the answer.
    pub async fn replace_entries(
        &mut self,
        workout_id: &str,
        entries: Vec<pb::WorkoutEntry>,
    ) -> pb::ReplaceWorkoutEntriesResponse {
        self.try_replace_entries(workout_id, entries)
            .await
            .expect("entries replaced")
    }

    /// Replaces the entries of `workout_id` (no etag, no request id), returning the status on
    /// failure.
    pub async fn try_replace_entries(
        &mut self,
        workout_id: &str,
        entries: Vec<pb::WorkoutEntry>,
    ) -> Result<pb::ReplaceWorkoutEntriesResponse, tonic::Status> {
        self.workouts
            .replace_workout_entries(pb::ReplaceWorkoutEntriesRequest {
                workout_id: workout_id.to_owned(),
                entries,
                etag: String::new(),
                request_id: String::new(),
            })
            .await
            .map(tonic::Response::into_inner)
    }

    /// One of the user's workouts with its entries and their sets.
    pub async fn get_with_entries(&mut self, id: &str) -> pb::GetWorkoutResponse {
        self.workouts
            .get_workout(pb::GetWorkoutRequest {
                id: id.to_owned(),
                include_exercises: false,
                include_entries: true,
            })
            .await
            .expect("workout found")
            .into_inner()
    }
}
