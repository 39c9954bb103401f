//! `IntrospectToken` (RFC 7662 semantics) and `CheckRevocation`, for services holding the
//! service key.

use crate::app::AppState;
use crate::error::{Error, Result};
use crate::store::feed as feed_store;
use crate::store::lifecycle as store;
use crate::store::sessions as session_store;
use crate::tokens::{ACCESS_TYP, REFRESH_TYP, TokenError};

/// Longest token introspected; anything longer is not one of ours.
const MAX_TOKEN_LEN: usize = 8 * 1024;

/// Most ids of each kind one `CheckRevocation` may ask about.
pub const MAX_CHECK_IDS: usize = 500;

/// Claims of an active token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveToken {
    /// `access` or `refresh`.
    pub token_type: &'static str,
    /// Issuer.
    pub iss: String,
    /// Subject.
    pub sub: String,
    /// Audience.
    pub aud: String,
    /// Session.
    pub sid: String,
    /// Token id.
    pub jti: String,
    /// Roles (access tokens only).
    pub roles: Vec<String>,
    /// Expiry, Unix seconds.
    pub exp: i64,
    /// Issue time, Unix seconds.
    pub iat: i64,
}

/// Whether a token is active and, if not, why (an UPPER_SNAKE reason).
pub type Introspection = std::result::Result<ActiveToken, &'static str>;

/// Introspects `token`: signature, type, issuer, audience and times as the verifiers check
/// them, then the database: the token, its session and its user must be neither revoked nor
/// inactive, and a refresh token must not have been rotated. Never an error for a bad token;
/// only for a failing database.
#[tracing::instrument(skip_all)]
pub async fn introspect(state: &AppState, token: &str) -> Result<Introspection> {
    if token.is_empty() || token.len() > MAX_TOKEN_LEN {
        return Ok(Err(TokenError::Malformed.reason()));
    }
    let Ok(header) = jsonwebtoken::decode_header(token) else {
        return Ok(Err(TokenError::Malformed.reason()));
    };
    match header.typ.as_deref() {
        Some(ACCESS_TYP) => access(state, token).await,
        Some(REFRESH_TYP) => refresh(state, token).await,
        _ => Ok(Err(TokenError::WrongType.reason())),
    }
}

async fn access(state: &AppState, token: &str) -> Result<Introspection> {
    let claims = match state.tokens.verify_access(token).await {
        Ok(claims) => claims,
        Err(err) => return Ok(Err(err.reason())),
    };
    let mut conn = state.db.pool().acquire().await?;
    let Some(row) = session_store::access_state(&mut conn, &claims.jti).await? else {
        return Ok(Err("UNKNOWN_TOKEN"));
    };
    if row.user_id != claims.sub || row.session_id != claims.sid {
        return Ok(Err("UNKNOWN_TOKEN"));
    }
    if row.token_revoked_at.is_some() {
        return Ok(Err("REVOKED"));
    }
    if row.session_revoked_at.is_some() {
        return Ok(Err("SESSION_REVOKED"));
    }
    if !row.active.0 {
        return Ok(Err("USER_INACTIVE"));
    }
    Ok(Ok(ActiveToken {
        token_type: "access",
        iss: claims.iss,
        sub: claims.sub,
        aud: claims.aud,
        sid: claims.sid,
        jti: claims.jti,
        roles: claims.roles,
        exp: claims.exp,
        iat: claims.iat,
    }))
}

async fn refresh(state: &AppState, token: &str) -> Result<Introspection> {
    let claims = match state.tokens.verify_refresh(token).await {
        Ok(claims) => claims,
        Err(err) => return Ok(Err(err.reason())),
    };
    let mut conn = state.db.pool().acquire().await?;
    let Some(row) = store::refresh_state(&mut conn, &claims.jti).await? else {
        return Ok(Err("UNKNOWN_TOKEN"));
    };
    if row.user_id != claims.sub || row.session_id != claims.sid {
        return Ok(Err("UNKNOWN_TOKEN"));
    }
    if row.token_revoked_at.is_some() {
        return Ok(Err("REVOKED"));
    }
    if row.session_revoked_at.is_some() {
        return Ok(Err("SESSION_REVOKED"));
    }
    if row.rotated_at.is_some() {
        return Ok(Err("ROTATED"));
    }
    if !row.active.0 {
        return Ok(Err("USER_INACTIVE"));
    }
    Ok(Ok(ActiveToken {
        token_type: "refresh",
        iss: claims.iss,
        sub: claims.sub,
        aud: claims.aud,
        sid: claims.sid,
        jti: claims.jti,
        roles: Vec::new(),
        exp: claims.exp,
        iat: claims.iat,
    }))
}

/// The answer of `CheckRevocation`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RevocationCheck {
    /// The revoked subset of the asked token ids (access or refresh).
    pub revoked_jtis: Vec<String>,
    /// The revoked subset of the asked session ids.
    pub revoked_sids: Vec<String>,
    /// The feed head read BEFORE the rows: every event up to it is reflected in the answer.
    pub sequence: i64,
}

/// Which of `jtis` and `sids` are revoked. INVALID_ARGUMENT beyond [`MAX_CHECK_IDS`] of
/// either. Unknown ids are simply not revoked (they cannot verify anyway).
#[tracing::instrument(skip_all, fields(jtis = jtis.len(), sids = sids.len()))]
pub async fn check_revocation(
    state: &AppState,
    mut jtis: Vec<String>,
    mut sids: Vec<String>,
) -> Result<RevocationCheck> {
    let mut v = shared::error::Violations::new();
    if jtis.len() > MAX_CHECK_IDS {
        v.add("jtis", format!("at most {MAX_CHECK_IDS} ids"));
    }
    if sids.len() > MAX_CHECK_IDS {
        v.add("sids", format!("at most {MAX_CHECK_IDS} ids"));
    }
    if !v.is_empty() {
        return Err(Error::from(v));
    }
    for ids in [&mut jtis, &mut sids] {
        ids.sort();
        ids.dedup();
        // Ids are UUIDs: anything long is not one, and binding it would only cost.
        ids.retain(|id| !id.is_empty() && id.len() <= 64);
    }
    let mut conn = state.db.pool().acquire().await?;
    let sequence = feed_store::head(&mut conn).await?;
    let mut revoked_jtis = store::revoked_access_tokens(&mut conn, &jtis).await?;
    revoked_jtis.extend(store::revoked_refresh_tokens(&mut conn, &jtis).await?);
    revoked_jtis.sort();
    let mut revoked_sids = store::revoked_sessions(&mut conn, &sids).await?;
    revoked_sids.sort();
    Ok(RevocationCheck {
        revoked_jtis,
        revoked_sids,
        sequence,
    })
}
