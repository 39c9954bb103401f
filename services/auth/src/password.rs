//! Password work off the async workers, every queue bounded: Argon2id hashing and zxcvbn
//! strength judging.
//!
//! Hashing is deliberately slow, so it runs on Tokio's blocking threads, at most
//! `STRIDE_PASSWORD_HASH_CONCURRENCY` at a time: a login storm queues here instead of taking
//! every thread the rest of the service needs. A request waits at most
//! `STRIDE_PASSWORD_QUEUE_WAIT` for its turn, then gets RESOURCE_EXHAUSTED with `RetryInfo`.
//! New accounts may hold at most half of the hashing permits, so a registration flood cannot
//! starve logins. An unknown user is checked against a dummy hash made with the same
//! parameters, so it costs what a wrong password costs.
//!
//! Each hash needs `STRIDE_ARGON2_MEMORY_KIB` of working memory (19 MiB by default). While
//! hashes follow one another (a burst of logins) the buffers are reused, at most one per
//! hashing permit ([`Memory`]): allocating per hash costs page faults and zeroing on every
//! login. When the last running hash ends they go back to the allocator, so an idle service
//! holds none.
//!
//! zxcvbn's cost grows steeply with a password's length and its distinct look-alike symbols
//! (`4@8({[<…`: every one multiplies the substitutions it tries; 19 of them cost a quarter of a
//! second). It judges at most the first [`JUDGED_CHARS`] characters holding at most
//! [`JUDGED_LOOKALIKES`] distinct look-alikes, which bounds one judgement to milliseconds, on
//! one blocking thread at a time. Judging a prefix can only be stricter than judging the whole.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
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

/// Most characters of a new password zxcvbn judges.
pub(crate) const JUDGED_CHARS: usize = 64;
/// Most distinct look-alike symbols (zxcvbn's l33t table) in the judged part.
pub(crate) const JUDGED_LOOKALIKES: usize = 10;
/// The symbols zxcvbn reads as letters (`4` as `a`, `$` as `s`, …).
const LOOKALIKES: &str = "4@8({[<3691!|70$5+%2";

/// Password hashing and judging behind bounded queues. Cheap to clone.
#[derive(Clone)]
pub struct Hasher {
    params: Params,
    permits: Arc<Semaphore>,
    /// At most half of `permits` for new accounts' hashes, so logins always get a turn.
    registrations: Arc<Semaphore>,
    /// One zxcvbn judgement at a time.
    judging: Arc<Semaphore>,
    /// How long a request waits for its turn before RESOURCE_EXHAUSTED.
    queue_wait: Duration,
    /// A hash of a random password with the current parameters, verified against when the
    /// user does not exist so both paths cost the same.
    dummy: Arc<str>,
    /// Argon2 working memory, reused between hashes.
    memory: Arc<Memory>,
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
        let permits = config.hash_concurrency.max(1);
        let blocks = params.block_count();
        let mut hasher = Self {
            params,
            permits: Arc::new(Semaphore::new(permits)),
            registrations: Arc::new(Semaphore::new((permits / 2).max(1))),
            judging: Arc::new(Semaphore::new(1)),
            queue_wait: config.queue_wait,
            dummy: Arc::from(""),
            memory: Arc::new(Memory::new(blocks)),
        };
        let random = Zeroizing::new(crate::new_id());
        hasher.dummy = Arc::from(hasher.hash(random).await?.as_str());
        Ok(hasher)
    }

    /// Hashes `password` into a PHC string.
    pub async fn hash(&self, password: Zeroizing<String>) -> Result<String> {
        let params = self.params.clone();
        let memory = Arc::clone(&self.memory);
        self.blocking(move || hash_phc(&params, &memory, password.as_bytes()))
            .await
    }

    /// Hashes the password of a new account: as [`hash`](Self::hash), within the share of
    /// the pool new accounts may hold.
    pub async fn hash_new(&self, password: Zeroizing<String>) -> Result<String> {
        let _share = self
            .turn(&self.registrations, "register", "PASSWORD_HASHING_BUSY")
            .await?;
        self.hash(password).await
    }

    /// Judges a new password's strength with zxcvbn against `user_inputs` (words it must not
    /// be made of): `Ok(Err(why))` below `min_score`. Bounded in cost (see the module docs).
    pub(crate) async fn judge(
        &self,
        password: Zeroizing<String>,
        user_inputs: Vec<String>,
        min_score: u8,
    ) -> Result<std::result::Result<(), String>> {
        let _turn = self
            .turn(&self.judging, "judge", "PASSWORD_CHECK_BUSY")
            .await?;
        tokio::task::spawn_blocking(move || {
            let judged = Zeroizing::new(judged_part(&password).to_owned());
            let inputs: Vec<String> = user_inputs
                .iter()
                .filter(|s| !s.is_empty())
                .map(|s| s.to_lowercase())
                .collect();
            let inputs: Vec<&str> = inputs.iter().map(String::as_str).collect();
            let score = zxcvbn::zxcvbn(&judged, &inputs).score() as u8;
            if score < min_score {
                Err("is too easy to guess; use a longer, less common passphrase".to_owned())
            } else {
                Ok(())
            }
        })
        .await
        .map_err(Error::internal)
    }

    /// Checks `password` against `stored`, or against the dummy hash when there is no user
    /// (then `matches` is always false).
    pub async fn verify(
        &self,
        password: Zeroizing<String>,
        stored: Option<String>,
    ) -> Result<Verification> {
        let memory = Arc::clone(&self.memory);
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
            let matches = verify_phc(&parsed, &memory, password.as_bytes()) && known;
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
            .turn(&self.permits, "hash", "PASSWORD_HASHING_BUSY")
            .await?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(Error::internal)?
    }

    /// A permit of `queue`, waited for at most `queue_wait`; then RESOURCE_EXHAUSTED with
    /// `reason` and a `RetryInfo` of that wait. The callers waiting and the wait itself are
    /// recorded as `stride_password_queue_depth` and `stride_password_wait_seconds`, labelled
    /// `queue` with `name` (`hash`, `register`, `judge`).
    async fn turn<'a>(
        &self,
        queue: &'a Semaphore,
        name: &'static str,
        reason: &'static str,
    ) -> Result<tokio::sync::SemaphorePermit<'a>> {
        let waiting = Waiting::start(name);
        let outcome = tokio::time::timeout(self.queue_wait, queue.acquire()).await;
        drop(waiting);
        match outcome {
            Ok(Ok(permit)) => Ok(permit),
            Ok(Err(_)) => Err(Error::internal("password pool closed")),
            Err(_) => Err(Error::RetryLater {
                reason,
                retry_after: self.queue_wait.max(Duration::from_secs(1)),
            }),
        }
    }
}

