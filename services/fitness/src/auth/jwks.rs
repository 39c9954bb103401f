//! The auth service's signing keys, cached: fetched over gRPC at start, refreshed
//! periodically, and refetched when a token names an unknown `kid` (at most once per
//! cooldown, so forged key ids cannot turn fitness into a load generator).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use jsonwebtoken::DecodingKey;
use shared::pb::auth::v1 as pb;
use tokio::sync::Mutex;
use tokio::time::Instant;

use super::client::AuthClient;
use crate::error::{Error, Result};

/// Verification keys by `kid`.
type KeyMap = HashMap<String, Arc<DecodingKey>>;

/// The cached JWK set.
pub struct Jwks {
    client: AuthClient,
    /// Read on every request, replaced wholesale on each successful fetch (retired keys stay
    /// in the auth service's set until their tokens expire, so replacing is safe).
    keys: RwLock<Arc<KeyMap>>,
    /// True once any fetch has succeeded: before that an unknown key means "cannot verify"
    /// (UNAVAILABLE), after it "not our key" (UNAUTHENTICATED).
    loaded: std::sync::atomic::AtomicBool,
    /// When the last on-demand refetch started; also serialises refetches.
    last_refetch: Mutex<Option<Instant>>,
    cooldown: Duration,
}

impl std::fmt::Debug for Jwks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Jwks")
            .field("kids", &self.current().keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Jwks {
    /// An empty cache; call [`refresh`](Self::refresh) to fill it.
    pub fn new(client: AuthClient, cooldown: Duration) -> Self {
        Self {
            client,
            keys: RwLock::new(Arc::new(KeyMap::new())),
            loaded: std::sync::atomic::AtomicBool::new(false),
            last_refetch: Mutex::new(None),
            cooldown,
        }
    }

    /// A cache holding the usable keys of `keys` as if just fetched on demand, so an unknown
    /// `kid` is refused for one `cooldown` without calling `client` (the fuzzing fixture).
    pub(crate) fn preloaded(
        client: AuthClient,
        cooldown: Duration,
        keys: pb::GetJwksResponse,
    ) -> Self {
        Self {
            keys: RwLock::new(Arc::new(parse(keys))),
            loaded: std::sync::atomic::AtomicBool::new(true),
            last_refetch: Mutex::new(Some(Instant::now())),
            ..Self::new(client, cooldown)
        }
    }

    fn current(&self) -> Arc<KeyMap> {
        // A poisoned lock only means a writer panicked mid-swap of an Arc; the value is whole.
        match self.keys.read() {
            Ok(keys) => Arc::clone(&keys),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Fetches the key set and replaces the cache.
    #[tracing::instrument(skip_all)]
    pub async fn refresh(&self) -> std::result::Result<usize, tonic::Status> {
        let response = self.client.get_jwks().await?;
        let keys = parse(response);
        let count = keys.len();
        match self.keys.write() {
            Ok(mut slot) => *slot = Arc::new(keys),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(keys),
        }
        self.loaded
            .store(true, std::sync::atomic::Ordering::Release);
        tracing::debug!(keys = count, "signing keys refreshed");
        Ok(count)
    }

    /// The key named `kid`, refetching the set once per cooldown when it is unknown.
    pub async fn key(&self, kid: &str) -> Result<Arc<DecodingKey>> {
        if let Some(key) = self.current().get(kid) {
            return Ok(Arc::clone(key));
        }
        let mut last = self.last_refetch.lock().await;
        // Another request may have refetched while this one waited.
        if let Some(key) = self.current().get(kid) {
            return Ok(Arc::clone(key));
        }
        let loaded = self.loaded.load(std::sync::atomic::Ordering::Acquire);
        if loaded && last.is_some_and(|at| at.elapsed() < self.cooldown) {
            return Err(Error::Unauthenticated("UNKNOWN_SIGNING_KEY"));
        }
        *last = Some(Instant::now());
        match self.refresh().await {
            Ok(_) => self
                .current()
                .get(kid)
                .cloned()
                .ok_or(Error::Unauthenticated("UNKNOWN_SIGNING_KEY")),
            Err(status) => {
                tracing::warn!(code = ?status.code(), "cannot fetch the signing keys");
                if self.loaded.load(std::sync::atomic::Ordering::Acquire) {
                    Err(Error::Unauthenticated("UNKNOWN_SIGNING_KEY"))
                } else {
                    Err(Error::Unavailable("SIGNING_KEYS_UNAVAILABLE"))
                }
            }
        }
    }
}

/// The usable Ed25519 keys of a JWK set; anything else is skipped with a warning.
fn parse(response: pb::GetJwksResponse) -> KeyMap {
    let mut keys = KeyMap::new();
    for jwk in response.keys {
        let usable = jwk.kty == "OKP"
            && jwk.crv == "Ed25519"
            && (jwk.alg.is_empty() || jwk.alg == "EdDSA")
            && (jwk.r#use.is_empty() || jwk.r#use == "sig")
            && !jwk.kid.is_empty();
        if !usable {
            tracing::warn!(kid = %jwk.kid, kty = %jwk.kty, crv = %jwk.crv, "skipping a JWK that is not an Ed25519 signing key");
            continue;
        }
        match DecodingKey::from_ed_components(&jwk.x) {
            Ok(key) => {
                keys.insert(jwk.kid, Arc::new(key));
            }
            Err(err) => tracing::warn!(kid = %jwk.kid, error = %err, "skipping an unreadable JWK"),
        }
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwk(kid: &str, kty: &str, x: &str) -> pb::Jwk {
        pb::Jwk {
            kty: kty.into(),
            crv: "Ed25519".into(),
            x: x.into(),
            kid: kid.into(),
            alg: "EdDSA".into(),
            r#use: "sig".into(),
        }
    }

    #[test]
    fn only_ed25519_signing_keys_are_kept() {
        let x = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
        let keys = parse(pb::GetJwksResponse {
            keys: vec![
                jwk("a", "OKP", x),
                jwk("b", "RSA", x),
                jwk("c", "OKP", "%%%"),
            ],
        });
        assert_eq!(keys.keys().collect::<Vec<_>>(), ["a"]);
    }
}
