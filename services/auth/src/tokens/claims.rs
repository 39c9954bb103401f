//! The exact claim sets of Stride tokens. Unknown claims are rejected: a token
//! carrying anything else was not minted here.

use serde::{Deserialize, Serialize};

/// `typ` header of access tokens (RFC 9068).
pub const ACCESS_TYP: &str = "at+jwt";
/// `typ` header of refresh tokens.
pub const REFRESH_TYP: &str = "rt+jwt";

/// Claims of an access token. No email, name or other personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessClaims {
    /// Issuer (`STRIDE_ISSUER`).
    pub iss: String,
    /// The user id.
    pub sub: String,
    /// Audience (`STRIDE_AUDIENCE`).
    pub aud: String,
    /// Expiry, Unix seconds.
    pub exp: i64,
    /// Issue time, Unix seconds.
    pub iat: i64,
    /// Not before, Unix seconds (= `iat`).
    pub nbf: i64,
    /// Token id (UUIDv7), the key of its `access_tokens` row.
    pub jti: String,
    /// Session id.
    pub sid: String,
    /// Lowercase role names, e.g. `["user"]`.
    pub roles: Vec<String>,
}

/// Claims of a refresh token: `aud` is the issuer itself, so no resource server accepts it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefreshClaims {
    /// Issuer (`STRIDE_ISSUER`).
    pub iss: String,
    /// The user id.
    pub sub: String,
    /// Always the issuer.
    pub aud: String,
    /// Expiry, Unix seconds.
    pub exp: i64,
    /// Issue time, Unix seconds.
    pub iat: i64,
    /// Not before, Unix seconds (= `iat`).
    pub nbf: i64,
    /// Token id (UUIDv7), the key of its `refresh_tokens` row.
    pub jti: String,
    /// Session id.
    pub sid: String,
}

/// Times every verified claim set carries.
pub(crate) trait Times {
    fn times(&self) -> (i64, i64, i64);
}

impl Times for AccessClaims {
    fn times(&self) -> (i64, i64, i64) {
        (self.iat, self.nbf, self.exp)
    }
}

impl Times for RefreshClaims {
    fn times(&self) -> (i64, i64, i64) {
        (self.iat, self.nbf, self.exp)
    }
}
