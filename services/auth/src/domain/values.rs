//! Validated values of the auth service: each is parsed once at the RPC edge (collecting every
//! violation of a request into one `BadRequest`) and carried as its own type afterwards, so no
//! raw string reaches a rule or a query.
//!
//! Each `parse` returns the description of what is wrong, for a `BadRequest` field violation.

use zeroize::Zeroizing;

use crate::config::PasswordConfig;

/// Longest first/last/full name, in characters.
const MAX_NAME_CHARS: usize = 100;
/// Longest device label, in characters.
const MAX_DEVICE_LABEL_CHARS: usize = 100;
/// Longest email address (RFC 5321 path limit).
const MAX_EMAIL_CHARS: usize = 254;
/// Longest biography, in characters.
const MAX_BIO_CHARS: usize = 1000;
/// Longest notes, in characters.
const MAX_NOTES_CHARS: usize = 2000;
/// Longest id: ids are UUIDs, anything longer is not one.
const MAX_ID_CHARS: usize = 64;

/// A username: 3–32 characters of `[a-z0-9_.-]`, compared case-insensitively (upper-case
/// ASCII letters are accepted and kept for display, but `Ada` and `ada` are one account).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Username(String);

impl Username {
    /// Parses a username.
    pub(crate) fn parse(raw: String) -> Result<Self, String> {
        let len = raw.chars().count();
        if !(3..=32).contains(&len) {
            return Err("must be 3 to 32 characters".into());
        }
        if !raw
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        {
            return Err("may only contain letters a-z, digits, '_', '.' and '-'".into());
        }
        Ok(Self(raw))
    }

    /// As given (display case).
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }

    /// The unique key (lowercase).
    pub(crate) fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

/// A plausible address: `local@domain.tld`, no spaces or control characters, at most 254
/// characters. Deliverability is not this service's to prove.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Email(String);

impl Email {
    /// Parses an email address.
    pub(crate) fn parse(raw: String) -> Result<Self, String> {
        let invalid = || Err("must be an email address such as ada@example.com".into());
        if raw.is_empty() || raw.chars().count() > MAX_EMAIL_CHARS {
            return invalid();
        }
        if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return invalid();
        }
        let Some((local, domain)) = raw.rsplit_once('@') else {
            return invalid();
        };
        if local.is_empty() || local.len() > 64 || local.contains('@') {
            return invalid();
        }
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2
            || labels.iter().any(|l| {
                l.is_empty()
                    || l.starts_with('-')
                    || l.ends_with('-')
                    || !l.chars().all(|c| c.is_alphanumeric() || c == '-')
            })
        {
            return invalid();
        }
        Ok(Self(raw))
    }

    /// As given.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }

    /// The unique key (lowercase).
    pub(crate) fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

/// A username or email address presented at login, any case: kept as the lowercase key both
/// are unique by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LoginName(String);

impl LoginName {
    /// Parses a login name.
    pub(crate) fn parse(raw: &str) -> Result<Self, String> {
        let key = raw.trim().to_lowercase();
        if key.is_empty() {
            return Err("must be a username or email address".into());
        }
        Ok(Self(key))
    }

    /// The lowercase key.
    pub(crate) fn key(&self) -> &str {
        &self.0
    }
}

/// Free text of at most `MAX` characters without control characters (newlines allowed).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Text<const MAX: usize>(String);

impl<const MAX: usize> Text<MAX> {
    /// Parses text.
    pub(crate) fn parse(raw: String) -> Result<Self, String> {
        if raw.chars().count() > MAX {
            return Err(format!("must be at most {MAX} characters"));
        }
        if raw.chars().any(|c| c.is_control() && c != '\n') {
            return Err("must not contain control characters".into());
        }
        Ok(Self(raw))
    }

    /// The text.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }

    /// The text, owned.
    pub(crate) fn into_string(self) -> String {
        self.0
    }
}

/// A first, last or display name.
pub(crate) type Name = Text<MAX_NAME_CHARS>;
/// A session's device label (optional: may be empty).
pub(crate) type DeviceLabel = Text<MAX_DEVICE_LABEL_CHARS>;
/// A profile biography.
pub(crate) type Bio = Text<MAX_BIO_CHARS>;
/// A profile's private notes.
pub(crate) type Notes = Text<MAX_NOTES_CHARS>;

/// The id of a user, session or token named by a request: present and id-shaped. Whether it
/// exists (and is the caller's) is the domain's question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Id(String);

impl Id {
    /// Parses a required id.
    pub(crate) fn parse(raw: String) -> Result<Self, String> {
        if raw.trim().is_empty() {
            Err("must not be empty".into())
        } else if raw.len() > MAX_ID_CHARS {
            Err("is not an id".into())
        } else {
            Ok(Self(raw))
        }
    }

    /// Parses an optional id filter: empty is "any".
    pub(crate) fn parse_optional(raw: String) -> Result<Option<Self>, String> {
        if raw.is_empty() {
            Ok(None)
        } else if raw.len() > MAX_ID_CHARS {
            Err("is not an id".into())
        } else {
            Ok(Some(Self(raw)))
        }
    }

