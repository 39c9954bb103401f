//! `refresh`, `introspect` and `login`: the auth service's token endpoints.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow};
use shared::db::Backend;
use shared::pb::auth::v1::auth_service_client::AuthServiceClient;
use shared::pb::auth::v1::token_introspection_service_client::TokenIntrospectionServiceClient;
use shared::pb::auth::v1::{IntrospectTokenRequest, LoginRequest, RefreshRequest};
use tonic::metadata::AsciiMetadataValue;
use tonic::transport::Channel;

use super::setup;
use super::{Ctx, process_rss};
use crate::load::{Worker, warm_then_drive};
use crate::report::{Row, Verdict};
use crate::stack::{self, Argon2Cost, SERVICE_KEY};

/// `Login` at production Argon2: at least this share of the ceiling (CPUs ÷ one hash).
pub const LOGIN_SHARE_OF_CEILING: f64 = 0.90;

/// Rotates its own session's refresh token, keeping the newest one.
struct RefreshWorker {
    client: AuthServiceClient<Channel>,
    refresh_token: String,
}

impl Worker for RefreshWorker {
    async fn call(&mut self) -> Result<(), tonic::Status> {
        let response = self
            .client
            .refresh(RefreshRequest {
                refresh_token: self.refresh_token.clone(),
            })
            .await?
            .into_inner();
        let tokens = response
            .tokens
            .ok_or_else(|| tonic::Status::internal("Refresh returned no tokens"))?;
        self.refresh_token = tokens.refresh_token;
        Ok(())
    }
}

/// `refresh`: each worker owns one user's session and rotates it in a loop.
pub async fn refresh(ctx: &Ctx) -> Result<Vec<Row>> {
    let auth = stack::start_auth(ctx.plan.backend, Argon2Cost::Fast).await?;
    let concurrency = ctx.plan.concurrency;
    let channels = stack::channels(auth.addr, stack::connections_for(concurrency)).await?;
    if let Some(why) = setup::lifecycle_missing(&channels[0]).await? {
        auth.stop().await?;
        return Ok(vec![Row::skipped("refresh", why)]);
    }
    // Warm-up and measurement each get their own sessions: a chain is never presented twice.
    let tag = setup::run_tag();
    let mut round = 0;
    let outcome = warm_then_drive(
        async || {
            round += 1;
            let users =
                setup::register_many(&channels[0], &format!("rf{tag}{round}"), concurrency).await?;
            Ok(users
                .into_iter()
                .enumerate()
                .map(|(i, u)| RefreshWorker {
                    client: AuthServiceClient::new(channels[i % channels.len()].clone()),
                    refresh_token: u.tokens.refresh_token,
                })
                .collect::<Vec<_>>())
        },
        ctx.limits(),
    )
    .await?;
    // Judged in `floor` (CPU per request on PostgreSQL) and `refresh-backends`.
    let mut row = Row::from_outcome("refresh", &outcome)
        .noted(format!("{concurrency} chains rotating at once"));
    row.rss = process_rss();
    auth.stop().await?;
    Ok(vec![row])
}

