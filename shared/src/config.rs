//! Configuration parsing from an environment map.
//!
//! Services read `STRIDE_*` variables through [`Env`], which works on any map so configuration
//! is unit-testable without touching the process environment. An invalid value yields a
//! [`ConfigError`] naming the variable, which `main` prints as one line before exiting non-zero.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

use crate::db::DatabaseUrl;

mod listen;

pub use listen::{ClientTlsVars, ServerConfig, ServerLimits, TlsVars, read_file};

/// Variable name → value, as read from the process environment or built by a test.
pub type EnvMap = HashMap<String, String>;

/// A snapshot of the process environment.
pub fn process_env() -> EnvMap {
    std::env::vars().collect()
}

/// An environment of exactly the given variables (tests and tools configure from one).
pub fn env_of(pairs: &[(&str, &str)]) -> EnvMap {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// A variable that is set to something Stride cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid configuration: {var}={value:?}: {reason}")]
pub struct ConfigError {
    /// The variable, e.g. `STRIDE_AUTH_ADDR`.
    pub var: String,
    /// The value it holds (never a secret: secrets are reported as `<redacted>`).
    pub value: String,
    /// Why it is unusable.
    pub reason: String,
}

impl ConfigError {
    /// An error for `var` holding `value`.
    pub fn new(var: &str, value: &str, reason: impl Into<String>) -> Self {
        Self {
            var: var.to_owned(),
            value: value.to_owned(),
            reason: reason.into(),
        }
    }
}

/// Typed, defaulted access to an [`EnvMap`]. Empty values count as unset.
#[derive(Debug, Clone, Copy)]
pub struct Env<'a> {
    map: &'a EnvMap,
}

impl<'a> Env<'a> {
    /// Wraps a map.
    pub fn new(map: &'a EnvMap) -> Self {
        Self { map }
    }

    /// The raw value of `var`, if set and non-empty.
    pub fn get(&self, var: &str) -> Option<&'a str> {
        self.map
            .get(var)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// The value of `var`, or `default`.
    pub fn string(&self, var: &str, default: &str) -> String {
        self.get(var).unwrap_or(default).to_owned()
    }

    /// Parses `var` with [`FromStr`], or returns `default` when unset.
    pub fn parse<T>(&self, var: &str, default: T) -> Result<T, ConfigError>
    where
        T: FromStr,
        T::Err: std::fmt::Display,
    {
        match self.get(var) {
            None => Ok(default),
            Some(raw) => raw
                .parse()
                .map_err(|e: T::Err| ConfigError::new(var, raw, e.to_string())),
        }
    }

    /// A `host:port` listen address.
    pub fn socket_addr(&self, var: &str, default: SocketAddr) -> Result<SocketAddr, ConfigError> {
        match self.get(var) {
            None => Ok(default),
            Some(raw) => raw.parse().map_err(|_| {
                ConfigError::new(var, raw, "expected an address such as 127.0.0.1:50051")
            }),
        }
    }

    /// A duration such as `500ms`, `30s`, `10m`, `12h`, `14d`, or bare seconds.
    pub fn duration(&self, var: &str, default: Duration) -> Result<Duration, ConfigError> {
        match self.get(var) {
            None => Ok(default),
            Some(raw) => parse_duration(raw).map_err(|reason| ConfigError::new(var, raw, reason)),
        }
    }

    /// A duration like [`Env::duration`] that must be greater than zero.
    pub fn positive_duration(&self, var: &str, default: Duration) -> Result<Duration, ConfigError> {
        let value = self.duration(var, default)?;
        if value.is_zero() {
            return Err(ConfigError::new(
                var,
                self.get(var).unwrap_or_default(),
                "must be greater than zero",
            ));
        }
        Ok(value)
    }

    /// A `sqlite:` or `postgres:` database URL. An unusable one is reported with its password
    /// redacted, since the error is printed at startup.
    pub fn database_url(&self, var: &str, default: &str) -> Result<DatabaseUrl, ConfigError> {
        let raw = self.get(var).unwrap_or(default);
        raw.parse()
            .map_err(|reason: String| ConfigError::new(var, &redact_url(raw), reason))
    }

    /// A `true`/`false` flag (also `1`/`0`, `yes`/`no`).
    pub fn flag(&self, var: &str, default: bool) -> Result<bool, ConfigError> {
        match self.get(var).map(str::to_ascii_lowercase).as_deref() {
            None => Ok(default),
            Some("1" | "true" | "yes" | "on") => Ok(true),
            Some("0" | "false" | "no" | "off") => Ok(false),
            Some(other) => Err(ConfigError::new(var, other, "expected true or false")),
        }
    }

    /// A secret: its value never appears in an error.
    pub fn secret(&self, var: &str) -> Option<String> {
        self.get(var).map(str::to_owned)
    }
}

