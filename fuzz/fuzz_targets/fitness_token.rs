//! The fitness auth layer's access-token verifier on arbitrary bytes as a JWT, over a JWKS
//! holding the auth fixture's key.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use stride_fitness::fuzzing::TokenVerifier;

static VERIFIER: OnceLock<TokenVerifier> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let verifier = stride_fuzz::fixture(&VERIFIER, TokenVerifier::new);
    if let Ok(token) = std::str::from_utf8(data) {
        let _ = verifier.verify(token);
    }
});
