//! The auth layer of the auth service's own signed-in RPCs (UserService, SessionService,
//! AdminService): the rules of SPEC §5, with revocation checked against this service's own
//! database rather than the feed.
//!
//! Handlers call [`authenticate`] first and [`Caller::require`] for role checks:
//! absent/malformed/invalid/revoked → UNAUTHENTICATED, insufficient role → PERMISSION_DENIED.

use tonic::Request;
use tonic::metadata::MetadataMap;

use crate::app::AppState;
use crate::domain::Role;
use crate::error::{Error, Result};
use crate::store::sessions as store;
use crate::tokens::AccessClaims;

/// The verified caller of an RPC.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The user id (`sub`).
    pub user_id: String,
    /// The session of the presented token (`sid`).
    pub session_id: String,
    /// The presented access token's id.
    pub jti: String,
    /// The user's current role (read from the database, so a demotion applies at once).
    pub role: Role,
    /// The verified claims.
    pub claims: AccessClaims,
}

impl Caller {
    /// PERMISSION_DENIED unless the caller's role is at least `role`.
    pub fn require(&self, role: Role) -> Result<()> {
        if self.role >= role {
            Ok(())
        } else {
            Err(Error::PermissionDenied)
        }
    }
}

/// The token of an `authorization: Bearer <token>` header (scheme case-insensitive).
pub fn bearer(metadata: &MetadataMap) -> Result<&str> {
    let value = metadata
        .get("authorization")
        .ok_or(Error::Unauthenticated("MISSING_TOKEN"))?
        .to_str()
        .map_err(|_| Error::Unauthenticated("INVALID_TOKEN"))?;
    let (scheme, token) = value
        .split_once(' ')
        .ok_or(Error::Unauthenticated("INVALID_TOKEN"))?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(Error::Unauthenticated("INVALID_TOKEN"));
    }
    Ok(token)
}

/// Verifies the request's bearer access token and checks that the token, its session and its
/// user are still valid in the database.
pub async fn authenticate<T>(state: &AppState, request: &Request<T>) -> Result<Caller> {
    let token = bearer(request.metadata())?;
    let claims = state.tokens.verify_access(token).await?;
    let row = {
        let mut conn = state.db.pool().acquire().await?;
        store::access_state(&mut conn, &claims.jti).await?
    };
    let row = row.ok_or(Error::Unauthenticated("INVALID_TOKEN"))?;
    if row.user_id != claims.sub || row.session_id != claims.sid {
        return Err(Error::Unauthenticated("INVALID_TOKEN"));
    }
    if row.token_revoked_at.is_some() || row.session_revoked_at.is_some() || !row.active.0 {
        return Err(Error::Unauthenticated("TOKEN_REVOKED"));
    }
    let role = Role::parse(&row.role).ok_or_else(|| Error::internal("stored role is unknown"))?;
    tracing::Span::current().record("user_id", claims.sub.as_str());
    Ok(Caller {
        user_id: claims.sub.clone(),
        session_id: claims.sid.clone(),
        jti: claims.jti.clone(),
        role,
        claims,
    })
}
