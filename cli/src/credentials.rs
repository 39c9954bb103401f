//! The signed-in user's token pair on disk, and when it needs refreshing.
//!
//! `stride login` (and `register`) write `credentials.json` into the config directory:
//! `--config-dir` / `STRIDE_CONFIG_DIR` if given, else `$XDG_CONFIG_HOME/stride`, else
//! `$HOME/.config/stride`. The file holds bearer tokens, so it is created with mode 0600 (its
//! directory 0700) and replaced atomically: a reader never sees half a file and the mode never
//! widens. Refresh tokens are single use, so two `stride` processes refreshing at once would
//! look like token reuse and revoke the session: refreshing holds `credentials.lock`.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use shared::pb::auth::v1::TokenPair;

use crate::error::Failure;

/// How long before its expiry an access token is refreshed: a request must not leave with a
/// token that expires on the way (or within the servers' clock skew).
pub const REFRESH_MARGIN_SECS: i64 = 30;

/// A lock older than this was left by a crashed process and is broken.
const STALE_LOCK: Duration = Duration::from_secs(30);
/// How long a command waits for another one's refresh.
const LOCK_WAIT: Duration = Duration::from_secs(10);

/// What `stride login` remembers: the session's tokens and where they are valid.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credentials {
    /// The auth service that issued the tokens (and refreshes them).
    pub auth_url: String,
    /// The fitness service used at login time.
    pub fitness_url: String,
    /// UUIDv7 of the signed-in user.
    pub user_id: String,
    /// Their login name, for messages.
    pub username: String,
    /// UUIDv7 of the session the tokens belong to.
    pub session_id: String,
    /// The access token (`authorization: Bearer …`).
    pub access_token: String,
    /// The refresh token, single use: replaced by every refresh.
    pub refresh_token: String,
    /// Expiry of the access token, Unix seconds.
    pub access_expires_at: i64,
    /// Expiry of the refresh token, Unix seconds.
    pub refresh_expires_at: i64,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("auth_url", &self.auth_url)
            .field("username", &self.username)
            .field("session_id", &self.session_id)
            .field("access_expires_at", &self.access_expires_at)
            .field("refresh_expires_at", &self.refresh_expires_at)
            .finish_non_exhaustive()
    }
}

impl Credentials {
    /// Replaces the token pair with a freshly issued one (after login or refresh).
    pub fn set_tokens(&mut self, tokens: &TokenPair) {
        self.access_token.clone_from(&tokens.access_token);
        self.refresh_token.clone_from(&tokens.refresh_token);
        self.access_expires_at = tokens.access_expires_at.as_ref().map_or(0, |ts| ts.seconds);
        self.refresh_expires_at = tokens
            .refresh_expires_at
            .as_ref()
            .map_or(0, |ts| ts.seconds);
        if !tokens.session_id.is_empty() {
            self.session_id.clone_from(&tokens.session_id);
        }
    }
}

/// Whether stored credentials can be used as they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// The access token is valid for longer than [`REFRESH_MARGIN_SECS`].
    Fresh,
    /// The access token has expired or is about to; the refresh token is still valid.
    RefreshNeeded,
    /// Both have expired: only a new login helps.
    Expired,
}

/// Decides what to do with `credentials` at `now` (Unix seconds; injected for tests).
pub fn freshness(credentials: &Credentials, now: i64) -> Freshness {
    if now + REFRESH_MARGIN_SECS < credentials.access_expires_at {
        Freshness::Fresh
    } else if now < credentials.refresh_expires_at {
        Freshness::RefreshNeeded
    } else {
        Freshness::Expired
    }
}

/// The current time in Unix seconds.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Picks the config directory: the explicit one, else `$XDG_CONFIG_HOME/stride` (absolute
/// paths only, as the XDG spec says), else `$HOME/.config/stride`.
pub fn config_dir(
    explicit: Option<&Path>,
    xdg_config_home: Option<&str>,
    home: Option<&str>,
) -> Option<PathBuf> {
    if let Some(dir) = explicit.filter(|d| !d.as_os_str().is_empty()) {
        return Some(dir.to_path_buf());
    }
    if let Some(xdg) = xdg_config_home.filter(|x| Path::new(x).is_absolute()) {
        return Some(Path::new(xdg).join("stride"));
    }
    home.filter(|h| !h.is_empty())
        .map(|h| Path::new(h).join(".config").join("stride"))
}

