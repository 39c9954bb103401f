//! The courier: one per replica. Each round it settles expired leases, claims a batch of due
//! messages and sends them one at a time, recording each outcome in its own short transaction
//! (no transaction is open while it talks to a mail server). It waits between rounds until
//! woken by a commit that queued mail, the next retry falls due, or the poll interval passes
//! (messages queued by other replicas).
//!
//! Outcomes are counted in `stride_mail_sent_total{outcome}`: `sent`, `retry` (declined for
//! now, queued again), `failed` (refused, out of attempts, or not composable) and
//! `interrupted` (given up because the outcome is unknown: the exchange broke after the body
//! was handed over, or a courier's lease ran out mid-send).

use std::time::Duration;

use rand::Rng as _;
use shared::db::Db;
use shared::time::Micros;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::compose::compose;
use super::config::MailConfig;
use super::transport::{SendError, Transport};
use crate::clock::{Clock, micros};
use crate::error::Result;
use crate::store::mail_outbox::{self as store, ClaimedRow};

/// Rows settled or swept per statement, so no statement holds the writer long.
const SETTLE_BATCH: i64 = 500;

/// The shortest wait between rounds that claimed less than a batch.
const MIN_PAUSE: Duration = Duration::from_millis(10);

/// How often finished messages older than the retention are swept.
const SWEEP_INTERVAL: Duration = Duration::from_secs(3600);

/// What a courier records for a message whose courier stopped mid-send.
const INTERRUPTED: &str = "the courier stopped while sending (its lease expired): the server may have the message, \
     so it is not sent again";

/// The mail tasks of one replica: the sweep (aborted with the other background tasks) and the
/// courier, which stops gracefully ([`Running::stop`]).
#[derive(Debug)]
pub(crate) struct Running {
    /// The sweep.
    pub tasks: Vec<JoinHandle<()>>,
    courier: Option<(watch::Sender<bool>, JoinHandle<()>)>,
}

impl Running {
    /// Whether a courier runs (a transport is configured).
    #[cfg(test)]
    pub(crate) fn has_courier(&self) -> bool {
        self.courier.is_some()
    }

    /// Stops the courier after the message it is sending, if any (bounded by `wait`, which
    /// should cover one SMTP exchange): messages it claimed but had not started go back to
    /// the queue at once, and none is cut off mid-send, which would have to be given up.
    pub(crate) async fn stop(&mut self, wait: Duration) {
        let Some((stop, task)) = self.courier.take() else {
            return;
        };
        let _ = stop.send(true);
        let abort = task.abort_handle();
        if tokio::time::timeout(wait, task).await.is_err() {
            tracing::warn!("the mail courier did not stop in time; aborting it");
            abort.abort();
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
        if let Some((_, task)) = &self.courier {
            task.abort();
        }
    }
}

/// Starts the sweep and, when a transport is configured, the courier.
pub(crate) fn start(db: &Db, clock: &Clock, config: &MailConfig) -> Running {
    let tasks = vec![tokio::spawn(sweep_every(
        db.clone(),
        clock.clone(),
        config.retention,
    ))];
    match Transport::new(config) {
        None => tracing::warn!(
            "no mail transport is configured (STRIDE_SMTP_URL or STRIDE_MAIL_DIR): messages \
             stay queued until one is"
        ),
        Some(Err(reason)) => {
            tracing::error!(%reason, "cannot start the mail courier: messages stay queued");
        }
        Some(Ok(transport)) => {
            let courier = Courier::new(db.clone(), clock.clone(), config.clone(), transport);
            tracing::info!(transport = %courier.transport.describe(), "mail courier started");
            let (stop, stopping) = watch::channel(false);
            let task = tokio::spawn(courier.run_until(super::wake_ups(), stopping));
            return Running {
                tasks,
                courier: Some((stop, task)),
            };
        }
    }
    Running {
        tasks,
        courier: None,
    }
}

/// Sends queued messages for one replica.
#[derive(Debug)]
pub(crate) struct Courier {
    db: Db,
    clock: Clock,
    config: MailConfig,
    transport: Transport,
    /// This courier's name on its leases, unique per start.
    owner: String,
}

/// What the courier did with one claimed message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Accepted by the server.
    Sent,
    /// Declined for now: queued again.
    Retry,
    /// Given up: refused, out of attempts, or not composable.
    Failed,
    /// Given up: the server may have it.
    Interrupted,
    /// Not sent: the claim was lost to an expired lease.
    Skipped,
}

impl Outcome {
    fn label(self) -> &'static str {
        match self {
            Outcome::Sent => "sent",
            Outcome::Retry => "retry",
            Outcome::Failed => "failed",
            Outcome::Interrupted => "interrupted",
            Outcome::Skipped => "skipped",
        }
    }
}

impl Courier {
    /// A courier over `db` sending through `transport`.
    pub(crate) fn new(db: Db, clock: Clock, config: MailConfig, transport: Transport) -> Self {
        Self {
            db,
            clock,
            config,
            transport,
            owner: crate::new_id(),
        }
    }

