//! List pagination (see `docs/ARCHITECTURE.md`, "Lists"): `page_size` rules, opaque keyset
//! page tokens bound to the filters they were issued for, and the tail every listing shares
//! ([`PageRequest::page`]: fetch one row more than asked, cut, encode the next token).
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

use crate::error::{FieldViolation, Violations};

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

/// A parsed page request of a listing whose keyset position is `K` (typically the sort key
/// and id of the last row served).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest<K> {
    /// Rows wanted (1..=[`MAX_PAGE_SIZE`]).
    pub size: i64,
    /// Where to continue; `None` for the first page.
    pub after: Option<K>,
    /// Digest of the listing's filters, bound into the next token.
    fingerprint: String,
}

impl<K: Serialize + DeserializeOwned> PageRequest<K> {
    /// Parses `page_size` and `page_token` for a listing asked with `filters` (every value
    /// that shapes the result, in a fixed order), recording problems into `violations`.
    pub fn parse(
        page_size: i32,
        page_token: &str,
        filters: &[&str],
        violations: &mut Violations,
    ) -> Self {
        let fingerprint = fingerprint(filters);
        let size = page_size_or_record(page_size, violations);
        let after = match decode_token::<K>(page_token, &fingerprint) {
            Ok(after) => after,
            Err(v) => {
                violations.add(v.field, v.description);
                None
            }
        };
        Self {
            size,
            after,
            fingerprint,
        }
    }

    /// How many rows to fetch: one more than the page, to learn whether another follows.
    pub fn limit(&self) -> i64 {
        self.size.saturating_add(1)
    }

    /// Cuts `rows` (fetched with [`limit`](Self::limit)) to the page and encodes the next
    /// token from the last row kept, via `position`; the token is empty at the end.
    pub fn page<T>(&self, mut rows: Vec<T>, position: impl Fn(&T) -> K) -> Page<T> {
        let size = usize::try_from(self.size).unwrap_or(usize::MAX);
        let more = rows.len() > size;
        rows.truncate(size);
        let next_page_token = match rows.last() {
            Some(last) if more => encode_token(&self.fingerprint, &position(last)),
            _ => String::new(),
        };
        Page {
            items: rows,
            next_page_token,
        }
    }
}

/// `page_size` parsed, or the default after recording the violation.
fn page_size_or_record(raw: i32, violations: &mut Violations) -> i64 {
    page_size(raw).unwrap_or_else(|v| {
        violations.add(v.field, v.description);
        DEFAULT_PAGE_SIZE
    })
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The rows, at most the requested size.
    pub items: Vec<T>,
    /// Token of the next page; empty at the end.
    pub next_page_token: String,
}

impl<T> Page<T> {
    /// The same page with every row converted by `f`.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_page_token: self.next_page_token,
        }
    }
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
    fn a_page_request_cuts_one_extra_row_into_a_next_token() {
        let mut v = Violations::new();
        let request = PageRequest::<i64>::parse(2, "", &["numbers"], &mut v);
        assert!(v.is_empty());
        assert_eq!(request.limit(), 3);
        let page = request.page(vec![10, 20, 30], |n| *n);
        assert_eq!(page.items, [10, 20]);
        let mut v = Violations::new();
        let next = PageRequest::<i64>::parse(2, &page.next_page_token, &["numbers"], &mut v);
        assert_eq!(next.after, Some(20));
        let last = next.page(vec![30], |n| *n);
        assert_eq!(
            (last.items, last.next_page_token),
            (vec![30], String::new())
        );
    }

    #[test]
    fn a_page_request_records_every_problem() {
        let mut v = Violations::new();
        let token = encode_token(&fingerprint(&["a"]), &1_i64);
        let request = PageRequest::<i64>::parse(-1, &token, &["b"], &mut v);
        let fields: Vec<_> = v.fields().iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["page_size", "page_token"]);
        assert_eq!((request.size, request.after), (DEFAULT_PAGE_SIZE, None));
    }

    #[test]
    fn fingerprints_are_length_prefixed() {
        assert_ne!(fingerprint(&["ab", "c"]), fingerprint(&["a", "bc"]));
    }
}
