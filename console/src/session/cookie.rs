//! The session cookie: the session's random id, encrypted and authenticated with AES-256-GCM
//! under `STRIDE_CONSOLE_KEY`, so a cookie is worthless without the key and cannot be forged or
//! altered. The tokens themselves never leave the console.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest as _, Sha256};

use crate::config::ConsoleKey;

/// Name of the signed-in session's cookie.
const SESSION_COOKIE: &str = "stride_session";
/// Name of the cookie that carries the sign-in form's CSRF secret before a session exists.
const PRESESSION_COOKIE: &str = "stride_presession";
/// Associated data binding a sealed value to its cookie.
const AAD_SESSION: &[u8] = b"stride-console session v1";
const AAD_PRESESSION: &[u8] = b"stride-console presession v1";

/// Seals and opens cookie values.
#[derive(Clone)]
pub(crate) struct CookieSealer {
    cipher: Aes256Gcm,
    secure: bool,
    /// A digest of the key: the secret input of values derived from sealed ids.
    fingerprint: [u8; 32],
}

impl std::fmt::Debug for CookieSealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CookieSealer")
            .field("secure", &self.secure)
            .finish_non_exhaustive()
    }
}

/// Which cookie a value is sealed for (a value of one cannot be replayed as the other).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    Session,
    Presession,
}

impl Kind {
    fn aad(self) -> &'static [u8] {
        match self {
            Kind::Session => AAD_SESSION,
            Kind::Presession => AAD_PRESESSION,
        }
    }

    /// The cookie's name: with the `__Host-` prefix under TLS, so a sibling subdomain cannot
    /// plant one of its own (the browser accepts such a cookie only from this host, `Secure`,
    /// for path `/`).
    fn name(self, secure: bool) -> &'static str {
        match (self, secure) {
            (Kind::Session, false) => SESSION_COOKIE,
            (Kind::Session, true) => "__Host-stride_session",
            (Kind::Presession, false) => PRESESSION_COOKIE,
            (Kind::Presession, true) => "__Host-stride_presession",
        }
    }
}

impl CookieSealer {
    pub(crate) fn new(key: &ConsoleKey, secure: bool) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(b"stride-console key fingerprint");
        hasher.update(key.bytes());
        Self {
            cipher: Aes256Gcm::new(key.bytes().into()),
            secure,
            fingerprint: hasher.finalize().into(),
        }
    }

    /// The value of this console's `kind` cookie in a request, if any.
    pub(crate) fn read<'a>(&self, kind: Kind, headers: &'a http::HeaderMap) -> Option<&'a str> {
        read(headers, kind.name(self.secure))
    }

    /// True when cookies carry `Secure` (the console is reached over HTTPS).
    pub(crate) fn secure(&self) -> bool {
        self.secure
    }

    /// A secret digest of the key (never the key itself).
    pub(crate) fn fingerprint(&self) -> &[u8; 32] {
        &self.fingerprint
    }

    /// `id` encrypted under a fresh nonce, as URL-safe base64.
    pub(crate) fn seal(&self, kind: Kind, id: &[u8; 32]) -> String {
        let nonce: [u8; 12] = rand::random();
        let payload = Payload {
            msg: id,
            aad: kind.aad(),
        };
        // Encryption of 32 bytes into a Vec cannot fail.
        let sealed = self
            .cipher
            .encrypt(&Nonce::from(nonce), payload)
            .unwrap_or_default();
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        URL_SAFE_NO_PAD.encode(out)
    }

    /// The id inside a cookie value, or `None` for anything this key did not seal.
    pub(crate) fn open(&self, kind: Kind, value: &str) -> Option<[u8; 32]> {
        if value.len() > 128 {
            return None;
        }
        let raw = URL_SAFE_NO_PAD.decode(value).ok()?;
        if raw.len() < 12 {
            return None;
        }
        let (nonce, sealed) = raw.split_at(12);
        let nonce: [u8; 12] = nonce.try_into().ok()?;
        let payload = Payload {
            msg: sealed,
            aad: kind.aad(),
        };
        let plain = self.cipher.decrypt(&Nonce::from(nonce), payload).ok()?;
        plain.try_into().ok()
    }

    /// A `Set-Cookie` value: `HttpOnly`, `SameSite=Strict`, path `/`, `Secure` under TLS; a
    /// session cookie (no `Max-Age`), since the server ends idle sessions itself.
    pub(crate) fn set(&self, kind: Kind, id: &[u8; 32]) -> String {
        format!(
            "{}={}; Path=/; HttpOnly; SameSite=Strict{}",
            kind.name(self.secure),
            self.seal(kind, id),
            if self.secure { "; Secure" } else { "" }
        )
    }

    /// A `Set-Cookie` value that deletes the cookie.
    pub(crate) fn clear(&self, kind: Kind) -> String {
        clear(kind, self.secure)
    }
}

/// A `Set-Cookie` value that deletes the `kind` cookie as a console over TLS (`secure`) or
/// plain HTTP names it.
pub(crate) fn clear(kind: Kind, secure: bool) -> String {
    format!(
        "{}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{}",
        kind.name(secure),
        if secure { "; Secure" } else { "" }
    )
}

/// The value of cookie `name` in a request's `Cookie` headers.
pub(crate) fn read<'a>(headers: &'a http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealer() -> CookieSealer {
        CookieSealer::new(&ConsoleKey::generate(), false)
    }

    #[test]
    fn a_sealed_id_opens_only_with_its_key_and_for_its_cookie() {
        let sealer = sealer();
        let id = [9u8; 32];
        let value = sealer.seal(Kind::Session, &id);
        assert_eq!(sealer.open(Kind::Session, &value), Some(id));
        assert_eq!(sealer.open(Kind::Presession, &value), None);
        assert_eq!(self::sealer().open(Kind::Session, &value), None);
        assert!(!value.contains(&URL_SAFE_NO_PAD.encode(id)));
    }

    #[test]
    fn a_tampered_or_garbage_cookie_opens_to_nothing() {
        let sealer = sealer();
        let mut value = sealer.seal(Kind::Session, &[1u8; 32]).into_bytes();
        let last = value.len() - 2;
        value[last] = if value[last] == b'A' { b'B' } else { b'A' };
        let value = String::from_utf8(value).unwrap();
        assert_eq!(sealer.open(Kind::Session, &value), None);
        assert_eq!(sealer.open(Kind::Session, "not base64!"), None);
        assert_eq!(sealer.open(Kind::Session, ""), None);
        assert_eq!(sealer.open(Kind::Session, &"A".repeat(5000)), None);
    }

    #[test]
    fn cookies_are_http_only_strict_and_secure_under_tls() {
        let plain = sealer().set(Kind::Session, &[0u8; 32]);
        assert!(plain.contains("HttpOnly") && plain.contains("SameSite=Strict"));
        assert!(!plain.contains("Secure"));
        let tls = CookieSealer::new(&ConsoleKey::generate(), true).set(Kind::Session, &[0u8; 32]);
        assert!(tls.ends_with("; Secure"));
        assert!(tls.starts_with("__Host-stride_session="), "{tls}");
    }

    #[test]
    fn the_named_cookie_is_found_among_others() {
        let mut headers = http::HeaderMap::new();
        headers.insert(
            http::header::COOKIE,
            "a=1; stride_session=xyz; b=2".parse().unwrap(),
        );
        assert_eq!(read(&headers, SESSION_COOKIE), Some("xyz"));
        assert_eq!(read(&headers, "missing"), None);
    }
}
