//! Database connections for both backends through sqlx's `Any` driver.
//!
//! One body of portable SQL serves SQLite (the embedded default) and PostgreSQL: numbered
//! `$1` parameters, `TEXT` ids, `BIGINT` microsecond timestamps, `RETURNING` and
//! `ON CONFLICT` work the same on both. Only the migrations differ per backend (see
//! `docs/ARCHITECTURE.md`).

use std::collections::BTreeMap;
use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use metrics::Histogram;
use sqlx::any::AnyPoolOptions;
use sqlx::migrate::{MigrateError, Migrator};
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, AnyPool, Executor, Transaction};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Which database engine a URL points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// Embedded SQLite file (WAL mode).
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

impl Backend {
    /// Short lowercase name, as used in migration folders.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// A validated database URL; the scheme chooses the backend.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    url: String,
    backend: Backend,
}

impl DatabaseUrl {
    /// The backend the URL selects.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The URL itself (may hold a password: never log it; use the `Debug` form).
    pub fn as_str(&self) -> &str {
        &self.url
    }

    /// For SQLite, the database file path (without query parameters).
    pub fn sqlite_path(&self) -> Option<&str> {
        if self.backend != Backend::Sqlite {
            return None;
        }
        let rest = self
            .url
            .strip_prefix("sqlite://")
            .or_else(|| self.url.strip_prefix("sqlite:"))?;
        Some(rest.split('?').next().unwrap_or(rest))
    }
}

impl std::fmt::Debug for DatabaseUrl {
    /// Shows the URL with any password replaced, so it is safe to log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match url::Url::parse(&self.url) {
            Ok(mut parsed) if parsed.password().is_some() => {
                let _ = parsed.set_password(Some("redacted"));
                write!(f, "{}", parsed)
            }
            _ => write!(f, "{}", self.url),
        }
    }
}

impl FromStr for DatabaseUrl {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let raw = raw.trim();
        if let Some(rest) = raw
            .strip_prefix("sqlite://")
            .or_else(|| raw.strip_prefix("sqlite:"))
        {
            let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
            // An in-memory database would lose every account, session and signing key on
            // restart: never what a service wants.
            let in_memory = path == ":memory:"
                || path.starts_with("file:")
                || query.split('&').any(|p| p == "mode=memory");
            if path.is_empty() || in_memory {
                return Err("a SQLite URL needs a file path, e.g. sqlite://data/auth.db".into());
            }
            return Ok(Self {
                url: raw.to_owned(),
                backend: Backend::Sqlite,
            });
        }
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            let parsed = url::Url::parse(raw).map_err(|e| format!("unparsable URL: {e}"))?;
            if parsed.host_str().is_none_or(str::is_empty) {
                return Err("a PostgreSQL URL needs a host".into());
            }
            return Ok(Self {
                url: raw.to_owned(),
                backend: Backend::Postgres,
            });
        }
        Err("expected a sqlite:// or postgres:// URL".into())
    }
}

/// Embedded migrations of one service, one migrator per backend.
#[derive(Debug)]
pub struct Migrations {
    /// Migrations under `migrations/<service>/sqlite`.
    pub sqlite: Migrator,
    /// Migrations under `migrations/<service>/postgres`.
    pub postgres: Migrator,
}

impl Migrations {
    /// The migrator for `backend`.
    pub fn for_backend(&self, backend: Backend) -> &Migrator {
        match backend {
            Backend::Sqlite => &self.sqlite,
            Backend::Postgres => &self.postgres,
        }
    }
}

/// Pool sizing and timeouts.
#[derive(Debug, Clone)]
pub struct PoolConfig {
    /// Largest number of open connections.
    pub max_connections: u32,
    /// How long a caller waits for a free connection before failing.
    pub acquire_timeout: Duration,
}

impl Default for PoolConfig {
    fn default() -> Self {
        Self {
            max_connections: 16,
            acquire_timeout: Duration::from_secs(5),
        }
    }
}

/// A connection pool plus what the backend needs to run writes safely.
#[derive(Debug, Clone)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    /// SQLite allows one writer: write transactions queue here (fairly) rather than spinning
    /// in SQLite's busy handler. `None` on PostgreSQL, where row locks do the job.
    write_gate: Option<Arc<Semaphore>>,
    /// Where waits and holds are recorded, once [`Db::named`] found a metrics endpoint
    /// running (`None`: nothing is timed).
    meters: Option<Arc<Meters>>,
    /// This process's claim on a SQLite file it serves (see [`Db::claim`]).
    claim: Option<Arc<Claim>>,
}

