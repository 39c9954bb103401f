//! Minting and verifying Stride tokens: Ed25519 (`EdDSA`) JWTs with a `kid`, typed
//! by their `typ` header (`at+jwt` access, `rt+jwt` refresh).
//!
//! Verification pins the algorithm, checks `typ`, `kid`, signature, `iss`, `aud`, and then the
//! times against the injected clock with the configured leeway. It does not consult the
//! database: revocation is the caller's job (see `crate::domain::caller`).

pub mod claims;

use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::{Algorithm, Header, Validation};
use serde::Serialize;
use serde::de::DeserializeOwned;
use shared::time::Micros;
use shared::verified::VerifiedTokens;

use claims::Times;
pub use claims::{ACCESS_TYP, AccessClaims, REFRESH_TYP, RefreshClaims};

use crate::clock::{Clock, micros};
use crate::config::TokenConfig;
use crate::error::{Error, Result};
use crate::keys::KeyRing;
use crate::new_id;

/// Why a token does not verify. [`TokenError::reason`] gives an UPPER_SNAKE code for
/// introspection answers; every variant is UNAUTHENTICATED to an RPC caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not a JWT, or a header/claim set that is not exactly ours.
    #[error("malformed token")]
    Malformed,
    /// Algorithm other than EdDSA (including `none` and HMAC).
    #[error("unexpected algorithm")]
    WrongAlgorithm,
    /// `typ` is not the expected one (an access token where a refresh token belongs, or the
    /// reverse).
    #[error("wrong token type")]
    WrongType,
    /// No live key with this `kid`.
    #[error("unknown signing key")]
    UnknownKey,
    /// Signature does not verify.
    #[error("bad signature")]
    BadSignature,
    /// Wrong issuer.
    #[error("wrong issuer")]
    WrongIssuer,
    /// Wrong audience.
    #[error("wrong audience")]
    WrongAudience,
    /// Past `exp` (plus leeway).
    #[error("expired")]
    Expired,
    /// Before `nbf` or `iat` (minus leeway).
    #[error("not yet valid")]
    NotYetValid,
}

impl TokenError {
    /// UPPER_SNAKE code, e.g. `EXPIRED`, `BAD_SIGNATURE`.
    pub fn reason(self) -> &'static str {
        match self {
            TokenError::Malformed => "MALFORMED",
            TokenError::WrongAlgorithm => "WRONG_ALGORITHM",
            TokenError::WrongType => "WRONG_TOKEN_TYPE",
            TokenError::UnknownKey => "UNKNOWN_KEY",
            TokenError::BadSignature => "BAD_SIGNATURE",
            TokenError::WrongIssuer => "WRONG_ISSUER",
            TokenError::WrongAudience => "WRONG_AUDIENCE",
            TokenError::Expired => "EXPIRED",
            TokenError::NotYetValid => "NOT_YET_VALID",
        }
    }
}

impl From<TokenError> for Error {
    fn from(err: TokenError) -> Self {
        match err {
            TokenError::Expired => Error::Unauthenticated("TOKEN_EXPIRED"),
            _ => Error::Unauthenticated("INVALID_TOKEN"),
        }
    }
}

/// A freshly signed token and what its database row records.
#[derive(Debug, Clone)]
pub struct Minted {
    /// The compact JWT. Never log it.
    pub token: String,
    /// Its `jti`.
    pub jti: String,
    /// Issue time, microseconds (the `iat` second, exactly).
    pub issued_at: Micros,
    /// Expiry, microseconds (the `exp` second, exactly).
    pub expires_at: Micros,
}

/// Mints and verifies tokens with the current key set. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Tokens {
    config: TokenConfig,
    keys: KeyRing,
    clock: Clock,
    /// Access tokens verified before, until they expire (see `shared::verified`).
    verified: Arc<VerifiedTokens<AccessClaims>>,
}

impl Tokens {
    /// Tokens signed by `keys` with the lifetimes and names of `config`.
    pub fn new(config: TokenConfig, keys: KeyRing, clock: Clock) -> Self {
        Self {
            config,
            keys,
            clock,
            verified: Arc::default(),
        }
    }

    /// The token settings.
    pub fn config(&self) -> &TokenConfig {
        &self.config
    }

    /// Signs an access token for `user_id` in session `session_id`, expiring after the access
    /// lifetime or at the session's absolute end, whichever is first.
    pub fn mint_access(
        &self,
        user_id: &str,
        session_id: &str,
        roles: Vec<String>,
        session_expires_at: Micros,
    ) -> Result<Minted> {
        let (iat, exp) = self.window(self.config.access_ttl, session_expires_at);
        let jti = new_id();
        let claims = AccessClaims {
            iss: self.config.issuer.clone(),
            sub: user_id.to_owned(),
            aud: self.config.audience.clone(),
            exp,
            iat,
            nbf: iat,
            jti: jti.clone(),
            sid: session_id.to_owned(),
            roles,
        };
        self.sign(ACCESS_TYP, &claims, jti, iat, exp)
    }

