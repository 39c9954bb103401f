//! Access-token verification: pinned EdDSA, header `typ: at+jwt` (RFC 9068), signature
//! against the cached JWKS, `iss`, `aud`, `exp`, `nbf` and `iat` with leeway, and non-empty
//! `sub`, `sid` and `jti`. Tokens are never logged.

use std::collections::HashSet;
use std::time::Duration;

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Validation};
use serde::Deserialize;

use shared::credentials::INVALID_TOKEN;

use super::cache::VerifiedTokens;
use super::jwks::Jwks;
use crate::error::{Error, Result};

/// The claims fitness uses; `iss`, `aud`, `exp` and `nbf` are checked by the validator.
#[derive(Debug, Clone, Deserialize)]
pub struct Claims {
    /// The user id.
    pub sub: String,
    /// The session id.
    pub sid: String,
    /// The token id.
    pub jti: String,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
    /// Issue time, seconds since the epoch.
    pub iat: i64,
    /// Lower-case role names.
    #[serde(default)]
    pub roles: Vec<String>,
}

/// Verifies access tokens against one issuer and audience.
#[derive(Debug)]
pub struct Verifier {
    validation: Validation,
    leeway: Duration,
    verified: VerifiedTokens,
}

/// True for the access-token types of RFC 9068 (`at+jwt`, `application/at+jwt`).
fn is_access_token_type(typ: Option<&str>) -> bool {
    typ.is_some_and(|t| {
        let t = t.strip_prefix("application/").unwrap_or(t);
        t.eq_ignore_ascii_case("at+jwt")
    })
}

impl Verifier {
    /// A verifier pinned to EdDSA, `issuer` and `audience`.
    pub fn new(issuer: &str, audience: &str, leeway: Duration) -> Self {
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.leeway = leeway.as_secs();
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.validate_aud = true;
        validation.required_spec_claims = ["exp", "iat", "iss", "aud", "sub"]
            .into_iter()
            .map(str::to_owned)
            .collect::<HashSet<_>>();
        Self {
            validation,
            leeway,
            verified: VerifiedTokens::default(),
        }
    }

    /// Verifies `token` (or finds it verified before and not yet expired) and returns its
    /// claims.
    pub async fn verify(&self, jwks: &Jwks, token: &str) -> Result<Claims> {
        let now = jsonwebtoken::get_current_timestamp() as i64;
        let leeway = i64::try_from(self.leeway.as_secs()).unwrap_or(i64::MAX);
        if let Some(claims) = self.verified.get(token, now, leeway) {
            return Ok(claims);
        }
        let claims = self.verify_uncached(jwks, token).await?;
        self.verified.insert(token, &claims, now, leeway);
        Ok(claims)
    }

    async fn verify_uncached(&self, jwks: &Jwks, token: &str) -> Result<Claims> {
        let invalid = Error::Unauthenticated(INVALID_TOKEN);
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| Error::Unauthenticated(INVALID_TOKEN))?;
        if header.alg != Algorithm::EdDSA || !is_access_token_type(header.typ.as_deref()) {
            return Err(invalid);
        }
        let kid = header.kid.ok_or(invalid)?;
        let key = jwks.key(&kid).await?;
        let data = jsonwebtoken::decode::<Claims>(token, &key, &self.validation).map_err(|e| {
            match e.kind() {
                ErrorKind::ExpiredSignature => Error::Unauthenticated("TOKEN_EXPIRED"),
                _ => Error::Unauthenticated(INVALID_TOKEN),
            }
        })?;
        let claims = data.claims;
        let now = jsonwebtoken::get_current_timestamp() as i64;
        let leeway = i64::try_from(self.leeway.as_secs()).unwrap_or(i64::MAX);
        if claims.iat > now.saturating_add(leeway) {
            return Err(Error::Unauthenticated(INVALID_TOKEN));
        }
        if claims.sub.is_empty() || claims.sid.is_empty() || claims.jti.is_empty() {
            return Err(Error::Unauthenticated(INVALID_TOKEN));
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_access_token_types_pass() {
        assert!(is_access_token_type(Some("at+jwt")));
        assert!(is_access_token_type(Some("application/at+jwt")));
        assert!(!is_access_token_type(Some("rt+jwt")));
        assert!(!is_access_token_type(Some("JWT")));
        assert!(!is_access_token_type(None));
    }
}
