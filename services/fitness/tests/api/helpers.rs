//! Helpers of the fitness API tests: a real auth service and a real fitness service per test,
//! users registered through the real `AuthService`, clients that send their access token, and
//! readers of status details.

#![allow(dead_code)] // Each area uses its own subset of the helpers.

use std::time::{Duration, Instant};

use shared::pb::auth::v1 as authpb;
use shared::pb::auth::v1::auth_service_client::AuthServiceClient;
use shared::pb::fitness::v1 as pb;
use shared::pb::fitness::v1::exercise_service_client::ExerciseServiceClient;
use shared::pb::fitness::v1::stats_service_client::StatsServiceClient;
use shared::pb::fitness::v1::workout_service_client::WorkoutServiceClient;
use testkit::{Backend, TestAuth, TestFitness};
use tonic::metadata::AsciiMetadataValue;
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use tonic::{Code, Request, Status};
use tonic_types::StatusExt;

/// A password the auth service rates strong.
pub const PASSWORD: &str = "violet-kettle-orbit-9172";

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
    pub workouts: WorkoutServiceClient<InterceptedService<Channel, Bearer>>,
    pub exercises: ExerciseServiceClient<InterceptedService<Channel, Bearer>>,
    pub stats: StatsServiceClient<InterceptedService<Channel, Bearer>>,
}

impl User {
    /// Registers through the real `AuthService.Register`.
    pub async fn register(auth: &TestAuth, fitness: &TestFitness, username: &str) -> Self {
        let response = AuthServiceClient::new(auth.channel().await)
            .register(authpb::RegisterRequest {
                username: username.to_owned(),
                email: format!("{username}@example.com"),
                password: PASSWORD.to_owned(),
                first_name: "Test".to_owned(),
                last_name: "User".to_owned(),
                device_label: "fitness tests".to_owned(),
            })
            .await
            .expect("registration succeeds")
            .into_inner();
        let id = response.user.expect("a user").id;
        let tokens = response.tokens.expect("a token pair");
        Self::with_tokens(fitness, id, username, tokens).await
    }

    /// Logs in again (e.g. after a role change) and returns the new identity.
    pub async fn login(auth: &TestAuth, fitness: &TestFitness, username: &str) -> Self {
        let response = AuthServiceClient::new(auth.channel().await)
            .login(authpb::LoginRequest {
                login: username.to_owned(),
                password: PASSWORD.to_owned(),
                device_label: String::new(),
            })
            .await
            .expect("login succeeds")
            .into_inner();
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
        let channel = fitness.channel().await;
        let bearer = Bearer::new(&tokens.access_token);
        Self {
            id,
            username: username.to_owned(),
            workouts: WorkoutServiceClient::with_interceptor(channel.clone(), bearer.clone()),
            exercises: ExerciseServiceClient::with_interceptor(channel.clone(), bearer.clone()),
            stats: StatsServiceClient::with_interceptor(channel, bearer),
            access_token: tokens.access_token,
            refresh_token: tokens.refresh_token,
            session_id: tokens.session_id,
        }
    }
}

/// Adds `authorization: Bearer <token>` to every request.
#[derive(Clone)]
pub struct Bearer {
    authorization: Option<AsciiMetadataValue>,
}

impl Bearer {
    /// Sends `token` (which may be anything, to test rejections).
    pub fn new(token: &str) -> Self {
        Self {
            authorization: Some(format!("Bearer {token}").parse().expect("ASCII token")),
        }
    }

    /// Sends exactly `value` as `authorization`.
    pub fn raw(value: &str) -> Self {
        Self {
            authorization: Some(value.parse().expect("ASCII header")),
        }
    }

    /// Sends no `authorization` at all.
    pub fn none() -> Self {
        Self {
            authorization: None,
        }
    }
}

