//! Replays the seed corpus of the fitness service's fuzz targets (`fuzz/corpus/<target>/`)
//! without a fuzzer, through the same `stride_fitness::fuzzing` entry points the targets
//! call, so a regression on any seed fails the normal test run.

#[path = "../../../fuzz/src/corpus.rs"]
mod corpus;

use stride_fitness::fuzzing::{self, TokenVerifier};

const CRATE: &str = env!("CARGO_MANIFEST_DIR");

#[test]
fn request_seeds_parse_or_name_every_violated_field() {
    corpus::replay(CRATE, "fitness_request", fuzzing::parse_request);
}

#[test]
fn import_seeds_parse_alike_in_any_chunks_and_refusals_name_a_line() {
    corpus::replay(CRATE, "fitness_import", fuzzing::parse_import);
}

#[test]
fn token_seeds_verify_only_when_header_claims_signature_and_times_are_ours() {
    let verifier = TokenVerifier::new().unwrap();
    corpus::replay(CRATE, "fitness_token", |bytes| {
        Ok(verifier.verify(&String::from_utf8_lossy(bytes)))
    });
}

#[test]
fn an_access_token_of_the_auth_fixture_verifies_here() {
    let auth = stride_auth::fuzzing::TokenVerifier::new().unwrap();
    let verifier = TokenVerifier::new().unwrap();
    assert!(verifier.verify(&auth.mint_access().unwrap()));
    assert!(!verifier.verify(&auth.mint_refresh().unwrap()));
}
