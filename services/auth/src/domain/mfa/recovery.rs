//! Recovery codes: what lets a user who lost the authenticator still sign in, once per code.
//!
//! A code is 12 symbols of Crockford's base32 (60 random bits), shown as `XXXX-XXXX-XXXX`;
//! typing is forgiving (any case, dashes and spaces optional, `O` for `0`, `I`/`L` for `1`).
//! Only the SHA-256 digest of the normalised code is stored: at 60 random bits a fast hash
//! is as good as a slow one, since nobody can enumerate them. Digests are compared in
//! constant time.

use base64::Engine as _;
use rand::Rng as _;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;
use zeroize::Zeroizing;

/// Codes issued at once.
pub(crate) const COUNT: usize = 10;

/// Crockford's base32 alphabet: no `I`, `L`, `O` or `U` to misread.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Symbols per code (5 bits each: 60 bits).
const SYMBOLS: usize = 12;

/// Symbols per dash-separated group when shown.
const GROUP: usize = 4;

/// Fresh codes: what the user is shown once, and the digests to store.
pub(crate) struct Issued {
    /// `XXXX-XXXX-XXXX`, for the response only.
    pub shown: Vec<String>,
    /// Their digests, for the database.
    pub digests: Vec<String>,
}

impl std::fmt::Debug for Issued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issued")
            .field("count", &self.shown.len())
            .finish_non_exhaustive()
    }
}

/// [`COUNT`] new codes from the operating system's generator.
pub(crate) fn issue() -> Issued {
    let mut rng = rand::rngs::OsRng;
    let mut shown = Vec::with_capacity(COUNT);
    let mut digests = Vec::with_capacity(COUNT);
    for _ in 0..COUNT {
        let symbols: Zeroizing<String> = Zeroizing::new(
            (0..SYMBOLS)
                .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
                .collect(),
        );
        digests.push(digest(&symbols));
        let groups: Vec<&str> = (0..SYMBOLS / GROUP)
            .map(|g| symbols.get(g * GROUP..(g + 1) * GROUP).unwrap_or_default())
            .collect();
        shown.push(groups.join("-"));
    }
    Issued { shown, digests }
}

/// The canonical form of a typed code (upper case, no separators, look-alikes mapped), or
/// `None` when it cannot be a recovery code.
pub(crate) fn normalise(raw: &str) -> Option<Zeroizing<String>> {
    let mut out = Zeroizing::new(String::with_capacity(SYMBOLS));
    for c in raw.chars() {
        let c = match c.to_ascii_uppercase() {
            '-' | ' ' | '\t' => continue,
            'O' => '0',
            'I' | 'L' => '1',
            other => other,
        };
        if !u8::try_from(c).is_ok_and(|b| ALPHABET.contains(&b)) {
            return None;
        }
        if out.len() == SYMBOLS {
            return None;
        }
        out.push(c);
    }
    (out.len() == SYMBOLS).then_some(out)
}

/// The stored digest of a normalised code: base64url of its SHA-256.
pub(crate) fn digest(normalised: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(normalised.as_bytes()))
}

/// The stored digest among `stored` that `normalised` matches, compared in constant time.
pub(crate) fn find<'a>(normalised: &str, stored: &'a [String]) -> Option<&'a str> {
    let presented = digest(normalised);
    let mut found = None;
    // Every digest is compared, so the time taken does not say which one matched.
    for candidate in stored {
        if bool::from(presented.as_bytes().ct_eq(candidate.as_bytes())) {
            found = Some(candidate.as_str());
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_codes_are_distinct_readable_and_match_only_their_own_digest() {
        let issued = issue();
        assert_eq!(issued.shown.len(), COUNT);
        let mut unique = issued.shown.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), COUNT);
        for (shown, stored) in issued.shown.iter().zip(&issued.digests) {
            assert_eq!(shown.len(), 14);
            assert_eq!(shown.matches('-').count(), 2);
            let typed = normalise(&shown.to_lowercase().replace('-', " ")).unwrap();
            assert_eq!(find(&typed, &issued.digests), Some(stored.as_str()));
            assert_eq!(&digest(&typed), stored);
        }
        assert_eq!(find("0000000000000", &issued.digests), None);
    }

    #[test]
    fn typing_is_forgiving_but_only_for_twelve_symbols() {
        assert_eq!(
            normalise("oil0-abcd-efgh").as_deref().map(String::as_str),
            Some("0110ABCDEFGH")
        );
        assert!(normalise("ABCD-EFGH-JKM").is_none());
        assert!(normalise("ABCD-EFGH-JKMNP").is_none());
        assert!(normalise("ABCD-EFGH-JKMU").is_none(), "U is not a symbol");
        assert!(normalise("ÄBCD-EFGH-JKMN").is_none());
    }
}