/// A process's hold on a SQLite file: an exclusive lock (`flock`) on the file, taken by the
/// first server of the process to open it and released when the last one closes it.
#[derive(Debug)]
struct Claim {
    _file: std::fs::File,
}

/// The claims of this process, by canonical path.
static CLAIMS: Mutex<BTreeMap<PathBuf, Weak<Claim>>> = Mutex::new(BTreeMap::new());

/// Another process serves the SQLite file.
#[derive(Debug, thiserror::Error)]
pub enum ClaimError {
    /// Another process holds the file.
    #[error(
        "the SQLite database {0} is already served by another process; SQLite serves one \
         process at a time (stop the other, or run replicas on PostgreSQL)"
    )]
    Taken(String),
    /// The file could not be opened or locked.
    #[error("cannot lock the SQLite database {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
}

/// The pool's latency series, per service: `stride_db_acquire_seconds` (waiting for a
/// connection, and on SQLite for the writer's turn) and `stride_db_held_seconds` (a connection
/// held for one read's statements, or one transaction from `BEGIN` to its end: the queries'
/// latency as the service sees it), each by `kind` (`read` or `write`).
#[derive(Debug)]
struct Meters {
    acquire_read: Histogram,
    acquire_write: Histogram,
    held_read: Histogram,
    held_write: Histogram,
}

impl Meters {
    fn for_service(service: &'static str) -> Self {
        let acquire = |kind: &'static str| metrics::histogram!("stride_db_acquire_seconds", "service" => service, "kind" => kind);
        let held = |kind: &'static str| metrics::histogram!("stride_db_held_seconds", "service" => service, "kind" => kind);
        Self {
            acquire_read: acquire("read"),
            acquire_write: acquire("write"),
            held_read: held("read"),
            held_write: held("write"),
        }
    }
}

/// Records how long a connection was held when dropped.
#[derive(Debug)]
struct Held {
    since: Instant,
    into: Histogram,
}

impl Held {
    /// Records the wait since `asked` into `wait`, and starts timing the hold into `held`.
    fn start(asked: Instant, wait: &Histogram, held: &Histogram) -> Self {
        let since = Instant::now();
        wait.record(since.duration_since(asked).as_secs_f64());
        Self {
            since,
            into: held.clone(),
        }
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.into.record(self.since.elapsed().as_secs_f64());
    }
}

