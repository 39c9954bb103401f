//! Identifiers: who is asking ([`UserId`]), which row ([`Id`]) and which attempt of a
//! request ([`RequestId`]). Each parses a raw value once, at the edge; errors are
//! descriptions for a `BadRequest` field violation.

/// Longest request id, in characters.
pub const MAX_REQUEST_ID_CHARS: usize = 128;

/// The caller's user id: the access token's `sub` (or, with authentication disabled for
/// benchmarks, the claimed one). Every query is scoped by it; it derefs to the text bound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserId(String);

impl UserId {
    /// `None` for an empty subject, which names nobody.
    pub fn parse(raw: String) -> Option<Self> {
        (!raw.is_empty()).then_some(Self(raw))
    }
}

impl std::ops::Deref for UserId {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}
/// A resource id: a UUID, kept in canonical lower-case hyphenated form.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id(String);

impl Id {
    /// A fresh UUIDv7.
    pub fn generate() -> Self {
        Self(uuid::Uuid::now_v7().to_string())
    }

    /// Parses a UUID in any of its textual forms.
    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.is_empty() {
            return Err("required".into());
        }
        uuid::Uuid::try_parse(raw)
            .map(|u| Self(u.to_string()))
            .map_err(|_| "must be a UUID".into())
    }

    /// The canonical text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The canonical text, owned.
    pub fn into_string(self) -> String {
        self.0
    }
}
/// An AIP-155 idempotency key: 1–128 printable characters (a UUID is typical).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(String);

impl RequestId {
    /// `None` for an empty key (no idempotency asked for).
    pub fn parse(raw: &str) -> Result<Option<Self>, String> {
        if raw.is_empty() {
            return Ok(None);
        }
        if raw.chars().count() > MAX_REQUEST_ID_CHARS || raw.chars().any(char::is_control) {
            return Err(format!(
                "at most {MAX_REQUEST_ID_CHARS} printable characters"
            ));
        }
        Ok(Some(Self(raw.to_owned())))
    }

    /// The key.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_canonicalised_and_garbage_is_refused() {
        let id = Id::parse("0190A3B4-0000-7000-8000-000000000001").unwrap();
        assert_eq!(id.as_str(), "0190a3b4-0000-7000-8000-000000000001");
        assert!(Id::parse("").is_err());
        assert!(Id::parse("not-a-uuid").is_err());
        assert!(Id::parse("'; DROP TABLE workouts; --").is_err());
    }

    #[test]
    fn an_empty_subject_is_nobody() {
        assert!(UserId::parse(String::new()).is_none());
        assert_eq!(&*UserId::parse("u1".into()).unwrap(), "u1");
    }

    #[test]
    fn request_ids_are_optional_and_bounded() {
        assert_eq!(RequestId::parse(""), Ok(None));
        assert!(RequestId::parse("abc").unwrap().is_some());
        assert!(RequestId::parse(&"x".repeat(129)).is_err());
        assert!(RequestId::parse("a\nb").is_err());
    }
}
