//! Secrets of mailed links (email verification, password reset): 256 random bits, URL-safe,
//! of which the database keeps only a SHA-256 digest. A leaked database row cannot be turned
//! back into a working link, and a lookup by digest needs no constant-time comparison (the
//! digest of a guess reveals nothing about the stored one).

use base64::Engine as _;
use rand::RngCore as _;
use sha2::{Digest as _, Sha256};
use zeroize::Zeroizing;

/// Longest presented token accepted, in bytes (a real one is 43).
const MAX_TOKEN_BYTES: usize = 128;

/// A fresh token: what goes in the message, and the digest that is stored.
pub(crate) fn generate() -> (Zeroizing<String>, String) {
    let mut bytes = Zeroizing::new([0u8; 32]);
    rand::rngs::OsRng.fill_bytes(bytes.as_mut());
    let token = Zeroizing::new(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(*bytes));
    let digest = digest(&token);
    (token, digest)
}

/// The stored digest of `token` (hex SHA-256).
pub(crate) fn digest(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A presented token, checked for shape only: INVALID_ARGUMENT on `field` when empty or
/// oversized (anything else is looked up and, unknown, refused as UNAUTHENTICATED).
pub(crate) fn presented(field: &str, raw: String) -> crate::error::Result<Zeroizing<String>> {
    let token = Zeroizing::new(raw);
    if token.is_empty() {
        return Err(crate::error::Error::invalid(field, "must not be empty"));
    }
    if token.len() > MAX_TOKEN_BYTES {
        return Err(crate::error::Error::invalid(
            field,
            format!("at most {MAX_TOKEN_BYTES} bytes"),
        ));
    }
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_url_safe_unique_and_stored_only_as_their_digest() {
        let (a, digest_a) = generate();
        let (b, _) = generate();
        assert_eq!(a.len(), 43);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
        assert_ne!(*a, *b);
        assert_eq!(digest(&a), digest_a);
        assert_eq!(digest_a.len(), 64);
        assert!(!digest_a.contains(a.as_str()));
    }
}
