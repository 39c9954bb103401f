//! The credentials RPCs carry in metadata, read the same way by both services:
//! - `authorization: Bearer <access token>` on every signed-in call ([`bearer`]);
//! - `x-stride-service-key: <key>` on internal calls from one service to another
//!   ([`SERVICE_KEY_HEADER`], checked in constant time by [`ServiceKeyCheck`]).
//!
//! A failure is an UPPER_SNAKE reason for an UNAUTHENTICATED status, one reason per failure
//! whichever service reports it.

use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

/// Metadata key carrying the service key of internal calls.
pub const SERVICE_KEY_HEADER: &str = "x-stride-service-key";

/// No `authorization` metadata at all.
pub const MISSING_TOKEN: &str = "MISSING_TOKEN";
/// `authorization` is present but not `Bearer <token>`, or the token does not verify.
pub const INVALID_TOKEN: &str = "INVALID_TOKEN";
/// An internal call without the right service key.
pub const INVALID_SERVICE_KEY: &str = "INVALID_SERVICE_KEY";

/// The token of an `authorization: Bearer <token>` header (scheme case-insensitive), or the
/// reason it cannot be had ([`MISSING_TOKEN`], [`INVALID_TOKEN`]).
pub fn bearer(headers: &http::HeaderMap) -> Result<&str, &'static str> {
    let value = headers
        .get(http::header::AUTHORIZATION)
        .ok_or(MISSING_TOKEN)?
        .to_str()
        .map_err(|_| INVALID_TOKEN)?;
    let (scheme, token) = value.split_once(' ').ok_or(INVALID_TOKEN)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(INVALID_TOKEN);
    }
    Ok(token)
}

/// The expected service key, kept as a SHA-256 digest: comparing fixed-length digests in
/// constant time leaks neither the key's bytes nor its length.
#[derive(Clone)]
pub struct ServiceKeyCheck {
    digest: [u8; 32],
}

impl std::fmt::Debug for ServiceKeyCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServiceKeyCheck(<redacted>)")
    }
}

impl ServiceKeyCheck {
    /// Accepts exactly `key`.
    pub fn new(key: &str) -> Self {
        Self {
            digest: Sha256::digest(key.as_bytes()).into(),
        }
    }

    /// `Ok` when `headers` carry the key, else [`INVALID_SERVICE_KEY`].
    pub fn check(&self, headers: &http::HeaderMap) -> Result<(), &'static str> {
        let presented = headers
            .get(SERVICE_KEY_HEADER)
            .map(|v| -> [u8; 32] { Sha256::digest(v.as_bytes()).into() });
        match presented {
            Some(digest) if bool::from(digest.ct_eq(&self.digest)) => Ok(()),
            _ => Err(INVALID_SERVICE_KEY),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(name: &str, value: Option<&str>) -> http::HeaderMap {
        let mut h = http::HeaderMap::new();
        if let Some(value) = value {
            h.insert(
                http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                value.parse().unwrap(),
            );
        }
        h
    }

    #[test]
    fn bearer_tokens_are_extracted_and_anything_else_refused() {
        let auth = |v| headers("authorization", Some(v));
        assert_eq!(bearer(&auth("Bearer abc")), Ok("abc"));
        assert_eq!(bearer(&auth("bearer  abc ")), Ok("abc"));
        assert_eq!(bearer(&headers("authorization", None)), Err(MISSING_TOKEN));
        for bad in ["Basic abc", "Bearer", "Bearer   ", "abc"] {
            assert_eq!(bearer(&auth(bad)), Err(INVALID_TOKEN), "{bad}");
        }
    }

    #[test]
    fn only_the_exact_service_key_is_accepted() {
        let key = ServiceKeyCheck::new("s3cret");
        assert_eq!(
            key.check(&headers(SERVICE_KEY_HEADER, Some("s3cret"))),
            Ok(())
        );
        for bad in [
            None,
            Some(""),
            Some("s3cre"),
            Some("s3cret "),
            Some("S3CRET"),
        ] {
            assert_eq!(
                key.check(&headers(SERVICE_KEY_HEADER, bad)),
                Err(INVALID_SERVICE_KEY),
                "{bad:?}"
            );
        }
        assert!(!format!("{key:?}").contains("s3cret"));
    }
}
