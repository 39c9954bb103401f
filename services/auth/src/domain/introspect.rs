//! `IntrospectToken` (RFC 7662 semantics) and `CheckRevocation`, for services holding the
//! service key.

use shared::db::Db;
use shared::error::Violations;

use crate::error::{Error, Result};
use crate::store::{access_tokens, refresh_tokens, revocation_events, sessions};
use crate::tokens::{ACCESS_TYP, REFRESH_TYP, TokenError, Tokens};

/// Longest token introspected; anything longer is not one of ours.
const MAX_TOKEN_LEN: usize = 8 * 1024;

/// Most ids of each kind one `CheckRevocation` may ask about.
const MAX_CHECK_IDS: usize = 500;

/// Claims of an active token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ActiveToken {
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
pub(crate) type Introspection = std::result::Result<ActiveToken, &'static str>;

/// Introspects `token`: signature, type, issuer, audience and times as the verifiers check
/// them, then the database: the token, its session and its user must be neither revoked nor
/// inactive, and a refresh token must not have been rotated. Never an error for a bad token;
/// only for a failing database.
#[tracing::instrument(skip_all)]
pub(crate) async fn introspect(db: &Db, tokens: &Tokens, token: &str) -> Result<Introspection> {
    if token.is_empty() || token.len() > MAX_TOKEN_LEN {
        return Ok(Err(TokenError::Malformed.reason()));
    }
    let Ok(header) = jsonwebtoken::decode_header(token) else {
        return Ok(Err(TokenError::Malformed.reason()));
    };
    // Verify the signature and claims first; only a token of ours is looked up.
    let (active, row) = match header.typ.as_deref() {
        Some(ACCESS_TYP) => match tokens.verify_access(token).await {
            Ok(c) => {
                let mut conn = db.pool().acquire().await?;
                let row = access_tokens::state(&mut conn, &c.jti).await?.map(|r| Row {
                    user_id: r.user_id,
                    session_id: r.session_id,
                    token_revoked: r.token_revoked_at.is_some(),
                    session_revoked: r.session_revoked_at.is_some(),
                    rotated: false,
                    user_active: r.active.0,
                });
                let active = ActiveToken {
                    token_type: "access",
                    iss: c.iss,
                    sub: c.sub,
                    aud: c.aud,
                    sid: c.sid,
                    jti: c.jti,
                    roles: c.roles,
                    exp: c.exp,
                    iat: c.iat,
                };
                (active, row)
            }
            Err(err) => return Ok(Err(err.reason())),
        },
        Some(REFRESH_TYP) => match tokens.verify_refresh(token).await {
            Ok(c) => {
                let mut conn = db.pool().acquire().await?;
                let row = refresh_tokens::state(&mut conn, &c.jti)
                    .await?
                    .map(|r| Row {
                        user_id: r.user_id,
                        session_id: r.session_id,
                        token_revoked: r.token_revoked_at.is_some(),
                        session_revoked: r.session_revoked_at.is_some(),
                        rotated: r.rotated_at.is_some(),
                        user_active: r.active.0,
                    });
                let active = ActiveToken {
                    token_type: "refresh",
                    iss: c.iss,
                    sub: c.sub,
                    aud: c.aud,
                    sid: c.sid,
                    jti: c.jti,
                    roles: Vec::new(),
                    exp: c.exp,
                    iat: c.iat,
                };
                (active, row)
            }
            Err(err) => return Ok(Err(err.reason())),
        },
        _ => return Ok(Err(TokenError::WrongType.reason())),
    };
    Ok(judge(active, row))
}

/// What the database says about a verified token, its session and its user.
struct Row {
    user_id: String,
    session_id: String,
    token_revoked: bool,
    session_revoked: bool,
    rotated: bool,
    user_active: bool,
}

/// Active unless the database knows better (first reason wins).
fn judge(active: ActiveToken, row: Option<Row>) -> Introspection {
    let Some(row) = row else {
        return Err("UNKNOWN_TOKEN");
    };
    if row.user_id != active.sub || row.session_id != active.sid {
        return Err("UNKNOWN_TOKEN");
    }
    if row.token_revoked {
        return Err("REVOKED");
    }
    if row.session_revoked {
        return Err("SESSION_REVOKED");
    }
    if row.rotated {
        return Err("ROTATED");
    }
    if !row.user_active {
        return Err("USER_INACTIVE");
    }
    Ok(active)
}

/// The answer of `CheckRevocation`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct RevocationCheck {
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
pub(crate) async fn check_revocation(
    db: &Db,
    mut jtis: Vec<String>,
    mut sids: Vec<String>,
) -> Result<RevocationCheck> {
    let mut v = Violations::new();
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
    let mut conn = db.pool().acquire().await?;
    let sequence = revocation_events::head(&mut conn).await?;
    let mut revoked_jtis = access_tokens::revoked_among(&mut conn, &jtis).await?;
    revoked_jtis.extend(refresh_tokens::revoked_among(&mut conn, &jtis).await?);
    revoked_jtis.sort();
    let mut revoked_sids = sessions::revoked_among(&mut conn, &sids).await?;
    revoked_sids.sort();
    Ok(RevocationCheck {
        revoked_jtis,
        revoked_sids,
        sequence,
    })
}
