//! The clients of `feed-fanout`, on a runtime of their own: lean followers of the revocation
//! feed, and a revoker that ends sessions at a steady rate.
//!
//! Their threads are named [`CLIENT_THREADS`], so what they cost can be told apart from what
//! the auth service they talk to costs (see `super::thread_cpu`): the auth service serves on the
//! runtime the benchmark started with, the clients on this one.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, anyhow};
use shared::credentials::SERVICE_KEY_HEADER;
use shared::pb::auth::v1::auth_service_client::AuthServiceClient;
use shared::pb::auth::v1::token_introspection_service_client::TokenIntrospectionServiceClient;
use shared::pb::auth::v1::watch_revocations_response::Payload;
use shared::pb::auth::v1::{LogoutRequest, TokenPair, WatchRevocationsRequest};
use tokio::runtime::{Handle, Runtime};
use tokio::sync::{Semaphore, oneshot, watch};
use tokio::task::{JoinHandle, JoinSet};
use tonic::transport::{Channel, Endpoint};

use crate::scenarios::setup;
use crate::stack::{CALL_TIMEOUT, SERVICE_KEY};

/// Name of the client runtime's threads.
pub const CLIENT_THREADS: &str = "bench-client";

/// A runtime for the clients, shut down (without blocking) when dropped, whatever path the
/// scenario leaves by.
pub struct ClientRuntime {
    runtime: Option<Runtime>,
    handle: Handle,
}

impl ClientRuntime {
    /// Starts `threads` worker threads named [`CLIENT_THREADS`].
    pub fn start(threads: usize) -> Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads.max(1))
            .thread_name(CLIENT_THREADS)
            .enable_all()
            .build()
            .context("start the client runtime")?;
        let handle = runtime.handle().clone();
        Ok(Self {
            runtime: Some(runtime),
            handle,
        })
    }

    /// Runs `future` on the client runtime.
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.handle.spawn(future)
    }
}

impl Drop for ClientRuntime {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            // Dropping a runtime inside another one would block it; this does not.
            runtime.shutdown_background();
        }
    }
}

/// An HTTP/2 connection made on the current runtime, configured as fitness's client of the
/// auth service (keep-alive pings, no request deadline: the stream is long-lived).
async fn connect(url: &str) -> Result<Channel> {
    Endpoint::from_shared(url.to_owned())?
        .tcp_nodelay(true)
        .connect_timeout(Duration::from_secs(5))
        .http2_keep_alive_interval(Duration::from_secs(10))
        .keep_alive_timeout(Duration::from_secs(5))
        .connect()
        .await
        .with_context(|| format!("connect to {url}"))
}

/// What one follower heard, each message stamped when it arrived.
#[derive(Debug, Default)]
pub struct Heard {
    /// Session id of each revocation event → when it arrived.
    pub events: HashMap<String, Instant>,
    /// When each heartbeat arrived.
    pub heartbeats: Vec<Instant>,
}

/// One follower of `WatchRevocations`, running on the client runtime.
pub struct Follower {
    /// Events heard so far (for waiting until every revocation has arrived).
    pub events: Arc<AtomicUsize>,
    task: JoinHandle<Result<Heard>>,
}

impl Follower {
    /// Opens the feed of the auth service at `url` from its start, with the service key, as
    /// fitness does, and resolves once the stream has caught up (its first heartbeat comes
    /// after the backlog). It then listens until `stop` turns true.
    pub async fn start(
        clients: &ClientRuntime,
        url: String,
        stop: watch::Receiver<bool>,
    ) -> Result<Self> {
        let events = Arc::new(AtomicUsize::new(0));
        let (caught_up, caught) = oneshot::channel();
        let task = clients.spawn(follow(url, Arc::clone(&events), caught_up, stop));
        match tokio::time::timeout(Duration::from_secs(10), caught).await {
            Ok(Ok(())) => Ok(Self { events, task }),
            // The task ended before its first heartbeat: its result says why.
            Ok(Err(_)) => Err(match task.await {
                Ok(Err(err)) => err,
                Ok(Ok(_)) => anyhow!("the feed ended before its first heartbeat"),
                Err(err) => anyhow!("a follower failed: {err}"),
            }),
            Err(_) => {
                task.abort();
                Err(anyhow!("no heartbeat within 10 s of opening the feed"))
            }
        }
    }

