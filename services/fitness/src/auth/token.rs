//! Access-token verification: pinned EdDSA, header `typ: at+jwt` (RFC 9068), signature
//! against the cached JWKS, `iss`, `aud`, `exp`, `nbf` and `iat` with leeway, and non-empty
//! `sub`, `sid` and `jti`. Tokens are never logged.
//!
//! The times are checked here against the injected clock rather than by `jsonwebtoken`
//! (which reads the system clock), so the revocation set and the verifier agree on "now".

use std::collections::HashSet;
use std::time::Duration;

use jsonwebtoken::{Algorithm, Validation};
use serde::Deserialize;

use shared::credentials::INVALID_TOKEN;

use super::jwks::Jwks;
use crate::domain::clock::Clock;
use crate::error::{Error, Result};
use shared::verified::VerifiedTokens;

/// The claims fitness uses; `iss` and `aud` are checked by the validator, the times here.
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
    /// Not before, seconds since the epoch, if the token says.
    #[serde(default)]
    pub nbf: Option<i64>,
    /// Lower-case role names.
    #[serde(default)]
    pub roles: Vec<String>,
}

/// Verifies access tokens against one issuer and audience.
#[derive(Debug)]
pub struct Verifier {
    validation: Validation,
    /// Tolerated clock skew on `exp`, `nbf` and `iat`, in seconds.
    leeway: i64,
    clock: Clock,
    verified: VerifiedTokens<Claims>,
}

/// True for the access-token types of RFC 9068 (`at+jwt`, `application/at+jwt`).
fn is_access_token_type(typ: Option<&str>) -> bool {
    typ.is_some_and(|t| {
        let t = t.strip_prefix("application/").unwrap_or(t);
        t.eq_ignore_ascii_case("at+jwt")
    })
}

impl Verifier {
    /// A verifier pinned to EdDSA, `issuer` and `audience`, reading "now" from `clock`.
    pub fn new(issuer: &str, audience: &str, leeway: Duration, clock: Clock) -> Self {
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        // `exp` and `nbf` are checked in `check_times` against `clock`.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = true;
        validation.required_spec_claims = ["exp", "iat", "iss", "aud", "sub"]
            .into_iter()
            .map(str::to_owned)
            .collect::<HashSet<_>>();
        Self {
            validation,
            leeway: i64::try_from(leeway.as_secs()).unwrap_or(i64::MAX),
            clock,
            verified: VerifiedTokens::default(),
        }
    }

    /// Verifies `token` (or finds it verified before and not yet expired) and returns its
    /// claims.
    pub async fn verify(&self, jwks: &Jwks, token: &str) -> Result<Claims> {
        let now = self.clock.now_secs();
        if let Some(claims) = self.verified.get(token, now, self.leeway) {
            return Ok(claims);
        }
        let claims = self.verify_uncached(jwks, token).await?;
        self.verified
            .insert(token, &claims, claims.exp, now, self.leeway);
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
        let data = jsonwebtoken::decode::<Claims>(token, &key, &self.validation)
            .map_err(|_| Error::Unauthenticated(INVALID_TOKEN))?;
        let claims = data.claims;
        check_times(&claims, self.clock.now_secs(), self.leeway)?;
        if claims.sub.is_empty() || claims.sid.is_empty() || claims.jti.is_empty() {
            return Err(Error::Unauthenticated(INVALID_TOKEN));
        }
        Ok(claims)
    }
}

/// `exp`, `nbf` and `iat` at `now` (seconds), each with `leeway`: a token verifies while
/// `now <= exp + leeway`.
fn check_times(claims: &Claims, now: i64, leeway: i64) -> Result<()> {
    if claims.exp.saturating_add(leeway) < now {
        return Err(Error::Unauthenticated("TOKEN_EXPIRED"));
    }
    let early = |at: i64| at > now.saturating_add(leeway);
    if claims.nbf.is_some_and(early) || early(claims.iat) {
        return Err(Error::Unauthenticated(INVALID_TOKEN));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp: i64, nbf: Option<i64>, iat: i64) -> Claims {
        Claims {
            sub: "u".into(),
            sid: "s".into(),
            jti: "j".into(),
            exp,
            iat,
            nbf,
            roles: Vec::new(),
        }
    }

    #[test]
    fn times_are_checked_with_the_leeway_on_both_sides() {
        let ok = |c: &Claims, now| check_times(c, now, 60).is_ok();
        assert!(
            ok(&claims(1_000, None, 900), 1_060),
            "expired within the leeway"
        );
        assert!(!ok(&claims(1_000, None, 900), 1_061));
        assert!(
            ok(&claims(2_000, Some(1_060), 1_000), 1_000),
            "early within the leeway"
        );
        assert!(!ok(&claims(2_000, Some(1_061), 1_000), 1_000));
        assert!(
            !ok(&claims(2_000, None, 1_061), 1_000),
            "issued in the future"
        );
    }

    #[test]
    fn only_access_token_types_pass() {
        assert!(is_access_token_type(Some("at+jwt")));
        assert!(is_access_token_type(Some("application/at+jwt")));
        assert!(!is_access_token_type(Some("rt+jwt")));
        assert!(!is_access_token_type(Some("JWT")));
        assert!(!is_access_token_type(None));
    }
}