impl Db {
    /// Opens a pool; a missing SQLite file (and its directory) is created.
    pub async fn connect(url: &DatabaseUrl, config: &PoolConfig) -> Result<Self, sqlx::Error> {
        sqlx::any::install_default_drivers();
        let backend = url.backend();
        let mut connect_url = url.as_str().to_owned();
        if let Some(path) = url.sqlite_path() {
            create_private(Path::new(path)).map_err(sqlx::Error::Io)?;
            if !connect_url.contains("mode=") {
                connect_url.push(if connect_url.contains('?') { '&' } else { '?' });
                connect_url.push_str("mode=rwc");
            }
        }
        let pool = AnyPoolOptions::new()
            .max_connections(config.max_connections)
            .acquire_timeout(config.acquire_timeout)
            // sqlx pings every connection on acquire by default: one extra round trip per RPC
            // (19 % of CPU per GetWorkout on PostgreSQL, docs/BENCHMARKS.md). A connection that
            // died meanwhile fails its query instead, and the pool replaces it.
            .test_before_acquire(false)
            // A connection still inside a transaction when it comes back is in an unknown
            // state (a transaction its owner never finished): close it rather than hand it to
            // the next caller, whose statements would run inside it.
            .after_release(|conn, _meta| {
                Box::pin(async move { Ok(!sqlx::Connection::is_in_transaction(conn)) })
            })
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                             PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
                        )
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect(&connect_url)
            .await?;
        Ok(Self {
            pool,
            backend,
            write_gate: (backend == Backend::Sqlite).then(|| Arc::new(Semaphore::new(1))),
            meters: None,
            claim: None,
        })
    }

    /// Makes this process the only one serving this SQLite database: a second process
    /// claiming it is refused with [`ClaimError::Taken`], while instances within this process
    /// share the claim. SQLite serves one process: its single writer is queued fairly within a
    /// process (not across processes, where writers spin in the busy handler), and the
    /// revocation feed wakes its streams from memory. One-off commands (`stride admin`,
    /// `stride migrate`) do not claim the file and may run beside the server. PostgreSQL,
    /// where replicas are the way to scale, claims nothing.
    pub fn claim(mut self, url: &DatabaseUrl) -> Result<Self, ClaimError> {
        let Some(path) = url.sqlite_path() else {
            return Ok(self);
        };
        let io = |source| ClaimError::Io {
            path: path.to_owned(),
            source,
        };
        let canonical = std::fs::canonicalize(path).map_err(io)?;
        // A plain map updated in single steps: a panic elsewhere cannot leave it torn.
        let mut claims = CLAIMS.lock().unwrap_or_else(|p| p.into_inner());
        claims.retain(|_, claim| claim.strong_count() > 0);
        if let Some(held) = claims.get(&canonical).and_then(Weak::upgrade) {
            self.claim = Some(held);
            return Ok(self);
        }
        let file = std::fs::File::open(&canonical).map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(ClaimError::Taken(path.to_owned()));
            }
            Err(std::fs::TryLockError::Error(source)) => return Err(io(source)),
        }
        let claim = Arc::new(Claim { _file: file });
        claims.insert(canonical, Arc::downgrade(&claim));
        self.claim = Some(claim);
        Ok(self)
    }

    /// Records this pool's series under `service` from now on (see [`crate::prometheus`]):
    /// the latencies of [`Db::read`] and [`Db::begin`], and `stride_db_connections` by `state`
    /// (`idle`, `in_use`) sampled at each scrape. Without a metrics endpoint running, nothing:
    /// reads and transactions then take no timestamps.
    pub fn named(mut self, service: &'static str) -> Self {
        if !crate::prometheus::enabled() {
            return self;
        }
        self.meters = Some(Arc::new(Meters::for_service(service)));
        let pool = self.pool.clone();
        crate::prometheus::on_scrape(move || {
            let size = f64::from(pool.size());
            let idle = pool.num_idle() as f64;
            metrics::gauge!("stride_db_connections", "service" => service, "state" => "idle")
                .set(idle);
            metrics::gauge!("stride_db_connections", "service" => service, "state" => "in_use")
                .set((size - idle).max(0.0));
            !pool.is_closed()
        });
        self
    }

    /// Applies every pending migration for this backend.
    pub async fn migrate(&self, migrations: &Migrations) -> Result<(), MigrateError> {
        migrations.for_backend(self.backend).run(&self.pool).await
    }

    /// The backend in use.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool, for reads outside a transaction that need no connection of their own
    /// (prefer [`Db::read`], which is measured).
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// A connection for reads outside a transaction; its wait and the time it is held are
    /// recorded.
    pub async fn read(&self) -> Result<Conn, sqlx::Error> {
        let asked = self.meters.as_ref().map(|_| Instant::now());
        let inner = self.pool.acquire().await?;
        let held = self
            .meters
            .as_ref()
            .zip(asked)
            .map(|(m, asked)| Held::start(asked, &m.acquire_read, &m.held_read));
        Ok(Conn { inner, _held: held })
    }

    /// Begins a write transaction. On SQLite it takes the write lock up front (`BEGIN
    /// IMMEDIATE`), so a transaction never fails halfway when it upgrades from read to write.
    ///
    /// Cancel-safe: sqlx's `begin` is not (a future dropped after `BEGIN` ran but before it
    /// returned leaves its connection inside a transaction nobody will end, holding SQLite's
    /// write lock), so the `BEGIN` runs to completion in a task of its own. If the caller is
    /// gone by then, the transaction is dropped there and rolled back.
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        let asked = self.meters.as_ref().map(|_| Instant::now());
        let permit = match &self.write_gate {
            Some(gate) => Some(
                Arc::clone(gate)
                    .acquire_owned()
                    .await
                    .map_err(|_| sqlx::Error::PoolClosed)?,
            ),
            None => None,
        };
        let (pool, backend) = (self.pool.clone(), self.backend);
        let inner = tokio::spawn(async move {
            match backend {
                Backend::Sqlite => pool.begin_with("BEGIN IMMEDIATE").await,
                Backend::Postgres => pool.begin().await,
            }
        })
        .await
        .map_err(|e| {
            sqlx::Error::Protocol(format!("the task beginning a transaction failed: {e}"))
        })??;
        let held = self
            .meters
            .as_ref()
            .zip(asked)
            .map(|(m, asked)| Held::start(asked, &m.acquire_write, &m.held_write));
        Ok(Tx {
            inner,
            _permit: permit,
            after_commit: Vec::new(),
            held,
        })
    }

    /// Closes every connection.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// A write transaction; dereferences to the connection that store functions take.
