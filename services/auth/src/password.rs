//! Password hashing with Argon2id on a bounded blocking pool.
//!
//! Hashing is deliberately slow, so it runs on Tokio's blocking threads, at most
//! `STRIDE_PASSWORD_HASH_CONCURRENCY` at a time: a login storm queues here instead of taking
//! every thread the rest of the service needs. An unknown user is checked against a dummy
//! hash made with the same parameters, so it costs what a wrong password costs.

use std::sync::Arc;

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;
use zeroize::Zeroizing;

use crate::config::PasswordConfig;
use crate::error::{Error, Result};

/// The result of checking a password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verification {
    /// The password matches the stored hash.
    pub matches: bool,
    /// The stored hash was made with other parameters: store a fresh one.
    pub needs_rehash: bool,
}

/// Argon2id hashing behind a semaphore. Cheap to clone.
#[derive(Clone)]
pub struct Hasher {
    params: Params,
    permits: Arc<Semaphore>,
    /// A hash of a random password with the current parameters, verified against when the
    /// user does not exist so both paths cost the same.
    dummy: Arc<str>,
}

impl std::fmt::Debug for Hasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hasher")
            .field("m_cost", &self.params.m_cost())
            .field("t_cost", &self.params.t_cost())
            .field("p_cost", &self.params.p_cost())
            .finish()
    }
}

impl Hasher {
    /// A hasher with the configured parameters; computes the dummy hash once.
    pub async fn new(config: &PasswordConfig) -> Result<Self> {
        let params = Params::new(
            config.memory_kib,
            config.iterations,
            config.parallelism,
            None,
        )
        .map_err(Error::internal)?;
        let mut hasher = Self {
            params,
            permits: Arc::new(Semaphore::new(config.hash_concurrency.max(1))),
            dummy: Arc::from(""),
        };
        let random = Zeroizing::new(crate::new_id());
        hasher.dummy = Arc::from(hasher.hash(random).await?.as_str());
        Ok(hasher)
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    /// Hashes `password` into a PHC string.
    pub async fn hash(&self, password: Zeroizing<String>) -> Result<String> {
        let argon2 = self.argon2();
        self.blocking(move || {
            let salt = SaltString::generate(&mut rand::rngs::OsRng);
            argon2
                .hash_password(password.as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(Error::internal)
        })
        .await
    }

    /// Checks `password` against `stored`, or against the dummy hash when there is no user
    /// (then `matches` is always false).
    pub async fn verify(
        &self,
        password: Zeroizing<String>,
        stored: Option<String>,
    ) -> Result<Verification> {
        let argon2 = self.argon2();
        let known = stored.is_some();
        let hash = stored.unwrap_or_else(|| self.dummy.to_string());
        let params = self.params.clone();
        self.blocking(move || {
            let Ok(parsed) = PasswordHash::new(&hash) else {
                // An unparsable stored hash never matches; the caller sees wrong credentials.
                tracing::error!("a stored password hash is not a PHC string");
                return Ok(Verification {
                    matches: false,
                    needs_rehash: false,
                });
            };
            let matches = argon2.verify_password(password.as_bytes(), &parsed).is_ok() && known;
            Ok(Verification {
                matches,
                needs_rehash: matches && !current(&parsed, &params),
            })
        })
        .await
    }

    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| Error::internal("password hashing pool closed"))?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(Error::internal)?
    }
}

/// True when `hash` is Argon2id v0x13 with exactly `params`.
fn current(hash: &PasswordHash<'_>, params: &Params) -> bool {
    let Ok(stored) = Params::try_from(hash) else {
        return false;
    };
    hash.algorithm == Algorithm::Argon2id.ident()
        && hash.version == Some(Version::V0x13.into())
        && stored.m_cost() == params.m_cost()
        && stored.t_cost() == params.t_cost()
        && stored.p_cost() == params.p_cost()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(memory_kib: u32) -> PasswordConfig {
        PasswordConfig {
            memory_kib,
            iterations: 1,
            parallelism: 1,
            hash_concurrency: 1,
            min_length: 12,
            max_length: 128,
            min_score: 3,
        }
    }

    #[tokio::test]
    async fn a_hash_verifies_its_password_and_asks_for_rehash_when_params_change() {
        let cheap = Hasher::new(&config(1024)).await.unwrap();
        let hash = cheap
            .hash(Zeroizing::new("a long passphrase".into()))
            .await
            .unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=1024,t=1,p=1$"));
        let ok = cheap
            .verify(
                Zeroizing::new("a long passphrase".into()),
                Some(hash.clone()),
            )
            .await
            .unwrap();
        assert_eq!(
            ok,
            Verification {
                matches: true,
                needs_rehash: false
            }
        );
        let wrong = cheap
            .verify(Zeroizing::new("another one".into()), Some(hash.clone()))
            .await
            .unwrap();
        assert!(!wrong.matches);
        let stronger = Hasher::new(&config(2048)).await.unwrap();
        let again = stronger
            .verify(Zeroizing::new("a long passphrase".into()), Some(hash))
            .await
            .unwrap();
        assert!(again.matches && again.needs_rehash);
        let nobody = stronger
            .verify(Zeroizing::new("a long passphrase".into()), None)
            .await
            .unwrap();
        assert!(!nobody.matches);
    }
}