/// `refresh-backends`: `refresh` on SQLite and on PostgreSQL, alternating, so both meet the
/// same machine; the default backend (SQLite, one writer) must rotate at least as many
/// tokens per second as PostgreSQL over the rounds. Skipped without a reachable PostgreSQL.
pub async fn refresh_backends(ctx: &Ctx) -> Result<Vec<Row>> {
    const NAME: &str = "refresh-backends";
    if let Err(err) = stack::check_postgres().await {
        return Ok(vec![Row::skipped(NAME, format!("no PostgreSQL: {err:#}"))]);
    }
    let rounds = if ctx.plan.quick { 1 } else { 2 };
    let mut rows = Vec::new();
    let (mut sqlite, mut postgres) = (0.0, 0.0);
    for round in 1..=rounds {
        for backend in [Backend::Sqlite, Backend::Postgres] {
            let mut on = ctx.clone();
            on.plan.backend = backend;
            for mut row in refresh(&on).await? {
                let rps = row.throughput.unwrap_or(0.0);
                match backend {
                    Backend::Sqlite => sqlite += rps,
                    Backend::Postgres => postgres += rps,
                }
                row.name = format!("{NAME}: {} {round}", backend.name());
                rows.push(row);
            }
        }
    }
    let ratio = if postgres > 0.0 {
        sqlite / postgres
    } else {
        0.0
    };
    rows.push(
        Row::empty(format!("{NAME}: SQLite ÷ PostgreSQL"))
            .judged(
                "≥ 1.00 (same run)",
                Verdict::check(ratio >= 1.0, || format!("{ratio:.2}")),
            )
            .noted(format!(
                "{:.0} ÷ {:.0} req/s over {rounds} interleaved round(s) = {ratio:.2}",
                sqlite / f64::from(rounds),
                postgres / f64::from(rounds)
            )),
    );
    Ok(rows)
}

/// Introspects access tokens round-robin with the service key.
struct IntrospectWorker {
    client: TokenIntrospectionServiceClient<Channel>,
    key: AsciiMetadataValue,
    tokens: Arc<Vec<String>>,
    next: usize,
}

impl Worker for IntrospectWorker {
    async fn call(&mut self) -> Result<(), tonic::Status> {
        let token = self.tokens[self.next % self.tokens.len()].clone();
        self.next = self.next.wrapping_add(1);
        let mut request = tonic::Request::new(IntrospectTokenRequest { token });
        request
            .metadata_mut()
            .insert("x-stride-service-key", self.key.clone());
        let response = self.client.introspect_token(request).await?.into_inner();
        if response.active {
            Ok(())
        } else {
            Err(tonic::Status::internal(format!(
                "token reported inactive: {}",
                response.inactive_reason
            )))
        }
    }
}

/// `introspect`: `IntrospectToken` of valid access tokens.
pub async fn introspect(ctx: &Ctx) -> Result<Vec<Row>> {
    let auth = stack::start_auth(ctx.plan.backend, Argon2Cost::Fast).await?;
    let concurrency = ctx.plan.concurrency;
    let channels = stack::channels(auth.addr, stack::connections_for(concurrency)).await?;
    if let Some(why) = setup::lifecycle_missing(&channels[0]).await? {
        auth.stop().await?;
        return Ok(vec![Row::skipped("introspect", why)]);
    }
    let users = setup::register_many(
        &channels[0],
        &format!("in{}", setup::run_tag()),
        ctx.users(),
    )
    .await?;
    let tokens: Arc<Vec<String>> =
        Arc::new(users.into_iter().map(|u| u.tokens.access_token).collect());
    let key = setup::ascii(SERVICE_KEY)?;
    let outcome = warm_then_drive(
        async || {
            Ok((0..concurrency)
                .map(|i| IntrospectWorker {
                    client: TokenIntrospectionServiceClient::new(
                        channels[i % channels.len()].clone(),
                    ),
                    key: key.clone(),
                    tokens: Arc::clone(&tokens),
                    next: i,
                })
                .collect())
        },
        ctx.limits(),
    )
    .await?;
    // Judged against the floor (see `floor`).
    let mut row = Row::from_outcome("introspect", &outcome)
        .noted(format!("{concurrency} in flight, {} tokens", tokens.len()));
    row.rss = process_rss();
    auth.stop().await?;
    Ok(vec![row])
}

/// Logs one user in, again and again.
pub struct LoginWorker {
    client: AuthServiceClient<Channel>,
    login: String,
}

impl LoginWorker {
    /// A worker logging `login` in over `channel`.
    pub fn new(channel: &Channel, login: &str) -> Self {
        Self {
            client: AuthServiceClient::new(channel.clone()),
            login: login.to_owned(),
        }
    }
}