/// One caller waiting for a password queue, counted until it stops waiting (also when its
/// request is cancelled mid-wait).
struct Waiting {
    queue: &'static str,
    since: std::time::Instant,
}

impl Waiting {
    fn start(queue: &'static str) -> Self {
        metrics::gauge!("stride_password_queue_depth", "queue" => queue).increment(1.0);
        Self {
            queue,
            since: std::time::Instant::now(),
        }
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        metrics::gauge!("stride_password_queue_depth", "queue" => self.queue).decrement(1.0);
        metrics::histogram!("stride_password_wait_seconds", "queue" => self.queue)
            .record(self.since.elapsed().as_secs_f64());
    }
}

/// Argon2 working memory kept while hashes follow one another: a buffer goes back to the
/// allocator when the last hash running ends, so an idle service holds none, and a burst of
/// logins reuses at most one buffer per hash running at once (the hashing permits bound
/// that), each of the configured size.
#[derive(Debug)]
struct Memory {
    /// Blocks per buffer (the configured memory cost).
    blocks: usize,
    state: std::sync::Mutex<Kept>,
}

#[derive(Debug, Default)]
struct Kept {
    /// Buffers not in use.
    free: Vec<Vec<Block>>,
    /// Hashes running now.
    running: usize,
}

impl Memory {
    fn new(blocks: usize) -> Self {
        Self {
            blocks,
            state: std::sync::Mutex::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Kept> {
        // Plain values: a panic elsewhere cannot leave them half-written.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `work` on `blocks` blocks: a kept buffer when the size is the configured one, a
    /// fresh one (not kept) for a stored hash made with other parameters.
    fn with<T>(&self, blocks: usize, work: impl FnOnce(&mut [Block]) -> T) -> T {
        if blocks != self.blocks {
            return work(&mut vec![Block::default(); blocks]);
        }
        let kept = {
            let mut state = self.lock();
            state.running += 1;
            state.free.pop()
        };
        let mut buffer = kept.unwrap_or_else(|| vec![Block::default(); blocks]);
        let result = work(&mut buffer);
        // Dropped after the lock is released.
        let _released = {
            let mut state = self.lock();
            state.running -= 1;
            if state.running == 0 {
                let mut all = std::mem::take(&mut state.free);
                all.push(buffer);
                all
            } else {
                state.free.push(buffer);
                Vec::new()
            }
        };
        result
    }

    /// Buffers kept now.
    #[cfg(test)]
    fn kept(&self) -> usize {
        self.lock().free.len()
    }
}

/// Hashes `password` with a fresh salt into a PHC string (Argon2id v0x13, `params`), the
/// string `PasswordHasher::hash_password` would give, in reused working memory.
fn hash_phc(params: &Params, memory: &Memory, password: &[u8]) -> Result<String> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    let mut salt_buf = [0u8; 64];
    let salt_bytes = salt.decode_b64(&mut salt_buf).map_err(Error::internal)?;
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let mut out = Zeroizing::new([0u8; Params::DEFAULT_OUTPUT_LEN]);
    memory
        .with(params.block_count(), |blocks| {
            argon2.hash_password_into_with_memory(password, salt_bytes, &mut out[..], blocks)
        })
        .map_err(Error::internal)?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(params).map_err(Error::internal)?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out[..]).map_err(Error::internal)?),
    };
    Ok(phc.to_string())
}