pub struct Tx {
    inner: Transaction<'static, Any>,
    /// Held until commit or rollback so SQLite writers do not overlap.
    _permit: Option<OwnedSemaphorePermit>,
    /// Run once the transaction has committed, never after a rollback.
    after_commit: Vec<Box<dyn FnOnce() + Send>>,
    /// Recorded when the transaction ends (commit or rollback), when measured.
    held: Option<Held>,
}

impl std::fmt::Debug for Tx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tx")
            .field("after_commit", &self.after_commit.len())
            .finish_non_exhaustive()
    }
}

impl Tx {
    /// Runs `hook` after a successful commit: for effects that must describe only what was
    /// really written (log lines of recorded events, wake-ups of readers).
    pub fn after_commit(&mut self, hook: impl FnOnce() + Send + 'static) {
        self.after_commit.push(Box::new(hook));
    }

    /// Commits, then runs the after-commit hooks; dropping a `Tx` without committing rolls it
    /// back and runs none.
    ///
    /// Cancel-safe: the commit and its hooks run to completion in a task of their own, so a
    /// caller that goes away mid-commit cannot leave the connection in an unknown state, and
    /// what committed is always announced (a revocation always wakes the feed).
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        let Tx {
            inner,
            _permit: permit,
            after_commit,
            held,
        } = self;
        tokio::spawn(async move {
            inner.commit().await?;
            // The writer's turn ends with the commit, before the hooks run.
            drop(permit);
            drop(held);
            for hook in after_commit {
                hook();
            }
            Ok(())
        })
        .await
        .map_err(|e| {
            sqlx::Error::Protocol(format!("the task committing a transaction failed: {e}"))
        })?
    }
}

impl Deref for Tx {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        &self.inner
    }
}

impl DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.inner
    }
}

/// A pooled connection from [`Db::read`]; dereferences to the connection that store functions
/// take, and goes back to the pool when dropped.
#[derive(Debug)]
pub struct Conn {
    inner: PoolConnection<Any>,
    _held: Option<Held>,
}

impl Deref for Conn {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        &self.inner
    }
}

impl DerefMut for Conn {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.inner
    }
}

/// Creates a SQLite database's missing directories (0700) and the file itself (0600), so
/// nobody else on the machine can read password hashes and signing keys; SQLite gives its
/// `-wal` and `-shm` files the database file's permissions. Existing directories and files
/// keep theirs: they are the operator's choice.
fn create_private(path: &Path) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir)?;
    }
    let mut file = std::fs::OpenOptions::new();
    file.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut file, 0o600);
    match file.open(path) {
        Ok(_) => Ok(()),
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(err) => Err(err),
    }
}

/// True when `err` says the database cannot be reached or cannot take the statement now
/// (connection lost or refused, pool exhausted or closed, SQLite's lock held past the busy
/// timeout, PostgreSQL shutting down or out of connections): retrying later may succeed.
pub fn is_unavailable(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => {
            let code = db.code();
            let code = code.as_deref().unwrap_or_default();
            // SQLite: SQLITE_BUSY (5), SQLITE_LOCKED (6), and their extended codes.
            let sqlite_busy = matches!(code, "5" | "6" | "261" | "262" | "517");
            // PostgreSQL: connection exceptions (08…), operator intervention (57P…),
            // insufficient resources (53…), and a database that no longer exists (3D000).
            let postgres_down = code.starts_with("08")
                || code.starts_with("57P")
                || code.starts_with("53")
                || code == "3D000";
            sqlite_busy || postgres_down
        }
        _ => false,
    }
}

