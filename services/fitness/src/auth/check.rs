//! The stale-feed fallback: ask the auth service (`CheckRevocation`) about one token.
//! Concurrent checks of the same token share one call, so a burst of requests with one token
//! costs the auth service one round trip.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures::FutureExt as _;
use futures::future::{BoxFuture, Shared};

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

type Check = Shared<BoxFuture<'static, Verdict>>;

/// Coalescing `CheckRevocation` caller.
pub struct Checker {
    client: AuthClient,
    /// In-flight checks by (`jti`, `sid`).
    in_flight: Mutex<HashMap<(String, String), Check>>,
}

impl std::fmt::Debug for Checker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Checker").finish_non_exhaustive()
    }
}

impl Checker {
    /// A checker over `client`.
    pub fn new(client: AuthClient) -> Self {
        Self {
            client,
            in_flight: Mutex::new(HashMap::new()),
        }
    }

    /// Asks about the token `jti` of session `sid`, joining an identical check in flight.
    pub async fn check(self: &Arc<Self>, jti: &str, sid: &str) -> Verdict {
        let key = (jti.to_owned(), sid.to_owned());
        let check = {
            let mut in_flight = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
            in_flight
                .entry(key.clone())
                .or_insert_with(|| {
                    let client = self.client.clone();
                    let (jti, sid) = key.clone();
                    ask(client, jti, sid).boxed().shared()
                })
                .clone()
        };
        let verdict = check.clone().await;
        let mut in_flight = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
        if in_flight.get(&key).is_some_and(|c| c.ptr_eq(&check)) {
            in_flight.remove(&key);
        }
        verdict
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
