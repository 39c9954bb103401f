//! Replays the seed corpus of `shared`'s fuzz targets (`fuzz/corpus/<target>/`) without a
//! fuzzer, through the same checks the targets run, so a regression on any seed fails the
//! normal test run. `docs/FUZZING.md` says how to fuzz for more.

#[path = "../../fuzz/src/corpus.rs"]
mod corpus;
#[path = "../../fuzz/src/shared_checks.rs"]
mod shared_checks;

const CRATE: &str = env!("CARGO_MANIFEST_DIR");

#[test]
fn page_token_seeds_round_trip_and_bound_the_page_size() {
    corpus::replay(CRATE, "page_token", shared_checks::page_token);
}

#[test]
fn field_mask_seeds_resolve_to_known_paths_or_name_each_unknown_one() {
    corpus::replay(CRATE, "field_mask", shared_checks::field_mask);
}

#[test]
fn database_url_seeds_parse_stably_and_never_show_a_password() {
    corpus::replay(CRATE, "database_url", shared_checks::database_url);
}

#[test]
fn duration_seeds_are_whole_milliseconds() {
    corpus::replay(CRATE, "duration", shared_checks::duration);
}
