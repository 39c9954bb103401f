//! Ed25519 signing keys: created on first start, stored in `signing_keys` (sealed under the
//! master key when one is configured), held in memory for signing and verification, rotated
//! by `AdminService.RotateSigningKey` or `stride keys rotate`.
//!
//! Several replicas share one database: a replica reloads the key set when it sees a `kid` it
//! does not know (at most every [`MIN_RELOAD_GAP`], so forged kids cannot hammer the database)
//! and every [`RELOAD_INTERVAL`], so it stops signing with a key another replica retired.

pub mod seal;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use base64::Engine as _;
use ed25519_dalek::pkcs8::EncodePrivateKey as _;
use jsonwebtoken::{DecodingKey, EncodingKey};
use sha2::{Digest as _, Sha256};
use shared::db::{Db, Flag, is_unique_violation};
use shared::time::Micros;
use zeroize::Zeroizing;

use crate::clock::{Clock, micros};
use crate::config::{MasterKey, TokenConfig};
use crate::domain::security_events::{self, EventType, SecurityEvent};
use crate::error::{Error, Result};
use crate::store::signing_keys::{self as store, KeyRow};

/// How often every replica re-reads the key set.
pub const RELOAD_INTERVAL: Duration = Duration::from_secs(30);

/// Shortest gap between two reloads triggered by unknown `kid`s.
pub const MIN_RELOAD_GAP: Duration = Duration::from_millis(200);

/// The key that signs new tokens.
pub struct ActiveKey {
    /// Its key id, put in every token header.
    pub kid: String,
    /// PKCS#8 private key, as jsonwebtoken wants it.
    pub(crate) encoding: EncodingKey,
}

impl std::fmt::Debug for ActiveKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ActiveKey").field("kid", &self.kid).finish()
    }
}

/// A key that verifies tokens: the active one or a retired one not yet expired.
#[derive(Clone)]
pub struct PublicKey {
    /// Key id.
    pub kid: String,
    /// Raw Ed25519 public key.
    pub public: [u8; 32],
    /// When the key was generated.
    pub created_at: Micros,
    /// When a newer key took over; `None` while active.
    pub retired_at: Option<Micros>,
    /// After this no token it signed can be valid; `None` while active.
    pub expires_at: Option<Micros>,
    pub(crate) decoding: DecodingKey,
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PublicKey")
            .field("kid", &self.kid)
            .field("created_at", &self.created_at)
            .field("retired_at", &self.retired_at)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

impl PublicKey {
    /// The public key as base64url without padding (the JWK `x`).
    pub fn x(&self) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(self.public)
    }

    fn live_at(&self, now: Micros) -> bool {
        self.expires_at.is_none_or(|at| at > now)
    }
}

#[derive(Debug)]
struct KeySet {
    active: Arc<ActiveKey>,
    /// Active first, then retired keys newest first.
    public: Vec<PublicKey>,
    by_kid: HashMap<String, usize>,
}

/// The signing keys in memory. Cheap to clone.
#[derive(Clone)]
pub struct KeyRing {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    master: Option<MasterKey>,
    clock: Clock,
    set: RwLock<Arc<KeySet>>,
    last_miss_reload: tokio::sync::Mutex<Option<Instant>>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRing")
            .field("active", &self.active().kid)
            .finish()
    }
}

impl KeyRing {
    /// Loads the keys, creating the first one if the database has no active key.
    pub async fn open(db: Db, master: Option<MasterKey>, clock: Clock) -> Result<Self> {
        if master.is_none() {
            tracing::warn!(
                "STRIDE_MASTER_KEY is not set: signing keys are stored unencrypted (fine for development only)"
            );
        }
        let set = load_or_create(&db, master.as_ref(), &clock).await?;
        Ok(Self {
            inner: Arc::new(Inner {
                db,
                master,
                clock,
                set: RwLock::new(Arc::new(set)),
                last_miss_reload: tokio::sync::Mutex::new(None),
            }),
        })
    }

