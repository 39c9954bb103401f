//! The stale-feed fallback: ask the auth service (`CheckRevocation`) about one token.
//!
//! Concurrent checks of the same token share calls, so a burst of requests with one token
//! costs the auth service a round trip or two, never one per request. A call's verdict is only
//! handed to requests that were already waiting when the call was sent: a request arriving
//! while a call is in flight waits for the next one, since the token may have been revoked
//! after the first was asked. Each token's calls are made by a task of their own, which owns
//! the token's entry in the map and removes it when nobody waits any more, so a request that
//! gives up (its client cancelled, its deadline passed) leaves nothing behind.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use futures::FutureExt as _;
use futures::future::BoxFuture;
use tokio::sync::watch;

use super::client::AuthClient;

/// What the auth service said about a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Neither the token nor its session is revoked.
    Clear,
    /// The token is revoked.
    TokenRevoked,
    /// The token's session is revoked.
    SessionRevoked,
    /// The auth service could not answer: fail closed.
    Unknown,
}

/// A token being checked: (`jti`, `sid`).
type Key = (String, String);

/// One question to the auth service; bounded by the client's deadline.
type Ask = Arc<dyn Fn(String, String) -> BoxFuture<'static, Verdict> + Send + Sync>;

/// Per token being checked, the requests waiting for the next call, not yet sent (`None`
/// while the only waiters are those of the call in flight). An entry exists exactly while
/// the token's asking task runs.
type Flights = Arc<Mutex<HashMap<Key, Option<watch::Sender<Option<Verdict>>>>>>;

/// Coalescing `CheckRevocation` caller.
pub struct Checker {
    ask: Ask,
    in_flight: Flights,
}

impl std::fmt::Debug for Checker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Checker").finish_non_exhaustive()
    }
}

fn lock(flights: &Flights) -> MutexGuard<'_, HashMap<Key, Option<watch::Sender<Option<Verdict>>>>> {
    // The map is only read and written whole under the lock; a panic cannot leave it torn.
    flights.lock().unwrap_or_else(|p| p.into_inner())
}

impl Checker {
    /// A checker asking the auth service through `client`.
    pub fn new(client: AuthClient) -> Self {
        Self::asking(move |jti, sid| ask(client.clone(), jti, sid).boxed())
    }

    /// A checker putting its questions to `ask`.
    fn asking(
        ask: impl Fn(String, String) -> BoxFuture<'static, Verdict> + Send + Sync + 'static,
    ) -> Self {
        Self {
            ask: Arc::new(ask),
            in_flight: Arc::default(),
        }
    }

    /// Asks about the token `jti` of session `sid`, sharing the next call about it with
    /// every request waiting for that token.
    pub async fn check(&self, jti: &str, sid: &str) -> Verdict {
        let key = (jti.to_owned(), sid.to_owned());
        let mut answer = {
            let mut in_flight = lock(&self.in_flight);
            match in_flight.get_mut(&key) {
                Some(Some(next)) => next.subscribe(),
                Some(next @ None) => {
                    let (waiters, answer) = watch::channel(None);
                    *next = Some(waiters);
                    answer
                }
                None => {
                    let (waiters, answer) = watch::channel(None);
                    in_flight.insert(key.clone(), Some(waiters));
                    let flight = Flight {
                        in_flight: Arc::clone(&self.in_flight),
                        key,
                        done: false,
                    };
                    // The call joins the trace of the request that started it (W3C context
                    // is injected from the current span).
                    let span = tracing::Span::current();
                    tokio::spawn(tracing::Instrument::instrument(
                        flight.run(Arc::clone(&self.ask)),
                        span,
                    ));
                    answer
                }
            }
        };
        match answer.wait_for(Option::is_some).await {
            Ok(verdict) => verdict.unwrap_or(Verdict::Unknown),
            // The asking task ended without an answer (only at shutdown): fail closed.
            Err(_) => Verdict::Unknown,
        }
    }

    /// How many tokens are being checked.
    #[cfg(test)]
    fn in_flight(&self) -> usize {
        lock(&self.in_flight).len()
    }
}

/// The task asking about one token, round after round, while requests wait for it. Owns the
/// token's entry: removes it when no request waits, or, if the task is dropped or panics,
/// when it goes.
struct Flight {
    in_flight: Flights,
    key: Key,
    /// Set once the entry was removed under the lock, so the drop leaves a later task's
    /// entry for the same token alone.
    done: bool,
}