impl Worker for LoginWorker {
    async fn call(&mut self) -> Result<(), tonic::Status> {
        self.client
            .login(LoginRequest {
                login: self.login.clone(),
                password: setup::PASSWORD.to_owned(),
                device_label: "stride-bench".into(),
            })
            .await
            .map(drop)
    }
}

/// The fastest of `samples` Argon2id hashes with the production defaults, on one blocking
/// thread of this process: the unit a Login costs. The minimum, not the median: on a shared,
/// noisy machine the fastest run is the one closest to the hash's own cost. The working memory
/// is allocated once, outside the timing, as the service keeps it: the figure is the hash's
/// computation alone, the strictest yardstick.
pub async fn measure_hash_cost(samples: usize) -> Result<Duration> {
    tokio::task::spawn_blocking(move || {
        let params = argon2::Params::new(
            argon2::Params::DEFAULT_M_COST,
            argon2::Params::DEFAULT_T_COST,
            argon2::Params::DEFAULT_P_COST,
            None,
        )
        .map_err(|e| anyhow!("argon2 parameters: {e}"))?;
        let mut memory = vec![argon2::Block::default(); params.block_count()];
        let argon2 =
            argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
        let mut times = Vec::with_capacity(samples);
        let mut out = [0u8; argon2::Params::DEFAULT_OUTPUT_LEN];
        for i in 0..samples.max(1) {
            let salt = format!("bench-salt-{i:08}");
            let t0 = Instant::now();
            argon2
                .hash_password_into_with_memory(
                    setup::PASSWORD.as_bytes(),
                    salt.as_bytes(),
                    &mut out,
                    &mut memory,
                )
                .map_err(|e| anyhow!("argon2: {e}"))?;
            times.push(t0.elapsed());
        }
        times
            .into_iter()
            .min()
            .ok_or_else(|| anyhow!("no hash measured"))
    })
    .await?
}

/// `login`: Login with production Argon2 parameters, against the ceiling the measured hash
/// cost allows (one hash per CPU at a time).
pub async fn login(ctx: &Ctx) -> Result<Vec<Row>> {
    let samples = if ctx.plan.quick { 1 } else { 5 };
    let before = measure_hash_cost(samples).await?;
    let auth = stack::start_auth(ctx.plan.backend, Argon2Cost::Production).await?;
    // More than one per hashing permit keeps the queue full; more would only wait.
    let concurrency = ctx.plan.concurrency.min(4 * ctx.cpus);
    let channels = stack::channels(auth.addr, 1).await?;
    let users = setup::register_many(
        &channels[0],
        &format!("lg{}", setup::run_tag()),
        concurrency.min(8),
    )
    .await?;
    let outcome = warm_then_drive(
        async || {
            Ok((0..concurrency)
                .map(|i| LoginWorker::new(&channels[0], &users[i % users.len()].username))
                .collect())
        },
        ctx.limits(),
    )
    .await?;
    // Measured on both sides of the load phase, so a burst of noise on one side shows less.
    let hash = before.min(measure_hash_cost(samples).await?);
    let ceiling = ctx.cpus as f64 / hash.as_secs_f64();
    let rps = outcome.throughput();
    let mut row = Row::from_outcome("login (Argon2id m=19MiB t=2)", &outcome).noted(format!(
        "one hash {:.1} ms (fastest of {}) → ceiling {} CPUs / hash = {ceiling:.0} req/s; measured {:.0} % of it",
        hash.as_secs_f64() * 1000.0,
        2 * samples,
        ctx.cpus,
        100.0 * rps / ceiling
    ));
    let share = rps / ceiling;
    row = row.judged(
        format!(
            "≥ {:.0} % of CPUs ÷ hash time",
            LOGIN_SHARE_OF_CEILING * 100.0
        ),
        Verdict::check(share >= LOGIN_SHARE_OF_CEILING, || {
            format!("{:.0} % of the ceiling", share * 100.0)
        }),
    );
    row.rss = process_rss();
    auth.stop().await?;
    Ok(vec![row])
}