/// `raw` with the password of its `scheme://user:password@…` userinfo replaced by `redacted`,
/// whether or not the rest parses as a URL (an invalid URL is exactly the one that gets
/// printed). The userinfo is taken to start after the scheme's `:` and any slashes (a URL
/// parser finds credentials in `http:user:password@host` too) and to end at the last `@`, so
/// a password holding an unescaped `/`, `@` or `#` is still hidden; at worst more than the
/// password is hidden.
pub fn redact_url(raw: &str) -> String {
    let Some(after_scheme) = raw.find(':').map(|i| i + 1) else {
        return raw.to_owned();
    };
    let rest = raw[after_scheme..].trim_start_matches(['/', '\\']);
    let start = raw.len() - rest.len();
    let Some(at) = rest.rfind('@') else {
        return raw.to_owned();
    };
    match rest[..at].find(':') {
        Some(colon) => format!(
            "{}{}:redacted{}",
            &raw[..start],
            &rest[..colon],
            &rest[at..]
        ),
        None => raw.to_owned(),
    }
}

/// Parses `500ms`, `30s`, `10m`, `12h`, `14d` or a bare number of seconds.
pub fn parse_duration(raw: &str) -> Result<Duration, String> {
    let raw = raw.trim();
    let split = raw.find(|c: char| !c.is_ascii_digit()).unwrap_or(raw.len());
    let (digits, unit) = raw.split_at(split);
    let n: u64 = digits
        .parse()
        .map_err(|_| "expected a duration such as 30s, 10m or 14d".to_owned())?;
    let secs = |mult: u64| {
        n.checked_mul(mult)
            .map(Duration::from_secs)
            .ok_or_else(|| "duration too large".to_owned())
    };
    match unit.trim() {
        "ms" => Ok(Duration::from_millis(n)),
        "" | "s" => secs(1),
        "m" => secs(60),
        "h" => secs(3_600),
        "d" => secs(86_400),
        other => Err(format!(
            "unknown duration unit {other:?} (use ms, s, m, h or d)"
        )),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) use super::env_of as env;

    #[test]
    fn durations_parse_with_every_unit() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("30"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("14d"), Ok(Duration::from_secs(14 * 86_400)));
        assert!(parse_duration("10 parsecs").is_err());
        assert!(parse_duration("").is_err());
        assert!(parse_duration("-5s").is_err());
    }

    #[test]
    fn unset_and_empty_values_take_the_default() {
        let map = env(&[("EXAMPLE_X", "")]);
        let e = Env::new(&map);
        assert_eq!(e.string("EXAMPLE_X", "d"), "d");
        assert_eq!(e.parse("EXAMPLE_Y", 7u32), Ok(7));
    }

    #[test]
    fn a_bad_address_names_the_variable() {
        let map = env(&[("STRIDE_AUTH_ADDR", "not-an-addr")]);
        let err = Env::new(&map)
            .socket_addr("STRIDE_AUTH_ADDR", ([127, 0, 0, 1], 1).into())
            .unwrap_err();
        assert_eq!(err.var, "STRIDE_AUTH_ADDR");
        assert!(
            err.to_string()
                .starts_with("invalid configuration: STRIDE_AUTH_ADDR=")
        );
    }

    #[test]
    fn an_invalid_database_url_is_reported_without_its_password() {
        for raw in [
            "postgres://admin:hunter2@/stride",
            "postgres://admin:hunter2@db:notaport/stride",
            "postgresql://admin:hun/ter@2@db/stride",
            "mysql://admin:hunter2@db/stride",
        ] {
            let map = env(&[("STRIDE_AUTH_DATABASE_URL", raw)]);
            let err = Env::new(&map)
                .database_url("STRIDE_AUTH_DATABASE_URL", "sqlite://x.db")
                .unwrap_err();
            let shown = err.to_string();
            assert!(
                !shown.contains("hunter2") && !shown.contains("hun/ter"),
                "{shown}"
            );
            assert!(shown.contains("admin:redacted@"), "{shown}");
        }
    }

    #[test]
    fn urls_without_a_password_are_shown_as_they_are() {
        assert_eq!(redact_url("sqlite://data/auth.db"), "sqlite://data/auth.db");
        assert_eq!(redact_url("postgres://admin@db/x"), "postgres://admin@db/x");
        assert_eq!(redact_url("not a url"), "not a url");
        assert_eq!(
            redact_url("http:u:pw@h"),
            "http:u:redacted@h",
            "slashes left out"
        );
    }

    #[test]
    fn flags_accept_common_spellings_and_reject_others() {
        let map = env(&[("A", "yes"), ("B", "0"), ("C", "maybe")]);
        let e = Env::new(&map);
        assert_eq!(e.flag("A", false), Ok(true));
        assert_eq!(e.flag("B", true), Ok(false));
        assert!(e.flag("C", true).is_err());
    }
}