    fn snapshot(&self) -> Arc<KeySet> {
        // A poisoned lock means a panic while swapping an Arc; the Arc inside is still whole.
        match self.inner.set.read() {
            Ok(guard) => Arc::clone(&guard),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// The key signing new tokens.
    pub fn active(&self) -> Arc<ActiveKey> {
        Arc::clone(&self.snapshot().active)
    }

    /// Every key that may still verify a live token, active first, then retired keys newest
    /// first (the JWKS).
    pub fn public_keys(&self) -> Vec<PublicKey> {
        let now = self.inner.clock.now();
        self.snapshot()
            .public
            .iter()
            .filter(|k| k.live_at(now))
            .cloned()
            .collect()
    }

    /// The JWKS to serve: [`public_keys`](Self::public_keys) re-read from the database first,
    /// at most once per [`MIN_RELOAD_GAP`]. A verifier fetches the JWKS because it met a `kid`
    /// it does not know, which another replica sharing the database may have just made
    /// active; the gap keeps a public caller from turning the RPC into database load. When
    /// the read fails, the cached set is served.
    pub async fn fresh_public_keys(&self) -> Vec<PublicKey> {
        let due = {
            let mut last = self.inner.last_miss_reload.lock().await;
            let due = last.is_none_or(|at| at.elapsed() >= MIN_RELOAD_GAP);
            if due {
                *last = Some(Instant::now());
            }
            due
        };
        if due && let Err(err) = self.reload().await {
            tracing::warn!(error = %err, "cannot reload signing keys; serving the cached set");
        }
        self.public_keys()
    }

    /// The verification key for `kid`; an unknown kid reloads the set once (another replica
    /// may have rotated) before giving up.
    pub async fn verifying_key(&self, kid: &str) -> Result<Option<PublicKey>> {
        if let Some(key) = self.lookup(kid) {
            return Ok(Some(key));
        }
        {
            let mut last = self.inner.last_miss_reload.lock().await;
            if last.is_some_and(|at| at.elapsed() < MIN_RELOAD_GAP) {
                return Ok(None);
            }
            *last = Some(Instant::now());
        }
        self.reload().await?;
        Ok(self.lookup(kid))
    }

    fn lookup(&self, kid: &str) -> Option<PublicKey> {
        let set = self.snapshot();
        let now = self.inner.clock.now();
        set.by_kid
            .get(kid)
            .and_then(|i| set.public.get(*i))
            .filter(|k| k.live_at(now))
            .cloned()
    }

    /// Re-reads the key set from the database (after a rotation, here or on another replica).
    pub async fn reload(&self) -> Result<()> {
        let set = load_or_create(
            &self.inner.db,
            self.inner.master.as_ref(),
            &self.inner.clock,
        )
        .await?;
        let set = Arc::new(set);
        match self.inner.set.write() {
            Ok(mut guard) => *guard = set,
            Err(poisoned) => *poisoned.into_inner() = set,
        }
        Ok(())
    }

    /// Makes a new key active and reloads; see [`rotate`]. Returns the new kid.
    pub async fn rotate(&self, tokens: &TokenConfig, actor: &SecurityEvent) -> Result<String> {
        let kid = rotate(
            &self.inner.db,
            self.inner.master.as_ref(),
            &self.inner.clock,
            tokens,
            actor,
        )
        .await?;
        self.reload().await?;
        Ok(kid)
    }
}

/// How long a retired key must keep verifying: the longest token it could have signed, plus
/// the clock leeway, plus the time other replicas may keep signing before they reload.
pub fn retired_key_lifetime(tokens: &TokenConfig) -> Duration {
    tokens.access_ttl.max(tokens.refresh_ttl) + tokens.leeway + RELOAD_INTERVAL
}

/// Retires the active key and stores a new one, with a `SIGNING_KEY_ROTATED` security event,
/// in one transaction. Works on the database alone (the CLI calls it without a server);
/// running servers pick the new key up on their next reload. Returns the new kid.
pub async fn rotate(
    db: &Db,
    master: Option<&MasterKey>,
    clock: &Clock,
    tokens: &TokenConfig,
    actor: &SecurityEvent,
) -> Result<String> {
    let now = clock.now();
    let row = generate(master, now)?;
    let mut tx = db.begin().await?;
    let retired = store::retire_active(
        &mut tx,
        now,
        now.saturating_add(micros(retired_key_lifetime(tokens))),
    )
    .await?;
    if let Err(err) = store::insert(&mut tx, &row).await {
        return Err(if is_unique_violation(&err) {
            Error::FailedPrecondition("ROTATION_IN_PROGRESS")
        } else {
            err.into()
        });
    }
    let mut detail = match &retired {
        Some(old) => format!("new kid {}; retired kid {old}", row.kid),
        None => format!("new kid {}", row.kid),
    };
    if !actor.detail.is_empty() {
        detail = format!("{detail}; {}", actor.detail);
    }
    security_events::record(
        &mut tx,
        &SecurityEvent {
            kind: EventType::SigningKeyRotated,
            detail,
            ..actor.clone()
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(row.kid)
}

/// Key id: base64url of the first 16 bytes of SHA-256 of the public key.
pub fn kid_for(public: &[u8; 32]) -> String {
    let digest = Sha256::digest(public);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..16])
}

fn generate(master: Option<&MasterKey>, now: Micros) -> Result<KeyRow> {
    let signing = ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng);
    let public = signing.verifying_key().to_bytes();
    let kid = kid_for(&public);
    let der = signing.to_pkcs8_der().map_err(Error::internal)?;
    let (private_key, encrypted) = match master {
        Some(master) => (
            seal::seal(master, &kid, der.as_bytes()).map_err(Error::internal)?,
            true,
        ),
        None => (der.as_bytes().to_vec(), false),
    };
    Ok(KeyRow {
        kid,
        private_key,
        encrypted: Flag(encrypted),
        public_key: public.to_vec(),
        created_at: now,
        retired_at: None,
        expires_at: None,
    })
}

async fn load_or_create(db: &Db, master: Option<&MasterKey>, clock: &Clock) -> Result<KeySet> {
    let mut conn = db.read().await?;
    let rows = store::live(&mut conn, clock.now()).await?;
    if rows.iter().any(|r| r.retired_at.is_none()) {
        return build(rows, master);
    }
    drop(conn);
    create_first(db, master, clock).await?;
    let mut conn = db.read().await?;
    build(store::live(&mut conn, clock.now()).await?, master)
}

async fn create_first(db: &Db, master: Option<&MasterKey>, clock: &Clock) -> Result<()> {
    let now = clock.now();
    let row = generate(master, now)?;
    let mut tx = db.begin().await?;
    if store::has_active(&mut tx).await? {
        return Ok(());
    }
    match store::insert(&mut tx, &row).await {
        Ok(()) => {}
        // Another replica created the first key at the same moment: use theirs.
        Err(err) if is_unique_violation(&err) => return Ok(()),
        Err(err) => return Err(err.into()),
    }
    tx.commit().await?;
    tracing::info!(kid = %row.kid, encrypted = row.encrypted.0, "created the first signing key");
    Ok(())
}

fn build(rows: Vec<KeyRow>, master: Option<&MasterKey>) -> Result<KeySet> {
    let mut active = None;
    let mut public = Vec::with_capacity(rows.len());
    for row in rows {
        let raw: [u8; 32] = row
            .public_key
            .as_slice()
            .try_into()
            .map_err(|_| Error::internal(format!("signing key {} is malformed", row.kid)))?;
        if row.retired_at.is_none() && active.is_none() {
            let der = Zeroizing::new(if row.encrypted.0 {
                let master = master.ok_or_else(|| {
                    Error::internal("the signing key is encrypted but STRIDE_MASTER_KEY is not set")
                })?;
                seal::open(master, &row.kid, &row.private_key).map_err(Error::internal)?
            } else {
                row.private_key.clone()
            });
            active = Some(Arc::new(ActiveKey {
                kid: row.kid.clone(),
                encoding: EncodingKey::from_ed_der(&der),
            }));
        }
        public.push(PublicKey {
            decoding: DecodingKey::from_ed_der(&raw),
            kid: row.kid,
            public: raw,
            created_at: row.created_at,
            retired_at: row.retired_at,
            expires_at: row.expires_at,
        });
    }
    let active = active.ok_or_else(|| Error::internal("no active signing key"))?;
    let by_kid = public
        .iter()
        .enumerate()
        .map(|(i, k)| (k.kid.clone(), i))
        .collect();
    Ok(KeySet {
        active,
        public,
        by_kid,
    })
}