    /// The id.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password presented to be checked against a stored hash: non-empty and no longer than
/// any stored password can be, which bounds the hashing cost.
#[derive(Debug)]
pub(crate) struct PresentedPassword(Zeroizing<String>);

impl PresentedPassword {
    /// Parses a presented password.
    pub(crate) fn parse(raw: String, policy: &PasswordConfig) -> Result<Self, String> {
        let raw = Zeroizing::new(raw);
        if raw.is_empty() {
            return Err("must not be empty".into());
        }
        if raw.chars().count() > policy.max_length {
            return Err(format!("must be at most {} characters", policy.max_length));
        }
        Ok(Self(raw))
    }

    /// The password; zeroed on drop, never logged.
    pub(crate) fn secret(&self) -> Zeroizing<String> {
        self.0.clone()
    }
}

/// A new password within the configured length. Its strength is judged afterwards, off the
/// async workers, by [`crate::password::Hasher::judge`]: the cheap checks of a request come
/// first, the expensive one only once they pass.
#[derive(Debug)]
pub(crate) struct NewPassword(Zeroizing<String>);

impl NewPassword {
    /// Parses a new password's length.
    pub(crate) fn parse(raw: String, policy: &PasswordConfig) -> Result<Self, String> {
        let raw = Zeroizing::new(raw);
        let len = raw.chars().count();
        if len < policy.min_length {
            return Err(format!("must be at least {} characters", policy.min_length));
        }
        if len > policy.max_length {
            return Err(format!("must be at most {} characters", policy.max_length));
        }
        Ok(Self(raw))
    }

    /// The password; zeroed on drop, never logged.
    pub(crate) fn secret(&self) -> Zeroizing<String> {
        self.0.clone()
    }

    /// True when it equals `other`.
    pub(crate) fn equals(&self, other: &PresentedPassword) -> bool {
        *self.0 == *other.0
    }
}

/// A birth date: ISO `YYYY-MM-DD`, not after `today`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BirthDate(String);

impl BirthDate {
    /// Parses a birth date given today's date (Unix microseconds of "now").
    pub(crate) fn parse(raw: String, now: shared::time::Micros) -> Result<Self, String> {
        let format = time::macros::format_description!("[year]-[month]-[day]");
        let date = time::Date::parse(&raw, &format)
            .map_err(|_| "must be a date written YYYY-MM-DD".to_owned())?;
        let today = time::OffsetDateTime::from_unix_timestamp(now.div_euclid(1_000_000))
            .map_err(|_| "cannot compare with today".to_owned())?
            .date();
        if date > today {
            return Err("must not be in the future".into());
        }
        Ok(Self(raw))
    }

    /// `YYYY-MM-DD`.
    pub(crate) fn into_string(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> PasswordConfig {
        PasswordConfig {
            memory_kib: 1024,
            iterations: 1,
            parallelism: 1,
            hash_concurrency: 1,
            min_length: 12,
            max_length: 128,
            min_score: 3,
            queue_wait: std::time::Duration::from_secs(1),
        }
    }

    #[test]
    fn usernames_follow_the_rule() {
        for ok in ["ada", "ada.lovelace", "a_b-c.d", "ADA", &"x".repeat(32)] {
            assert!(Username::parse(ok.into()).is_ok(), "{ok}");
        }
        for bad in ["ab", "", "ada lovelace", "ada@home", "ádá", &"x".repeat(33)] {
            assert!(Username::parse(bad.into()).is_err(), "{bad}");
        }
        assert_eq!(Username::parse("Ada".into()).unwrap().key(), "ada");
    }

    #[test]
    fn emails_need_a_local_part_and_a_dotted_domain() {
        for ok in ["ada@example.com", "a.b+c@mail.example.org"] {
            assert!(Email::parse(ok.into()).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a b@example.com",
            "ada@-x.com",
            "ada@example..com",
        ] {
            assert!(Email::parse(bad.into()).is_err(), "{bad}");
        }
    }

    #[test]
    fn new_passwords_need_a_length_within_the_policy() {
        let parse = |p: &str| NewPassword::parse(p.into(), &policy());
        assert!(parse("short").is_err());
        assert!(
            parse("passwordpassword").is_ok(),
            "strength is judged later"
        );
        assert!(parse(&"x".repeat(128)).is_ok());
        assert!(parse(&"x".repeat(129)).is_err());
    }

    #[test]
    fn text_is_bounded_and_free_of_control_characters() {
        assert!(Name::parse("x".repeat(100)).is_ok());
        assert!(Name::parse("x".repeat(101)).is_err());
        assert!(Notes::parse("two\nlines".into()).is_ok());
        assert!(Notes::parse("bell\u{7}".into()).is_err());
    }

    #[test]
    fn ids_are_present_and_short() {
        assert!(Id::parse(String::new()).is_err());
        assert!(Id::parse("x".repeat(65)).is_err());
        assert_eq!(Id::parse_optional(String::new()), Ok(None));
    }
}