/// True when `err` is a unique-constraint violation (on either backend).
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.is_unique_violation())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn after_commit_hooks_run_on_commit_and_never_on_rollback() {
        let dir = std::env::temp_dir().join(format!("stride-db-{}", uuid::Uuid::now_v7()));
        let url: DatabaseUrl = format!("sqlite://{}/t.db", dir.display()).parse().unwrap();
        let db = Db::connect(&url, &PoolConfig::default()).await.unwrap();
        let runs = Arc::new(AtomicUsize::new(0));

        let mut dropped = db.begin().await.unwrap();
        let counter = Arc::clone(&runs);
        dropped.after_commit(move || {
            counter.fetch_add(1, Ordering::SeqCst);
        });
        drop(dropped);
        assert_eq!(runs.load(Ordering::SeqCst), 0, "a rollback runs no hook");

        let mut committed = db.begin().await.unwrap();
        let counter = Arc::clone(&runs);
        committed.after_commit(move || {
            counter.fetch_add(1, Ordering::SeqCst);
        });
        committed.commit().await.unwrap();
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        db.close().await;
        let _ = std::fs::remove_dir_all(dir);
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn a_new_sqlite_database_is_readable_by_its_owner_only() {
        use std::os::unix::fs::PermissionsExt as _;
        let root = std::env::temp_dir().join(format!("stride-perm-{}", uuid::Uuid::now_v7()));
        let url: DatabaseUrl = format!("sqlite://{}/data/auth.db", root.display())
            .parse()
            .unwrap();
        let db = Db::connect(&url, &PoolConfig::default()).await.unwrap();
        let mut tx = db.begin().await.unwrap();
        sqlx::query("CREATE TABLE t (x INTEGER)")
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let mode =
            |p: std::path::PathBuf| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(root.join("data")), 0o700);
        assert_eq!(mode(root.join("data/auth.db")), 0o600);
        assert_eq!(mode(root.join("data/auth.db-wal")), 0o600);
        db.close().await;
        let _ = std::fs::remove_dir_all(root);
    }

    #[test]
    fn urls_choose_the_backend() {
        let sqlite: DatabaseUrl = "sqlite://data/auth.db".parse().unwrap();
        assert_eq!(sqlite.backend(), Backend::Sqlite);
        assert_eq!(sqlite.sqlite_path(), Some("data/auth.db"));
        let pg: DatabaseUrl = "postgres://u:p@localhost/auth".parse().unwrap();
        assert_eq!(pg.backend(), Backend::Postgres);
    }

    #[test]
    fn bad_urls_are_rejected() {
        for bad in [
            "mysql://x/y",
            "sqlite::memory:",
            "postgres://",
            "nonsense",
            "sqlite://",
            "sqlite:file:x?mode=memory",
            "sqlite://data/x.db?mode=memory",
        ] {
            assert!(
                bad.parse::<DatabaseUrl>().is_err(),
                "{bad} should be rejected"
            );
        }
    }

    #[test]
    fn debug_form_hides_the_password() {
        let pg: DatabaseUrl = "postgres://user:hunter2@localhost/auth".parse().unwrap();
        let shown = format!("{pg:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
    }
}

/// A boolean column: PostgreSQL `BOOLEAN`, SQLite `INTEGER` 0/1.
///
/// sqlx's `Any` driver reads neither SQLite's `BOOLEAN` declared type nor an integer as `bool`,
/// so boolean columns are decoded through this type, which accepts both representations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Flag(pub bool);

impl From<Flag> for bool {
    fn from(flag: Flag) -> bool {
        flag.0
    }
}

impl sqlx::Type<Any> for Flag {
    fn type_info() -> sqlx::any::AnyTypeInfo {
        <bool as sqlx::Type<Any>>::type_info()
    }

    fn compatible(ty: &sqlx::any::AnyTypeInfo) -> bool {
        use sqlx::any::AnyTypeInfoKind as Kind;
        matches!(
            ty.kind,
            Kind::Bool | Kind::SmallInt | Kind::Integer | Kind::BigInt
        )
    }
}

impl<'r> sqlx::Decode<'r, Any> for Flag {
    fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        use sqlx_core::any::AnyValueKind as Kind;
        match sqlx::ValueRef::to_owned(&value).kind {
            Kind::Bool(b) => Ok(Flag(b)),
            Kind::SmallInt(i) => Ok(Flag(i != 0)),
            Kind::Integer(i) => Ok(Flag(i != 0)),
            Kind::BigInt(i) => Ok(Flag(i != 0)),
            other => Err(format!("expected a boolean, got {other:?}").into()),
        }
    }
}

impl<'q> sqlx::Encode<'q, Any> for Flag {
    fn encode_by_ref(
        &self,
        buf: &mut sqlx_core::any::AnyArgumentBuffer<'q>,
    ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
        <bool as sqlx::Encode<'q, Any>>::encode_by_ref(&self.0, buf)
    }
}
