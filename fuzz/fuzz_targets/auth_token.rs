//! The auth service's token verifier (header, claims, signature, times) on arbitrary bytes
//! as a JWT, both as an access and as a refresh token, over the fixed fixture key ring.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use stride_auth::fuzzing::TokenVerifier;

static VERIFIER: OnceLock<TokenVerifier> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let verifier = stride_fuzz::fixture(&VERIFIER, TokenVerifier::new);
    if let Ok(token) = std::str::from_utf8(data) {
        let _ = verifier.verify_access(token);
        let _ = verifier.verify_refresh(token);
    }
});
