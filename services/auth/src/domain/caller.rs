//! Who is calling a signed-in RPC of the auth service itself (UserService, SessionService,
//! AdminService): the access token verified, then checked against this service's own database
//! (token, session and user still valid; the role as stored now, so a demotion applies at
//! once) rather than against the revocation feed other services follow.

use shared::db::Db;

use crate::domain::Role;
use crate::error::{Error, Result};
use crate::store::access_tokens;
use crate::tokens::Tokens;

/// The verified caller of an RPC.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    /// The user id (`sub`).
    pub user_id: String,
    /// The session of the presented token (`sid`).
    pub session_id: String,
    /// The user's current role (read from the database).
    pub role: Role,
}

impl Caller {
    /// PERMISSION_DENIED unless the caller's role is at least `role`.
    pub(crate) fn require(&self, role: Role) -> Result<()> {
        if self.role >= role {
            Ok(())
        } else {
            Err(Error::PermissionDenied)
        }
    }
}

/// Verifies the bearer access token `token` and checks that the token, its session and its
/// user are still valid in the database: absent, bad or revoked is UNAUTHENTICATED.
pub(crate) async fn authenticate(db: &Db, tokens: &Tokens, token: &str) -> Result<Caller> {
    let claims = tokens.verify_access(token).await?;
    let row = {
        let mut conn = db.read().await?;
        access_tokens::state(&mut conn, &claims.jti).await?
    };
    let row = row.ok_or(Error::Unauthenticated("INVALID_TOKEN"))?;
    if row.user_id != claims.sub || row.session_id != claims.sid {
        return Err(Error::Unauthenticated("INVALID_TOKEN"));
    }
    if row.token_revoked_at.is_some() || row.session_revoked_at.is_some() || !row.active.0 {
        return Err(Error::Unauthenticated("TOKEN_REVOKED"));
    }
    let role = Role::stored(&row.role)?;
    tracing::Span::current().record("user_id", claims.sub.as_str());
    Ok(Caller {
        user_id: claims.sub,
        session_id: claims.sid,
        role,
    })
}
