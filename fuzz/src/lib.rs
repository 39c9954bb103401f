//! Support for the fuzz targets under `fuzz_targets/` (see `docs/FUZZING.md`).
//!
//! The services' entry points live in their own crates (`stride_auth::fuzzing`,
//! `stride_fitness::fuzzing`), where the internals are. `shared`'s API is public, so its
//! checks live here, in [`shared_checks`], a file that `shared/tests/corpus.rs` compiles too;
//! [`corpus`] reads the seeds for the three crates' replay tests the same way.
#![forbid(unsafe_code)]

pub mod corpus;
pub mod shared_checks;

use std::sync::OnceLock;

/// The fixture in `cell`, built by `make` on first use. A fixture that cannot be built is a
/// broken setup, not a finding, but the target cannot go on without it: it panics.
pub fn fixture<T, E: std::fmt::Display>(
    cell: &'static OnceLock<T>,
    make: impl FnOnce() -> Result<T, E>,
) -> &'static T {
    cell.get_or_init(|| match make() {
        Ok(fixture) => fixture,
        Err(err) => panic!("cannot build the fixture: {err}"),
    })
}
