//! List pagination (SPEC §2): `page_size` rules and opaque keyset page tokens bound to the
//! filters they were issued for.
//!
//! A token is base64url JSON of `{"f": fingerprint, "k": key}`: the fingerprint is a hash of
//! the request's filters, so reusing a token with other filters is refused instead of silently
//! returning the wrong page. Tokens are not secret: forging one only pages through the
//! caller's own rows, since every query is scoped by the caller.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use crate::error::FieldViolation;

/// Page size when the request leaves it at 0.
pub const DEFAULT_PAGE_SIZE: i64 = 50;
/// Largest page size served; larger requests are capped.
pub const MAX_PAGE_SIZE: i64 = 500;

/// Validates `page_size`: 0 → 50, above 500 → 500, negative → a violation on `page_size`.
pub fn page_size(raw: i32) -> Result<i64, FieldViolation> {
    match raw {
        0 => Ok(DEFAULT_PAGE_SIZE),
        n if n < 0 => Err(FieldViolation {
            field: "page_size".into(),
            description: "must not be negative".into(),
        }),
        n => Ok(i64::from(n).min(MAX_PAGE_SIZE)),
    }
}

/// A stable digest of the filter values a listing was asked with (order matters).
pub fn fingerprint(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        // Length-prefixed so ("ab", "c") and ("a", "bc") differ.
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    let digest = hasher.finalize();
    URL_SAFE_NO_PAD.encode(&digest[..12])
}

#[derive(Serialize)]
struct EnvelopeRef<'a, K> {
    f: &'a str,
    k: &'a K,
}

#[derive(serde::Deserialize)]
struct Envelope<K> {
    f: String,
    k: K,
}

/// Encodes the keyset position `key` (the last row served) for the listing `fingerprint`.
pub fn encode_token<K: Serialize>(fingerprint: &str, key: &K) -> String {
    let envelope = EnvelopeRef {
        f: fingerprint,
        k: key,
    };
    // Serialising plain data (strings, integers) into a Vec cannot fail.
    let json = serde_json::to_vec(&envelope).unwrap_or_default();
    URL_SAFE_NO_PAD.encode(json)
}

/// Decodes a page token for the listing `fingerprint`: `Ok(None)` for the first page, a
/// violation on `page_token` for garbage or a token issued with other filters.
pub fn decode_token<K: DeserializeOwned>(
    token: &str,
    fingerprint: &str,
) -> Result<Option<K>, FieldViolation> {
    if token.is_empty() {
        return Ok(None);
    }
    let invalid = |description: &str| FieldViolation {
        field: "page_token".into(),
        description: description.into(),
    };
    let bytes = URL_SAFE_NO_PAD
        .decode(token)
        .map_err(|_| invalid("not a page token from this listing"))?;
    let envelope: Envelope<K> = serde_json::from_slice(&bytes)
        .map_err(|_| invalid("not a page token from this listing"))?;
    if envelope.f != fingerprint {
        return Err(invalid("the page token was issued for different filters"));
    }
    Ok(Some(envelope.k))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_size_defaults_caps_and_rejects_negatives() {
        assert_eq!(page_size(0), Ok(50));
        assert_eq!(page_size(7), Ok(7));
        assert_eq!(page_size(10_000), Ok(500));
        assert_eq!(page_size(-1).unwrap_err().field, "page_size");
    }

    #[test]
    fn a_token_round_trips_for_the_same_filters_only() {
        let f = fingerprint(&["STRENGTH", "2026-01-01"]);
        let token = encode_token(&f, &("2026-11-24".to_owned(), "id-9".to_owned()));
        let key: Option<(String, String)> = decode_token(&token, &f).unwrap();
        assert_eq!(key, Some(("2026-11-24".into(), "id-9".into())));
        let other = fingerprint(&["CARDIO", "2026-01-01"]);
        let err = decode_token::<(String, String)>(&token, &other).unwrap_err();
        assert_eq!(err.field, "page_token");
    }

    #[test]
    fn empty_and_garbage_tokens() {
        let f = fingerprint(&[]);
        assert_eq!(decode_token::<i64>("", &f), Ok(None));
        assert!(decode_token::<i64>("%%%", &f).is_err());
        assert!(decode_token::<i64>(&URL_SAFE_NO_PAD.encode("{}"), &f).is_err());
    }

    #[test]
    fn fingerprints_are_length_prefixed() {
        assert_ne!(fingerprint(&["ab", "c"]), fingerprint(&["a", "bc"]));
    }
}
