//! Secrets of the development stack: a random service key and master key generated on the
//! first `stride dev` and kept in `./data/dev-secrets.json` (mode 0600), so a laptop stack is
//! not protected by the well-known default service key and its signing keys are sealed at rest.
//!
//! They only fill in what the environment leaves unset: `STRIDE_SERVICE_KEY`,
//! `STRIDE_MASTER_KEY` and `STRIDE_CONSOLE_KEY` always win. `stride admin` and `stride keys` read the same file when it
//! exists, so a key they generate is sealed with the key the running stack opens it with.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use rand::RngCore as _;
use serde::{Deserialize, Serialize};
use shared::config::{Env, EnvMap};

use crate::error::Failure;

/// Where `stride dev` keeps its data and secrets, relative to the working directory.
pub const DATA_DIR: &str = "data";

/// The generated secrets.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DevSecrets {
    /// Shared by auth and fitness for the internal introspection API (`STRIDE_SERVICE_KEY`).
    pub service_key: String,
    /// Base64 of 32 bytes sealing private signing keys (`STRIDE_MASTER_KEY`).
    pub master_key: String,
    /// Base64 of 32 bytes sealing the web console's session cookie (`STRIDE_CONSOLE_KEY`).
    /// Files written before the console existed lack it: then a key is generated per start.
    #[serde(default = "random_key")]
    pub console_key: String,
}

/// Base64 of 32 random bytes.
fn random_key() -> String {
    let mut key = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut key);
    base64::engine::general_purpose::STANDARD.encode(key)
}

impl std::fmt::Debug for DevSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DevSecrets(<redacted>)")
    }
}

impl DevSecrets {
    /// Fresh random secrets.
    pub fn generate() -> Self {
        let mut service = [0u8; 32];
        let mut master = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut service);
        rand::rngs::OsRng.fill_bytes(&mut master);
        Self {
            service_key: base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(service),
            master_key: base64::engine::general_purpose::STANDARD.encode(master),
            console_key: random_key(),
        }
    }

    /// `env` with these secrets added for each variable it leaves unset.
    pub fn overlay(&self, env: &EnvMap) -> EnvMap {
        let mut out = env.clone();
        for (var, value) in [
            ("STRIDE_SERVICE_KEY", &self.service_key),
            ("STRIDE_MASTER_KEY", &self.master_key),
            ("STRIDE_CONSOLE_KEY", &self.console_key),
        ] {
            if Env::new(env).get(var).is_none() {
                out.insert(var.to_owned(), value.clone());
            }
        }
        out
    }
}

/// `dir/dev-secrets.json`.
pub fn path(dir: &Path) -> PathBuf {
    dir.join("dev-secrets.json")
}

/// The secrets stored in `dir`, if any.
pub fn load(dir: &Path) -> Result<Option<DevSecrets>, Failure> {
    let path = path(dir);
    match std::fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str(&text).map(Some).map_err(|e| {
            Failure::Other(format!(
                "{} is damaged ({e}); delete it to generate new dev secrets",
                path.display()
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Failure::Other(format!(
            "cannot read {}: {e}",
            path.display()
        ))),
    }
}

/// The secrets stored in `dir`, generated and written (mode 0600) on first use. The boolean
/// is true when they were just created.
pub fn load_or_create(dir: &Path) -> Result<(DevSecrets, bool), Failure> {
    if let Some(secrets) = load(dir)? {
        return Ok((secrets, false));
    }
    let path = path(dir);
    let fail = |e: std::io::Error| Failure::Other(format!("cannot write {}: {e}", path.display()));
    std::fs::create_dir_all(dir).map_err(fail)?;
    let secrets = DevSecrets::generate();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(&path) {
        Ok(mut file) => {
            let text = serde_json::to_string_pretty(&secrets)
                .map_err(|e| Failure::Other(format!("cannot encode dev secrets: {e}")))?;
            file.write_all(text.as_bytes())
                .and_then(|()| file.sync_all())
                .map_err(fail)?;
            Ok((secrets, true))
        }
        // Another `stride dev` won the race: use its secrets.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => load(dir)?
            .map(|s| (s, false))
            .ok_or_else(|| Failure::Other(format!("{} vanished", path.display()))),
        Err(e) => Err(fail(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_created_once_owner_only_then_reused() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let (first, created) = load_or_create(&data).unwrap();
        assert!(created);
        let (again, created) = load_or_create(&data).unwrap();
        assert!(!created);
        assert_eq!(first, again);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(path(&data)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "mode {mode:o}");
        }
    }

    #[test]
    fn the_master_key_is_one_the_auth_service_accepts() {
        let secrets = DevSecrets::generate();
        stride_auth::config::MasterKey::parse(&secrets.master_key).unwrap();
        assert_ne!(secrets.service_key, DevSecrets::generate().service_key);
    }

    #[test]
    fn the_console_key_is_one_the_console_accepts_and_old_files_get_one() {
        let secrets = DevSecrets::generate();
        stride_console::ConsoleKey::from_base64(&secrets.console_key).unwrap();
        let old: DevSecrets =
            serde_json::from_str(r#"{"service_key": "s", "master_key": "m"}"#).unwrap();
        stride_console::ConsoleKey::from_base64(&old.console_key).unwrap();
        let merged = secrets.overlay(&EnvMap::new());
        assert_eq!(merged["STRIDE_CONSOLE_KEY"], secrets.console_key);
    }

    #[test]
    fn the_environment_wins_over_dev_secrets() {
        let secrets = DevSecrets::generate();
        let env: EnvMap = [("STRIDE_SERVICE_KEY".to_owned(), "mine".to_owned())].into();
        let merged = secrets.overlay(&env);
        assert_eq!(merged["STRIDE_SERVICE_KEY"], "mine");
        assert_eq!(merged["STRIDE_MASTER_KEY"], secrets.master_key);
    }
}