    /// Runs rounds until the task is aborted (tests; the app uses [`run_until`](Self::run_until)).
    #[cfg(test)]
    pub(crate) async fn run(self, wake: watch::Receiver<u64>) {
        let (_keep, never) = watch::channel(false);
        self.run_until(wake, never).await;
    }

    /// Runs rounds until `stopping` turns true: then finishes the message being sent, returns
    /// its other claims to the queue and ends.
    pub(crate) async fn run_until(
        self,
        mut wake: watch::Receiver<u64>,
        mut stopping: watch::Receiver<bool>,
    ) {
        loop {
            if *stopping.borrow() {
                self.release().await;
                return;
            }
            let pause = match self.round_until(&stopping).await {
                Ok(claimed) if claimed >= self.batch() => Duration::ZERO,
                // At least a moment: a due row another replica is claiming right now is
                // skipped, not waited for, and must not make this loop spin.
                Ok(_) => self.until_next_due().await.max(MIN_PAUSE),
                Err(err) => {
                    tracing::warn!(error = %err, "mail courier round failed");
                    self.config.poll_interval
                }
            };
            if pause.is_zero() {
                continue;
            }
            tokio::select! {
                // The sender is a static that never closes; an error could only repeat.
                _ = wake.changed() => {}
                _ = stopping.changed() => {}
                () = tokio::time::sleep(pause) => {}
            }
        }
    }

    /// Returns this courier's unstarted claims to the queue.
    pub(crate) async fn release(&self) {
        let released = async {
            let mut tx = self.db.begin().await?;
            let released = store::release_claims(&mut tx, &self.owner).await?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>(released)
        };
        match released.await {
            Ok(0) => {}
            Ok(released) => tracing::info!(released, "mail courier stopping: claims released"),
            Err(err) => {
                tracing::warn!(error = %err, "cannot release mail claims; their lease will")
            }
        }
        tracing::info!("mail courier stopped");
    }

    fn batch(&self) -> usize {
        usize::try_from(self.config.batch_size.max(1)).unwrap_or(1)
    }

    /// How long to wait for the next queued message to fall due, at most the poll interval.
    async fn until_next_due(&self) -> Duration {
        let poll = self.config.poll_interval;
        let next = match self.db.read().await {
            Ok(mut conn) => store::next_due(&mut conn).await.ok().flatten(),
            Err(_) => None,
        };
        match next {
            None => poll,
            Some(due) => {
                let wait = due.saturating_sub(self.clock.now()).max(0);
                Duration::from_micros(u64::try_from(wait).unwrap_or(0)).min(poll)
            }
        }
    }

    /// One round: settles expired leases, claims due messages and sends them. Returns how
    /// many were claimed.
    #[cfg(test)]
    pub(crate) async fn round(&self) -> Result<usize> {
        let (_keep, never) = watch::channel(false);
        self.round_until(&never).await
    }

    /// [`round`](Self::round), sending no further message once `stopping` is true.
    pub(crate) async fn round_until(&self, stopping: &watch::Receiver<bool>) -> Result<usize> {
        let now = self.clock.now();
        let lease_until = now.saturating_add(micros(self.config.lease));
        let mut tx = self.db.begin().await?;
        let requeued = store::requeue_expired_claims(&mut tx, now, SETTLE_BATCH).await?;
        let interrupted =
            store::fail_expired_sends(&mut tx, now, INTERRUPTED, SETTLE_BATCH).await?;
        let claimed = store::claim_due(
            &mut tx,
            self.db.backend(),
            &self.owner,
            now,
            lease_until,
            i64::from(self.config.batch_size.max(1)),
        )
        .await?;
        tx.commit().await?;
        if requeued > 0 {
            tracing::info!(
                requeued,
                "queued again mail whose courier stopped before sending"
            );
        }
        if interrupted > 0 {
            metrics::counter!("stride_mail_sent_total", "outcome" => Outcome::Interrupted.label())
                .increment(interrupted);
            tracing::error!(interrupted, "gave up mail whose courier stopped mid-send");
        }
        let count = claimed.len();
        for row in claimed {
            if *stopping.borrow() {
                // The rest stay claimed until `run_until` releases them.
                break;
            }
            let outcome = self.deliver(&row).await;
            if outcome != Outcome::Skipped {
                metrics::counter!("stride_mail_sent_total", "outcome" => outcome.label())
                    .increment(1);
            }
        }
        Ok(count)
    }

    /// Sends one claimed message and records what became of it. Database errors are logged:
    /// the lease settles the row later (see `crate::mail`).
    async fn deliver(&self, row: &ClaimedRow) -> Outcome {
        match self.try_deliver(row).await {
            Ok(outcome) => outcome,
            Err(err) => {
                tracing::warn!(id = %row.id, error = %err, "cannot record a mail outcome");
                Outcome::Skipped
            }
        }
    }