impl Interceptor for Bearer {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        if let Some(value) = &self.authorization {
            request
                .metadata_mut()
                .insert("authorization", value.clone());
        }
        Ok(request)
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

/// The `ErrorInfo` reason of a status.
pub fn reason(status: &Status) -> String {
    status
        .get_error_details()
        .error_info()
        .map(|i| i.reason.clone())
        .unwrap_or_default()
}

/// The fields named by the `BadRequest` of an INVALID_ARGUMENT status, sorted.
pub fn bad_fields(status: &Status) -> Vec<String> {
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    let mut fields: Vec<String> = status
        .get_error_details()
        .bad_request()
        .map(|b| b.field_violations.iter().map(|v| v.field.clone()).collect())
        .unwrap_or_default();
    fields.sort();
    fields
}

/// Asserts `result` is INVALID_ARGUMENT naming exactly `fields`.
#[track_caller]
pub fn assert_bad<T: std::fmt::Debug>(result: Result<T, Status>, fields: &[&str]) {
    let status = result.expect_err("the request is rejected");
    let mut expected: Vec<String> = fields.iter().map(|f| f.to_string()).collect();
    expected.sort();
    assert_eq!(bad_fields(&status), expected, "{status:?}");
    assert_eq!(reason(&status), "INVALID_ARGUMENT");
}

/// Asserts `result` failed with `code`.
#[track_caller]
pub fn assert_code<T: std::fmt::Debug>(result: Result<T, Status>, code: Code) -> Status {
    let status = result.expect_err("the request fails");
    assert_eq!(status.code(), code, "{status:?}");
    status
}

/// Polls `probe` until it returns `Some`, failing after `deadline`. Returns the value and how
/// long it took.
pub async fn poll_until<T, F, Fut>(deadline: Duration, mut probe: F) -> (T, Duration)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(value) = probe().await {
            return (value, start.elapsed());
        }
        assert!(
            start.elapsed() < deadline,
            "condition not reached within {deadline:?}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
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

/// A server task and its shutdown trigger.
type Running = (
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<Result<(), tonic::transport::Error>>,
);

/// An auth service this test starts and stops itself, always on the same port and database,
/// to take auth down and bring it back while fitness keeps running.
pub struct RestartableAuth {
    pub addr: std::net::SocketAddr,
    pub db: shared::db::Db,
    config: stride_auth::Config,
    running: Option<Running>,
    // Declared last: the database outlives the server using it.
    _test_db: testkit::TestDb,
}

impl RestartableAuth {
    /// Starts auth on a fresh database and a free port.
    pub async fn start(backend: Backend) -> Self {
        let test_db = testkit::TestDb::create("auth", backend).await;
        let config = stride_auth::Config::for_tests(test_db.url().clone());
        let app = stride_auth::App::build(config.clone())
            .await
            .expect("auth starts");
        let addr = app.local_addr();
        let db = app.db().clone();
        let mut this = Self {
            addr,
            db,
            config: stride_auth::Config {
                listen_addr: addr,
                ..config
            },
            running: None,
            _test_db: test_db,
        };
        this.serve(app);
        this
    }

    fn serve(&mut self, app: stride_auth::App) {
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(app.run(async move {
            let _ = rx.await;
        }));
        self.running = Some((tx, task));
    }

    /// `http://<addr>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Shuts auth down and waits until it has stopped.
    pub async fn stop(&mut self) {
        if let Some((tx, task)) = self.running.take() {
            let _ = tx.send(());
            task.await.expect("auth task").expect("auth stops cleanly");
        }
    }

    /// Starts auth again on the same port and database.
    pub async fn restart(&mut self) {
        let app = stride_auth::App::build(self.config.clone())
            .await
            .expect("auth restarts on its port");
        self.serve(app);
    }

    /// Starts auth again on the same port with a fresh, empty database (as after a restore
    /// or a recreated volume): its revocation feed starts again from sequence 0.
    pub async fn restart_on_a_fresh_database(&mut self, backend: Backend) {
        let test_db = testkit::TestDb::create("auth", backend).await;
        self.config.database_url = test_db.url().clone();
        // The old server is stopped, so its database can go.
        self._test_db = test_db;
        let app = stride_auth::App::build(self.config.clone())
            .await
            .expect("auth restarts on its port");
        self.db = app.db().clone();
        self.serve(app);
    }

    /// A channel to auth.
    pub async fn channel(&self) -> Channel {
        testkit::channel(self.addr).await
    }
}

impl Drop for RestartableAuth {
    fn drop(&mut self) {
        if let Some((tx, _)) = self.running.take() {
            let _ = tx.send(());
        }
    }
}

/// Registers `username` at an auth service reachable through `channel`; returns the user id
/// and the token pair.
pub async fn register_at(channel: Channel, username: &str) -> (String, authpb::TokenPair) {
    let response = AuthServiceClient::new(channel)
        .register(authpb::RegisterRequest {
            username: username.to_owned(),
            email: format!("{username}@example.com"),
            password: PASSWORD.to_owned(),
            first_name: String::new(),
            last_name: String::new(),
            device_label: String::new(),
        })
        .await
        .expect("registration succeeds")
        .into_inner();
    (
        response.user.expect("a user").id,
        response.tokens.expect("a token pair"),
    )
}
