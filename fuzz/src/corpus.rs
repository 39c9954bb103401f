//! The seed corpus of a fuzz target, replayed without a fuzzer by the `tests/corpus.rs` of
//! `shared`, `stride-auth` and `stride-fitness` (each compiles this file with `#[path]`), so
//! the normal test run catches a regression on any seed.
//!
//! Seeds live in `fuzz/corpus/<target>/`. A seed named `ok-*` must be accepted and one named
//! `bad-*` refused; every other name (minimised findings, fuzzer-made inputs) need only keep
//! the invariants.

use std::path::{Path, PathBuf};

/// `fuzz/corpus/<target>` of the repository that holds `crate_dir` (a crate's
/// `CARGO_MANIFEST_DIR`, at whatever depth).
pub fn dir(crate_dir: &str, target: &str) -> Option<PathBuf> {
    Path::new(crate_dir)
        .ancestors()
        .map(|root| root.join("fuzz").join("corpus").join(target))
        .find(|dir| dir.is_dir())
}

/// Runs every seed of `target` through `check` (`Ok(accepted)`, or `Err` naming a broken
/// invariant) and fails, listing every failing seed, if any does (an unreadable or empty
/// corpus fails too).
pub fn replay(crate_dir: &str, target: &str, check: impl Fn(&[u8]) -> Result<bool, String>) {
    let failures = failures(crate_dir, target, check);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn failures(
    crate_dir: &str,
    target: &str,
    check: impl Fn(&[u8]) -> Result<bool, String>,
) -> Vec<String> {
    let Some(dir) = dir(crate_dir, target) else {
        return vec![format!("no fuzz/corpus/{target} above {crate_dir}")];
    };
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(err) => return vec![format!("{}: {err}", dir.display())],
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| Some(e.ok()?.path())).collect();
    paths.sort();
    if paths.is_empty() {
        return vec![format!("{} holds no seeds", dir.display())];
    }
    paths.iter().filter_map(|path| seed(path, &check)).collect()
}

/// The failure of one seed, if it fails.
fn seed(path: &Path, check: impl Fn(&[u8]) -> Result<bool, String>) -> Option<String> {
    let name = path.file_name()?.to_string_lossy().into_owned();
    let failure = match std::fs::read(path) {
        Err(err) => format!("unreadable: {err}"),
        Ok(bytes) => match check(&bytes) {
            Err(broken) => broken,
            Ok(false) if name.starts_with("ok-") => "refused, but named ok-".into(),
            Ok(true) if name.starts_with("bad-") => "accepted, but named bad-".into(),
            Ok(_) => return None,
        },
    };
    Some(format!(
        "{target}/{name}: {failure}",
        target = dir_name(path)
    ))
}

fn dir_name(path: &Path) -> String {
    path.parent()
        .and_then(Path::file_name)
        .map(|d| d.to_string_lossy().into_owned())
        .unwrap_or_default()
}