/// The credentials file in one config directory.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
}

impl Store {
    /// A store in `dir`.
    pub fn new(dir: PathBuf) -> Self {
        Self { dir }
    }

    /// `dir/credentials.json`.
    pub fn path(&self) -> PathBuf {
        self.dir.join("credentials.json")
    }

    /// The stored credentials; `None` when nobody is signed in.
    pub fn load(&self) -> Result<Option<Credentials>, Failure> {
        let path = self.path();
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_failure("read", &path, &e)),
        };
        serde_json::from_str(&text).map(Some).map_err(|e| {
            Failure::Other(format!(
                "{} is not valid credentials ({e}); sign in again with `stride login`",
                path.display()
            ))
        })
    }

    /// Writes `credentials` atomically with mode 0600.
    pub fn save(&self, credentials: &Credentials) -> Result<(), Failure> {
        create_private_dir(&self.dir)?;
        let path = self.path();
        let tmp = self
            .dir
            .join(format!("credentials.json.tmp-{}", std::process::id()));
        let text = serde_json::to_string_pretty(credentials)
            .map_err(|e| Failure::Other(format!("cannot encode credentials: {e}")))?;
        // A leftover temporary file could carry a wider mode that `open` would keep.
        let _ = fs::remove_file(&tmp);
        let mut file = private_file(&tmp).map_err(|e| io_failure("create", &tmp, &e))?;
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|e| io_failure("write", &tmp, &e))?;
        drop(file);
        fs::rename(&tmp, &path).map_err(|e| io_failure("replace", &path, &e))
    }

    /// Deletes the credentials; `false` when there were none.
    pub fn remove(&self) -> Result<bool, Failure> {
        let path = self.path();
        match fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(io_failure("remove", &path, &e)),
        }
    }

    /// Takes the refresh lock, waiting for another process's refresh to finish.
    pub async fn lock(&self) -> Result<RefreshLock, Failure> {
        create_private_dir(&self.dir)?;
        let path = self.dir.join("credentials.lock");
        let deadline = tokio::time::Instant::now() + LOCK_WAIT;
        loop {
            match private_file_new(&path) {
                Ok(_) => return Ok(RefreshLock { path }),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let stale = fs::metadata(&path)
                        .and_then(|m| m.modified())
                        .ok()
                        .and_then(|t| t.elapsed().ok())
                        .is_some_and(|age| age > STALE_LOCK);
                    if stale {
                        let _ = fs::remove_file(&path);
                        continue;
                    }
                    if tokio::time::Instant::now() >= deadline {
                        return Err(Failure::Other(format!(
                            "another stride command is refreshing the tokens; if none is \
                             running, remove {}",
                            path.display()
                        )));
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => return Err(io_failure("create", &path, &e)),
            }
        }
    }
}

/// Held while refreshing; removes the lock file when dropped.
#[derive(Debug)]
pub struct RefreshLock {
    path: PathBuf,
}

impl Drop for RefreshLock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

fn io_failure(action: &str, path: &Path, err: &std::io::Error) -> Failure {
    Failure::Other(format!("cannot {action} {}: {err}", path.display()))
}

fn create_private_dir(dir: &Path) -> Result<(), Failure> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .map_err(|e| io_failure("create", dir, &e))
}

/// Opens `path` for writing, created with mode 0600 (owner only).
pub(crate) fn private_file(path: &Path) -> std::io::Result<fs::File> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

