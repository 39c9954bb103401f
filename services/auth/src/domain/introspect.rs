//! `IntrospectToken` (RFC 7662 semantics) and `CheckRevocation`, for services holding the
//! service key.

use shared::db::Db;
use shared::error::Violations;

use crate::error::{Error, Result};
use crate::feed::Feed;
use crate::store::{access_tokens, refresh_tokens, revocation_events, sessions};
use crate::tokens::{ACCESS_TYP, AccessClaims, REFRESH_TYP, TokenError, Tokens};

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

impl ActiveToken {
    /// An access token's claims.
    fn access(c: AccessClaims) -> Self {
        Self {
            token_type: "access",
            iss: c.iss,
            sub: c.sub,
            aud: c.aud,
            sid: c.sid,
            jti: c.jti,
            roles: c.roles,
            exp: c.exp,
            iat: c.iat,
        }
    }
}

/// Whether a token is active and, if not, why (an UPPER_SNAKE reason).
pub(crate) type Introspection = std::result::Result<ActiveToken, &'static str>;

/// Introspects `token`: signature, type, issuer, audience and times as the verifiers check
/// them, then the database: the token, its session and its user must be neither revoked nor
/// inactive, and a refresh token must not have been rotated. Never an error for a bad token;
/// only for a failing database.
///
/// An access token is answered from the process's mirror of the revocation feed when the
/// mirror can vouch for being current (see `feed::mirror`): a token or session revoked on this
/// replica is refused as soon as the revoking RPC returned; one revoked on another replica
/// sharing the database once this replica's head poller saw it (within
/// `STRIDE_REVOCATION_POLL_INTERVAL`). A valid signature proves the token was issued here, and
/// deactivating a user revokes their sessions, so the mirror knows every reason an access
/// token stops being active before it expires. A token the mirror holds revoked is looked up
/// for its exact reason. Refresh tokens are always read from the database (rotation is not a
/// feed event).
#[tracing::instrument(level = "debug", skip_all)]
pub(crate) async fn introspect(
    db: &Db,
    tokens: &Tokens,
    feed: &Feed,
    token: &str,
) -> Result<Introspection> {
    if token.is_empty() || token.len() > MAX_TOKEN_LEN {
        return Ok(Err(TokenError::Malformed.reason()));
    }
    // An access token verified before needs neither its header parsed nor its signature
    // checked again: the common case, first.
    if let Some(claims) = tokens.remembered_access(token) {
        return access(db, feed, claims).await;
    }
    let Ok(header) = jsonwebtoken::decode_header(token) else {
        return Ok(Err(TokenError::Malformed.reason()));
    };
    // Verify the signature and claims first; only a token of ours is looked up.
    let (active, row) = match header.typ.as_deref() {
        Some(ACCESS_TYP) => match tokens.verify_access(token).await {
            Ok(claims) => return access(db, feed, claims).await,
            Err(err) => return Ok(Err(err.reason())),
        },
        Some(REFRESH_TYP) => match tokens.verify_refresh(token).await {
            Ok(c) => {
                let mut conn = db.read().await?;
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

/// The state of a verified access token: from the mirror when it can vouch for it and holds
/// nothing against the token, otherwise from the database.
async fn access(db: &Db, feed: &Feed, claims: AccessClaims) -> Result<Introspection> {
    if feed.mirror_says_revoked(&claims.jti, &claims.sid) == Some(false) {
        return Ok(Ok(ActiveToken::access(claims)));
    }
    let mut conn = db.read().await?;
    let row = access_tokens::state(&mut conn, &claims.jti)
        .await?
        .map(|r| Row {
            user_id: r.user_id,
            session_id: r.session_id,
            token_revoked: r.token_revoked_at.is_some(),
            session_revoked: r.session_revoked_at.is_some(),
            rotated: false,
            user_active: r.active.0,
        });
    Ok(judge(ActiveToken::access(claims), row))
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
/// either. An unknown token id is not reported (its session answers for it); an unknown
/// session is revoked: a session's row goes only with its account, and a deleted account's
/// tokens must be refused by a resource server that asks here while its feed is silent.
#[tracing::instrument(level = "debug", skip_all, fields(jtis = jtis.len(), sids = sids.len()))]
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
    let mut conn = db.read().await?;
    let sequence = revocation_events::head(&mut conn).await?;
    let mut revoked_jtis = access_tokens::revoked_among(&mut conn, &jtis).await?;
    revoked_jtis.extend(refresh_tokens::revoked_among(&mut conn, &jtis).await?);
    revoked_jtis.sort();
    let live = sessions::live_among(&mut conn, &sids).await?;
    let mut revoked_sids: Vec<String> = sids.into_iter().filter(|s| !live.contains(s)).collect();
    revoked_sids.sort();
    Ok(RevocationCheck {
        revoked_jtis,
        revoked_sids,
        sequence,
    })
}