    /// Signs a refresh token, expiring after the refresh (idle) lifetime or at the session's
    /// absolute end, whichever is first.
    pub fn mint_refresh(
        &self,
        user_id: &str,
        session_id: &str,
        session_expires_at: Micros,
    ) -> Result<Minted> {
        let (iat, exp) = self.window(self.config.refresh_ttl, session_expires_at);
        let jti = new_id();
        let claims = RefreshClaims {
            iss: self.config.issuer.clone(),
            sub: user_id.to_owned(),
            aud: self.config.issuer.clone(),
            exp,
            iat,
            nbf: iat,
            jti: jti.clone(),
            sid: session_id.to_owned(),
        };
        self.sign(REFRESH_TYP, &claims, jti, iat, exp)
    }

    /// Verifies an access token (signature, `typ: at+jwt`, issuer, audience, times), or
    /// finds it verified before and still within its lifetime: a client presents one access
    /// token for minutes, and a signature check costs far more than a lookup.
    pub async fn verify_access(&self, token: &str) -> Result<AccessClaims, TokenError> {
        if let Some(claims) = self.remembered_access(token) {
            return Ok(claims);
        }
        let now = self.clock.now_secs();
        let audience = self.config.audience.clone();
        let claims: AccessClaims = self.verify(token, ACCESS_TYP, &audience).await?;
        self.verified
            .insert(token, &claims, claims.exp, now, self.leeway_secs());
        Ok(claims)
    }

    /// The claims of an access token [`verify_access`](Self::verify_access) accepted before,
    /// if it still verifies now; `None` for any other token.
    pub fn remembered_access(&self, token: &str) -> Option<AccessClaims> {
        self.verified
            .get(token, self.clock.now_secs(), self.leeway_secs())
    }

    fn leeway_secs(&self) -> i64 {
        i64::try_from(self.config.leeway.as_secs()).unwrap_or(i64::MAX)
    }

    /// Verifies a refresh token (signature, `typ: rt+jwt`, issuer, audience = issuer, times).
    pub async fn verify_refresh(&self, token: &str) -> Result<RefreshClaims, TokenError> {
        let audience = self.config.issuer.clone();
        self.verify(token, REFRESH_TYP, &audience).await
    }

    /// `(iat, exp)` in seconds for a token living `ttl`, capped by the session's end.
    fn window(&self, ttl: Duration, session_expires_at: Micros) -> (i64, i64) {
        let now = self.clock.now();
        let end = now.saturating_add(micros(ttl)).min(session_expires_at);
        (now.div_euclid(1_000_000), end.div_euclid(1_000_000))
    }

    fn sign<C: Serialize>(
        &self,
        typ: &str,
        claims: &C,
        jti: String,
        iat: i64,
        exp: i64,
    ) -> Result<Minted> {
        let key = self.keys.active();
        let mut header = Header::new(Algorithm::EdDSA);
        header.typ = Some(typ.to_owned());
        header.kid = Some(key.kid.clone());
        let token =
            jsonwebtoken::encode(&header, claims, &key.encoding).map_err(Error::internal)?;
        Ok(Minted {
            token,
            jti,
            issued_at: iat.saturating_mul(1_000_000),
            expires_at: exp.saturating_mul(1_000_000),
        })
    }

    async fn verify<C: DeserializeOwned + Times>(
        &self,
        token: &str,
        typ: &str,
        audience: &str,
    ) -> Result<C, TokenError> {
        // The header is read before the signature is checked only to choose the key; every
        // field that matters is checked again below or covered by the signature.
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Malformed)?;
        if header.alg != Algorithm::EdDSA {
            return Err(TokenError::WrongAlgorithm);
        }
        if header.typ.as_deref() != Some(typ) {
            return Err(TokenError::WrongType);
        }
        if header.crit.is_some() {
            return Err(TokenError::Malformed);
        }
        let kid = header.kid.ok_or(TokenError::Malformed)?;
        let key = self
            .keys
            .verifying_key(&kid)
            .await
            .map_err(|_| TokenError::UnknownKey)?
            .ok_or(TokenError::UnknownKey)?;
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[&self.config.issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        // Times are checked below against the injected clock, not the system clock.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        let data = jsonwebtoken::decode::<C>(token, &key.decoding, &validation).map_err(|err| {
            use jsonwebtoken::errors::ErrorKind;
            match err.kind() {
                ErrorKind::InvalidSignature => TokenError::BadSignature,
                ErrorKind::InvalidIssuer => TokenError::WrongIssuer,
                ErrorKind::InvalidAudience => TokenError::WrongAudience,
                ErrorKind::InvalidAlgorithm => TokenError::WrongAlgorithm,
                _ => TokenError::Malformed,
            }
        })?;
        let claims = data.claims;
        let (iat, nbf, exp) = claims.times();
        let now = self.clock.now_secs();
        let leeway = self.leeway_secs();
        if now > exp.saturating_add(leeway) {
            return Err(TokenError::Expired);
        }
        if nbf > now.saturating_add(leeway) || iat > now.saturating_add(leeway) {
            return Err(TokenError::NotYetValid);
        }
        Ok(claims)
    }
}
