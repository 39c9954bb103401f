//! Replays the seed corpus of the auth service's fuzz targets (`fuzz/corpus/<target>/`)
//! without a fuzzer, through the same `stride_auth::fuzzing` entry points the targets call,
//! so a regression on any seed fails the normal test run.

#[path = "../../../fuzz/src/corpus.rs"]
mod corpus;

use stride_auth::fuzzing::{self, TokenVerifier};

const CRATE: &str = env!("CARGO_MANIFEST_DIR");

#[test]
fn avatar_seeds_are_sniffed_by_their_magic_bytes() {
    corpus::replay(CRATE, "avatar", |bytes| Ok(fuzzing::parse_avatar(bytes)));
}

#[test]
fn token_seeds_verify_only_when_header_claims_signature_and_times_are_ours() {
    let verifier = TokenVerifier::new().unwrap();
    corpus::replay(CRATE, "auth_token", |bytes| {
        let token = String::from_utf8_lossy(bytes);
        Ok(verifier.verify_access(&token) || verifier.verify_refresh(&token))
    });
}

#[test]
fn the_token_fixture_accepts_what_it_mints_and_only_as_its_type() {
    let verifier = TokenVerifier::new().unwrap();
    let access = verifier.mint_access().unwrap();
    let refresh = verifier.mint_refresh().unwrap();
    assert!(verifier.verify_access(&access));
    assert!(!verifier.verify_refresh(&access));
    assert!(verifier.verify_refresh(&refresh));
    assert!(!verifier.verify_access(&refresh));
}