/// True when `password` hashes to `stored` with the algorithm, version, parameters and salt
/// `stored` names (compared in constant time), in reused working memory.
fn verify_phc(stored: &PasswordHash<'_>, memory: &Memory, password: &[u8]) -> bool {
    let (Ok(algorithm), Ok(params), Some(salt), Some(expected)) = (
        Algorithm::try_from(stored.algorithm),
        Params::try_from(stored),
        stored.salt,
        stored.hash,
    ) else {
        return false;
    };
    let version = match stored.version.map(Version::try_from) {
        None => Version::V0x13,
        Some(Ok(version)) => version,
        Some(Err(_)) => return false,
    };
    let mut salt_buf = [0u8; 64];
    let Ok(salt_bytes) = salt.decode_b64(&mut salt_buf) else {
        return false;
    };
    let argon2 = Argon2::new(algorithm, version, params.clone());
    let mut out = Zeroizing::new(vec![0u8; expected.len()]);
    let hashed = memory.with(params.block_count(), |blocks| {
        argon2.hash_password_into_with_memory(password, salt_bytes, &mut out[..], blocks)
    });
    // `Output`'s equality is constant time.
    hashed.is_ok() && Output::new(&out[..]).is_ok_and(|computed| computed == expected)
}

/// The part of a password zxcvbn judges: its longest prefix of at most [`JUDGED_CHARS`]
/// characters holding at most [`JUDGED_LOOKALIKES`] distinct look-alike symbols.
pub(crate) fn judged_part(password: &str) -> &str {
    let mut seen = HashSet::new();
    for (count, (at, c)) in password.char_indices().enumerate() {
        if count == JUDGED_CHARS {
            return &password[..at];
        }
        if LOOKALIKES.contains(c) && seen.insert(c) && seen.len() > JUDGED_LOOKALIKES {
            return &password[..at];
        }
    }
    password
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

    #[test]
    fn zxcvbn_judges_a_bounded_prefix() {
        let lookalikes = "4@8({[<369!1|7$5+%2".repeat(7);
        let judged = judged_part(&lookalikes);
        assert_eq!(judged, "4@8({[<369");
        let long = "correct horse battery staple ".repeat(5);
        assert_eq!(judged_part(&long).chars().count(), JUDGED_CHARS);
        assert_eq!(judged_part("short"), "short");
    }

    fn config(memory_kib: u32) -> PasswordConfig {
        PasswordConfig {
            memory_kib,
            iterations: 1,
            parallelism: 1,
            hash_concurrency: 1,
            min_length: 12,
            max_length: 128,
            min_score: 3,
            queue_wait: std::time::Duration::from_secs(5),
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

    #[test]
    fn reused_memory_hashes_as_the_crate_does_and_stays_bounded() {
        use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
        let params = Params::new(1024, 1, 1, None).unwrap();
        let memory = Memory::new(params.block_count());
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
        // The crate's own hash verifies here, and ours verifies with the crate.
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        let theirs = argon2
            .hash_password(b"pass phrase", &salt)
            .unwrap()
            .to_string();
        assert!(verify_phc(
            &PasswordHash::new(&theirs).unwrap(),
            &memory,
            b"pass phrase"
        ));
        assert!(!verify_phc(
            &PasswordHash::new(&theirs).unwrap(),
            &memory,
            b"other"
        ));
        let ours = hash_phc(&params, &memory, b"pass phrase").unwrap();
        assert!(ours.starts_with("$argon2id$v=19$m=1024,t=1,p=1$"));
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(argon2.verify_password(b"pass phrase", &parsed).is_ok());
        assert!(argon2.verify_password(b"other", &parsed).is_err());
        // Each of those ran alone: its buffer went back when it ended.
        assert_eq!(memory.kept(), 0);
        // While a hash runs, one that ends keeps its buffer for the next; when the last one
        // ends, every buffer goes.
        memory.with(params.block_count(), |_| {
            hash_phc(&params, &memory, b"pass phrase").unwrap();
            assert_eq!(memory.kept(), 1);
            hash_phc(&params, &memory, b"pass phrase").unwrap();
            assert_eq!(memory.kept(), 1, "the kept buffer served the second hash");
        });
        assert_eq!(memory.kept(), 0);
        // A stored hash with other parameters gets memory of its own, never kept.
        let bigger = Params::new(2048, 1, 1, None).unwrap();
        memory.with(params.block_count(), |_| {
            let other = hash_phc(&bigger, &memory, b"pass phrase").unwrap();
            let parsed = PasswordHash::new(&other).unwrap();
            assert!(verify_phc(&parsed, &memory, b"pass phrase"));
            assert_eq!(memory.kept(), 0);
        });
    }
}
