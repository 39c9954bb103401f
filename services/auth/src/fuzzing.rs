//! Entry points for the fuzz targets in `fuzz/` and for `tests/corpus.rs`, which replays their
//! seed corpus in the normal test run. Not an API: each function calls the real parser or
//! verifier on untrusted bytes and answers only whether they were accepted, so a target can
//! assert "no panic" and the replay can pin what a seed must do.
//!
//! The token verifier runs over a key ring like the server's: the real [`KeyRing`], loaded
//! from a private SQLite file in the temporary directory holding one fixed key (removed when
//! the verifier is dropped), and a clock stopped at [`NOW`], so a token minted here verifies
//! forever and a seed corpus can carry valid ones.

use std::path::{Path, PathBuf};

use ed25519_dalek::pkcs8::EncodePrivateKey as _;
use shared::db::{DatabaseUrl, Db, Flag, PoolConfig};
use tokio::runtime::Runtime;

use crate::clock::Clock;
use crate::config::TokenConfig;
use crate::domain::profile::Avatar;
use crate::error::{Error, Result};
use crate::keys::{self, KeyRing};
use crate::store::signing_keys::{self, KeyRow};
use crate::tokens::Tokens;

/// Where the fixture's clock stands (2026-01-01T00:00:00Z, in microseconds).
pub const NOW: i64 = 1_767_225_600_000_000;

/// The fixture's Ed25519 private key seed. Public in the repository: the fixture signs
/// nothing but test tokens.
pub const KEY_SEED: [u8; 32] = [7; 32];

/// `iss`, and the `aud` of refresh tokens.
pub const ISSUER: &str = "stride-fuzz";

/// `aud` of access tokens.
pub const AUDIENCE: &str = "stride-fuzz-api";

/// True when `bytes` is accepted as an avatar.
pub fn parse_avatar(bytes: &[u8]) -> bool {
    Avatar::parse(bytes.to_vec()).is_ok()
}

/// The auth service's token verifier over a fixed key ring and a stopped clock.
#[derive(Debug)]
pub struct TokenVerifier {
    /// Verification is async (an unknown `kid` reloads the ring from the database).
    runtime: Runtime,
    tokens: Tokens,
    /// The key ring's database file, removed on drop.
    database: PathBuf,
}

impl Drop for TokenVerifier {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut path = self.database.clone().into_os_string();
            path.push(suffix);
            let _ = std::fs::remove_file(path);
        }
    }
}

impl TokenVerifier {
    /// Builds the fixture: a runtime, a fresh database migrated and holding the key of
    /// [`KEY_SEED`], and the ring loaded from it.
    pub fn new() -> Result<Self> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(Error::internal)?;
        let clock = Clock::from_fn(|| NOW);
        let database = std::env::temp_dir().join(format!("stride-fuzz-{}.db", crate::new_id()));
        let keys = runtime.block_on(fixed_ring(&database, clock.clone()))?;
        let config = TokenConfig {
            issuer: ISSUER.into(),
            audience: AUDIENCE.into(),
            access_ttl: std::time::Duration::from_secs(600),
            refresh_ttl: std::time::Duration::from_secs(3_600),
            session_max_age: std::time::Duration::from_secs(86_400),
            refresh_reuse_grace: std::time::Duration::ZERO,
            leeway: std::time::Duration::from_secs(60),
        };
        Ok(Self {
            runtime,
            tokens: Tokens::new(config, keys, clock),
            database,
        })
    }

    /// True when `token` verifies as an access token.
    pub fn verify_access(&self, token: &str) -> bool {
        self.runtime
            .block_on(self.tokens.verify_access(token))
            .is_ok()
    }

    /// True when `token` verifies as a refresh token.
    pub fn verify_refresh(&self, token: &str) -> bool {
        self.runtime
            .block_on(self.tokens.verify_refresh(token))
            .is_ok()
    }

    /// A valid access token (for seeds, and to prove the fixture accepts something).
    pub fn mint_access(&self) -> Result<String> {
        let end = NOW.saturating_add(86_400_000_000);
        let minted = self
            .tokens
            .mint_access("user-1", "session-1", vec!["user".into()], end)?;
        Ok(minted.token)
    }

    /// A valid refresh token.
    pub fn mint_refresh(&self) -> Result<String> {
        let end = NOW.saturating_add(86_400_000_000);
        Ok(self.tokens.mint_refresh("user-1", "session-1", end)?.token)
    }
}

/// The real key ring over a new database at `path` holding only the key of [`KEY_SEED`].
async fn fixed_ring(path: &Path, clock: Clock) -> Result<KeyRing> {
    let url: DatabaseUrl = format!("sqlite://{}", path.display())
        .parse()
        .map_err(Error::internal)?;
    let db = Db::connect(&url, &PoolConfig::default()).await?;
    db.migrate(&crate::store::MIGRATIONS)
        .await
        .map_err(Error::internal)?;
    let signing = ed25519_dalek::SigningKey::from_bytes(&KEY_SEED);
    let public = signing.verifying_key().to_bytes();
    let der = signing.to_pkcs8_der().map_err(Error::internal)?;
    let row = KeyRow {
        kid: keys::kid_for(&public),
        private_key: der.as_bytes().to_vec(),
        encrypted: Flag(false),
        public_key: public.to_vec(),
        created_at: NOW,
        retired_at: None,
        expires_at: None,
    };
    let mut tx = db.begin().await?;
    signing_keys::insert(&mut tx, &row).await?;
    tx.commit().await?;
    KeyRing::open(db, None, clock).await
}