    async fn try_deliver(&self, row: &ClaimedRow) -> Result<Outcome> {
        let (id, template) = (row.id.as_str(), row.template.as_str());
        let message = match compose(row, &self.config) {
            Ok(message) => message,
            Err(reason) => {
                tracing::error!(id, template, %reason, "gave up a mail that cannot be composed");
                self.give_up(id, &reason).await?;
                return Ok(Outcome::Failed);
            }
        };
        let lease_until = self.clock.now().saturating_add(micros(self.config.lease));
        let mut tx = self.db.begin().await?;
        let attempts = store::begin_sending(&mut tx, id, &self.owner, lease_until).await?;
        tx.commit().await?;
        let Some(attempts) = attempts else {
            tracing::debug!(id, "lost the claim on a mail before sending it");
            return Ok(Outcome::Skipped);
        };
        let outcome = match self.transport.send(id, &message).await {
            Ok(()) => {
                let mut tx = self.db.begin().await?;
                let recorded = store::mark_sent(&mut tx, id, &self.owner, self.clock.now()).await?;
                tx.commit().await?;
                if !recorded {
                    tracing::warn!(
                        id,
                        "a mail was sent but its row is no longer this courier's"
                    );
                }
                tracing::info!(id, template, attempts, "mail sent");
                Outcome::Sent
            }
            Err(SendError::Retry(reason)) if attempts < i64::from(self.config.max_attempts) => {
                let delay = backoff(&self.config, attempts, rand::thread_rng().r#gen());
                tracing::warn!(id, template, attempts, %reason, retry_in = ?delay, "mail not sent; will retry");
                let at = self.clock.now().saturating_add(micros(delay));
                let mut tx = self.db.begin().await?;
                store::retry_later(&mut tx, id, &self.owner, at, &reason).await?;
                tx.commit().await?;
                Outcome::Retry
            }
            Err(SendError::Retry(reason)) => {
                let reason = format!("gave up after {attempts} attempts: {reason}");
                tracing::error!(id, template, %reason, "mail given up");
                self.give_up(id, &reason).await?;
                Outcome::Failed
            }
            Err(SendError::Refused(reason)) => {
                tracing::error!(id, template, %reason, "mail refused; given up");
                self.give_up(id, &reason).await?;
                Outcome::Failed
            }
            Err(SendError::Unknown(reason)) => {
                let reason = format!("outcome unknown, not sent again: {reason}");
                tracing::error!(id, template, %reason, "mail may or may not have been delivered");
                self.give_up(id, &reason).await?;
                Outcome::Interrupted
            }
        };
        Ok(outcome)
    }

    /// Gives the message up (scrubbing its parameters) in a transaction of its own.
    async fn give_up(&self, id: &str, reason: &str) -> Result<()> {
        let mut tx = self.db.begin().await?;
        store::give_up(&mut tx, id, &self.owner, self.clock.now(), reason).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The wait after `attempts` failed attempts: the base doubled per further attempt, capped at
/// the maximum, then "equal jitter" (between half and all of it, by `jitter` in 0..1) so
/// replicas retrying the same outage do not stay in step.
pub(crate) fn backoff(config: &MailConfig, attempts: i64, jitter: f64) -> Duration {
    let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
    let full = config
        .retry_base
        .saturating_mul(2_u32.saturating_pow(doublings))
        .min(config.retry_max);
    full / 2 + full.mul_f64(jitter.clamp(0.0, 1.0) / 2.0)
}

/// Deletes sent and given-up messages finished more than `retention` before `now`, in
/// bounded batches; how many went.
pub(crate) async fn sweep(db: &Db, now: Micros, retention: Duration) -> Result<u64> {
    let before = now.saturating_sub(micros(retention));
    let mut total = 0;
    loop {
        let mut tx = db.begin().await?;
        let deleted = store::delete_finished_before(&mut tx, before, SETTLE_BATCH).await?;
        tx.commit().await?;
        total += deleted;
        if deleted < SETTLE_BATCH.unsigned_abs() {
            return Ok(total);
        }
    }
}

/// Sweeps every [`SWEEP_INTERVAL`], the first time one interval after start.
async fn sweep_every(db: Db, clock: Clock, retention: Duration) {
    let mut tick = tokio::time::interval(SWEEP_INTERVAL);
    tick.tick().await;
    loop {
        tick.tick().await;
        match sweep(&db, clock.now(), retention).await {
            Ok(0) => {}
            Ok(deleted) => tracing::info!(deleted, "swept finished mail"),
            Err(err) => tracing::warn!(error = %err, "cannot sweep finished mail"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_the_base_up_to_the_maximum_with_jitter() {
        let mut config = MailConfig::for_tests();
        config.retry_base = Duration::from_secs(30);
        config.retry_max = Duration::from_secs(600);
        let at = |attempts, jitter| backoff(&config, attempts, jitter);
        assert_eq!(at(1, 1.0), Duration::from_secs(30));
        assert_eq!(at(1, 0.0), Duration::from_secs(15));
        assert_eq!(at(2, 1.0), Duration::from_secs(60));
        assert_eq!(at(3, 1.0), Duration::from_secs(120));
        assert_eq!(at(5, 1.0), Duration::from_secs(480));
        assert_eq!(at(6, 1.0), Duration::from_secs(600));
        assert_eq!(at(60, 0.5), Duration::from_secs(450));
        assert_eq!(at(0, 1.0), Duration::from_secs(30));
        assert_eq!(at(i64::MAX, 1.0), Duration::from_secs(600));
    }
}
