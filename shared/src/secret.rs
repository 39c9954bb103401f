//! [`Secret`]: a configured secret (service key, bootstrap password) that never shows in
//! `Debug` output, logs or errors, and is wiped from memory when dropped.

use zeroize::Zeroizing;

/// A secret string; `Debug` prints `<redacted>`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Self(Zeroizing::new(value.into()))
    }

    /// The secret itself. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Shortest service key production accepts, in bytes.
pub const MIN_KEY_BYTES: usize = 32;

/// Why `key` is not fit to guard a production service: absent, shorter than
/// [`MIN_KEY_BYTES`], visibly not random (fewer than 16 distinct bytes), or one of the values
/// published in this project's examples. `None` when it is fit.
pub fn weak_key_reason(key: &Secret) -> Option<&'static str> {
    /// Values that appear in the project's own examples and defaults.
    const PUBLISHED: &[&str] = &[
        "stride-dev-service-key",
        "change-me-service-key-at-least-32-bytes",
        "test-service-key",
    ];
    let key = key.expose();
    let distinct = key.bytes().collect::<std::collections::HashSet<_>>().len();
    if key.is_empty() {
        Some("is required in production (`stride dev` generates one for development)")
    } else if PUBLISHED.contains(&key) {
        Some("is a published example value; generate one, e.g. `openssl rand -base64 32`")
    } else if key.len() < MIN_KEY_BYTES {
        Some("must be at least 32 random bytes, e.g. `openssl rand -base64 32`")
    } else if distinct < 16 {
        Some("does not look random; generate one, e.g. `openssl rand -base64 32`")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn production_keys_must_be_long_random_and_unpublished() {
        let weak = |k: &str| weak_key_reason(&Secret::new(k)).is_some();
        assert!(weak(""));
        assert!(weak("stride-dev-service-key"));
        assert!(weak("change-me-service-key-at-least-32-bytes"));
        assert!(weak("short-but-random-Xq9"));
        assert!(weak(&"ab".repeat(20)));
        assert!(!weak("q3Jx9vLm2Tz8RkW4bN7yHc1PfD6sGa0E5uVo"));
    }

    #[test]
    fn debug_output_hides_the_secret() {
        let secret = Secret::new("hunter2");
        assert_eq!(format!("{secret:?}"), "<redacted>");
        assert_eq!(secret.expose(), "hunter2");
    }
}