impl Flight {
    async fn run(mut self, ask: Ask) {
        loop {
            let waiters = {
                let mut in_flight = lock(&self.in_flight);
                match in_flight.get_mut(&self.key).and_then(Option::take) {
                    Some(waiters) => waiters,
                    None => {
                        in_flight.remove(&self.key);
                        self.done = true;
                        return;
                    }
                }
            };
            if waiters.receiver_count() == 0 {
                continue; // Everyone who waited for this round gave up.
            }
            let verdict = ask(self.key.0.clone(), self.key.1.clone()).await;
            waiters.send_replace(Some(verdict));
        }
    }
}

impl Drop for Flight {
    fn drop(&mut self) {
        if !self.done {
            lock(&self.in_flight).remove(&self.key);
        }
    }
}

async fn ask(client: AuthClient, jti: String, sid: String) -> Verdict {
    match client
        .check_revocation(vec![jti.clone()], vec![sid.clone()])
        .await
    {
        Ok(answer) if answer.revoked_jtis.contains(&jti) => Verdict::TokenRevoked,
        Ok(answer) if answer.revoked_sids.contains(&sid) => Verdict::SessionRevoked,
        Ok(_) => Verdict::Clear,
        Err(status) => {
            tracing::warn!(code = ?status.code(), message = status.message(), "CheckRevocation failed; failing closed");
            Verdict::Unknown
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::sync::{mpsc, oneshot};

    use super::*;

    /// A checker whose questions arrive on the returned channel, to be answered by the test.
    fn checker() -> (
        Arc<Checker>,
        mpsc::UnboundedReceiver<oneshot::Sender<Verdict>>,
    ) {
        let (asked, questions) = mpsc::unbounded_channel();
        let checker = Checker::asking(move |_, _| {
            let (answer, verdict) = oneshot::channel();
            let _ = asked.send(answer);
            async move { verdict.await.unwrap_or(Verdict::Unknown) }.boxed()
        });
        (Arc::new(checker), questions)
    }

    fn check(checker: &Arc<Checker>) -> tokio::task::JoinHandle<Verdict> {
        let checker = Arc::clone(checker);
        tokio::spawn(async move { checker.check("j", "s").await })
    }

    /// The next question put to the auth service, to answer.
    async fn next_question(
        questions: &mut mpsc::UnboundedReceiver<oneshot::Sender<Verdict>>,
    ) -> oneshot::Sender<Verdict> {
        tokio::time::timeout(Duration::from_secs(5), questions.recv())
            .await
            .expect("a question is asked")
            .expect("the checker lives")
    }

    /// Lets spawned tasks run until nothing moves.
    async fn settle() {
        for _ in 0..20 {
            tokio::task::yield_now().await;
        }
    }

    #[tokio::test]
    async fn requests_waiting_before_the_call_share_it() {
        let (checker, mut questions) = checker();
        let (a, b) = (check(&checker), check(&checker));
        let question = next_question(&mut questions).await;
        settle().await;
        question.send(Verdict::TokenRevoked).unwrap();
        assert_eq!(a.await.unwrap(), Verdict::TokenRevoked);
        assert_eq!(b.await.unwrap(), Verdict::TokenRevoked);
        settle().await;
        assert!(questions.try_recv().is_err(), "one call for both");
        assert_eq!(checker.in_flight(), 0);
    }

    #[tokio::test]
    async fn a_request_arriving_after_the_call_was_sent_gets_a_verdict_of_its_own() {
        let (checker, mut questions) = checker();
        let first = check(&checker);
        let asked_first = next_question(&mut questions).await;
        // The token is revoked now, after the first call was asked.
        let second = check(&checker);
        settle().await;
        asked_first.send(Verdict::Clear).unwrap();
        assert_eq!(first.await.unwrap(), Verdict::Clear);
        let asked_second = next_question(&mut questions).await;
        asked_second.send(Verdict::TokenRevoked).unwrap();
        assert_eq!(second.await.unwrap(), Verdict::TokenRevoked);
        settle().await;
        assert_eq!(checker.in_flight(), 0);
    }

    #[tokio::test]
    async fn a_cancelled_request_leaves_no_entry_and_a_later_request_asks_again() {
        let (checker, mut questions) = checker();
        let waiting = check(&checker);
        let asked = next_question(&mut questions).await;
        waiting.abort(); // The client cancelled, or its deadline passed.
        assert!(waiting.await.unwrap_err().is_cancelled());
        let _ = asked.send(Verdict::Clear);
        settle().await;
        assert_eq!(checker.in_flight(), 0, "the entry went with the call");

        let later = check(&checker);
        let asked_again = next_question(&mut questions).await;
        asked_again.send(Verdict::SessionRevoked).unwrap();
        assert_eq!(later.await.unwrap(), Verdict::SessionRevoked);
        settle().await;
        assert_eq!(checker.in_flight(), 0);
    }
}