/// Creates `path` with mode 0600, failing if it exists (the lock primitive).
fn private_file_new(path: &Path) -> std::io::Result<fs::File> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Credentials {
        Credentials {
            auth_url: "http://127.0.0.1:50051".into(),
            fitness_url: "http://127.0.0.1:50052".into(),
            user_id: "u1".into(),
            username: "ada".into(),
            session_id: "s1".into(),
            access_token: "at".into(),
            refresh_token: "rt".into(),
            access_expires_at: 1_000,
            refresh_expires_at: 10_000,
        }
    }

    #[test]
    fn a_token_far_from_expiry_is_used_as_is() {
        assert_eq!(freshness(&sample(), 900), Freshness::Fresh);
    }

    #[test]
    fn a_token_about_to_expire_or_expired_is_refreshed() {
        let c = sample();
        assert_eq!(
            freshness(&c, 1_000 - REFRESH_MARGIN_SECS),
            Freshness::RefreshNeeded
        );
        assert_eq!(freshness(&c, 1_001), Freshness::RefreshNeeded);
        assert_eq!(freshness(&c, 9_999), Freshness::RefreshNeeded);
    }

    #[test]
    fn once_the_refresh_token_expires_only_a_login_helps() {
        assert_eq!(freshness(&sample(), 10_000), Freshness::Expired);
    }

    #[test]
    fn new_tokens_replace_the_pair_and_its_expiries() {
        let mut c = sample();
        c.set_tokens(&TokenPair {
            access_token: "at2".into(),
            refresh_token: "rt2".into(),
            access_expires_at: Some(prost_types::Timestamp {
                seconds: 2_000,
                nanos: 0,
            }),
            refresh_expires_at: Some(prost_types::Timestamp {
                seconds: 20_000,
                nanos: 0,
            }),
            session_id: "s1".into(),
            token_type: "Bearer".into(),
        });
        assert_eq!(
            (c.access_token.as_str(), c.refresh_token.as_str()),
            ("at2", "rt2")
        );
        assert_eq!((c.access_expires_at, c.refresh_expires_at), (2_000, 20_000));
    }

    #[test]
    fn the_config_dir_prefers_the_flag_then_xdg_then_home() {
        let flag = Path::new("/tmp/x");
        assert_eq!(
            config_dir(Some(flag), Some("/xdg"), Some("/home/a")),
            Some(PathBuf::from("/tmp/x"))
        );
        assert_eq!(
            config_dir(None, Some("/xdg"), Some("/home/a")),
            Some(PathBuf::from("/xdg/stride"))
        );
        assert_eq!(
            config_dir(None, Some("relative"), Some("/home/a")),
            Some(PathBuf::from("/home/a/.config/stride"))
        );
        assert_eq!(config_dir(None, None, None), None);
    }

    #[cfg(unix)]
    #[test]
    fn credentials_are_written_owner_only_and_read_back() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path().join("nested").join("stride"));
        assert_eq!(store.load().unwrap(), None);
        store.save(&sample()).unwrap();
        let mode = fs::metadata(store.path()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "file mode {mode:o}");
        let dir_mode = fs::metadata(dir.path().join("nested/stride"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(dir_mode & 0o777, 0o700, "dir mode {dir_mode:o}");
        assert_eq!(store.load().unwrap(), Some(sample()));
        assert!(store.remove().unwrap());
        assert!(!store.remove().unwrap());
    }

    #[cfg(unix)]
    #[test]
    fn replacing_credentials_keeps_the_file_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path().to_path_buf());
        fs::write(store.path(), "{}").unwrap();
        fs::set_permissions(store.path(), fs::Permissions::from_mode(0o644)).unwrap();
        store.save(&sample()).unwrap();
        let mode = fs::metadata(store.path()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "file mode {mode:o}");
    }

    #[test]
    fn debug_output_never_shows_tokens() {
        let text = format!("{:?}", sample());
        assert!(
            !text.contains("\"at\"") && !text.contains("\"rt\""),
            "{text}"
        );
    }

    #[test]
    fn garbage_in_the_file_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path().to_path_buf());
        fs::write(store.path(), "not json").unwrap();
        let err = store.load().unwrap_err();
        assert!(
            matches!(&err, Failure::Other(m) if m.contains("stride login")),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn the_refresh_lock_is_exclusive_and_released_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path().to_path_buf());
        let lock = store.lock().await.unwrap();
        assert!(dir.path().join("credentials.lock").exists());
        drop(lock);
        assert!(!dir.path().join("credentials.lock").exists());
        let _again = store.lock().await.unwrap();
    }
}