    /// Everything it heard (after `stop` turned true).
    pub async fn heard(self) -> Result<Heard> {
        self.task.await?
    }
}

async fn follow(
    url: String,
    events: Arc<AtomicUsize>,
    caught_up: oneshot::Sender<()>,
    mut stop: watch::Receiver<bool>,
) -> Result<Heard> {
    let channel = connect(&url).await?;
    let mut request = tonic::Request::new(WatchRevocationsRequest::default());
    request
        .metadata_mut()
        .insert(SERVICE_KEY_HEADER, setup::ascii(SERVICE_KEY)?);
    let mut stream = TokenIntrospectionServiceClient::new(channel)
        .watch_revocations(request)
        .await
        .map_err(|s| anyhow!("WatchRevocations: {s}"))?
        .into_inner();
    let mut caught_up = Some(caught_up);
    let mut heard = Heard::default();
    loop {
        let message = tokio::select! {
            biased;
            _ = stop.wait_for(|stop| *stop) => return Ok(heard),
            message = stream.message() => message.map_err(|s| anyhow!("the feed failed: {s}"))?,
        };
        let at = Instant::now();
        match message.and_then(|m| m.payload) {
            Some(Payload::Event(event)) => {
                heard.events.insert(event.sid, at);
                events.fetch_add(1, Ordering::Relaxed);
            }
            Some(Payload::Heartbeat(_)) => {
                heard.heartbeats.push(at);
                if let Some(caught_up) = caught_up.take() {
                    let _ = caught_up.send(());
                }
            }
            None => {}
        }
    }
}

/// One revocation the revoker made.
#[derive(Debug, Clone)]
pub struct Revoked {
    /// The session ended.
    pub sid: String,
    /// When its `Logout` returned.
    pub returned: Instant,
}

/// What a revoking phase did.
#[derive(Debug, Default)]
pub struct Revoking {
    /// Successful revocations.
    pub revoked: Vec<Revoked>,
    /// Failed `Logout` calls, and the first few reasons.
    pub errors: u64,
    /// Examples of the failures.
    pub examples: Vec<String>,
    /// From the first call to the last answer.
    pub elapsed: Duration,
}

/// Ends `sessions` with `Logout` on the auth service at `url`, one every `1 / rate` seconds
/// (at most `in_flight` at once, so a slow call delays the schedule rather than piling up),
/// on the client runtime.
pub async fn revoke_steadily(
    clients: &ClientRuntime,
    url: String,
    sessions: Vec<TokenPair>,
    rate: f64,
    in_flight: usize,
) -> Result<Revoking> {
    clients
        .spawn(async move {
            let client = AuthServiceClient::new(connect(&url).await?);
            let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate.max(1.0)));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let permits = Arc::new(Semaphore::new(in_flight.max(1)));
            let mut calls = JoinSet::new();
            let started = Instant::now();
            for pair in sessions {
                tick.tick().await;
                let permit = Arc::clone(&permits).acquire_owned().await?;
                let mut client = client.clone();
                calls.spawn(async move {
                    let mut request = tonic::Request::new(LogoutRequest {
                        refresh_token: pair.refresh_token,
                    });
                    request.set_timeout(CALL_TIMEOUT);
                    let result = client.logout(request).await;
                    drop(permit);
                    result.map(|_| Revoked {
                        sid: pair.session_id,
                        returned: Instant::now(),
                    })
                });
            }
            let mut outcome = Revoking::default();
            while let Some(done) = calls.join_next().await {
                match done? {
                    Ok(revoked) => outcome.revoked.push(revoked),
                    Err(status) => {
                        outcome.errors += 1;
                        let example = format!("Logout {:?}: {}", status.code(), status.message());
                        if outcome.examples.len() < 3 && !outcome.examples.contains(&example) {
                            outcome.examples.push(example);
                        }
                    }
                }
            }
            outcome.elapsed = started.elapsed();
            Ok(outcome)
        })
        .await?
}
