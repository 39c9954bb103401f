//! Stored rows and domain results → protobuf messages.

use shared::pb::auth::v1 as pb;
use shared::time::to_timestamp;

use crate::domain::Role;
use crate::domain::issuance::IssuedPair;
use crate::domain::overview::Overview;
use crate::domain::security_events::EventType;
use crate::domain::session_list::{self, Status};
use crate::domain::token_tree::{self, TokenStatus};
use crate::keys::PublicKey;
use crate::store::security_events::EventRow;
use crate::store::sessions::SessionView;
use crate::store::users::UserRow;

/// A user with its profile.
pub(crate) fn user(row: UserRow) -> pb::User {
    pb::User {
        id: row.id,
        username: row.username,
        email: row.email,
        first_name: row.first_name,
        last_name: row.last_name,
        role: Role::parse(&row.role).map_or(0, role_to_proto),
        active: row.active.0,
        created_at: Some(to_timestamp(row.created_at)),
        updated_at: Some(to_timestamp(row.updated_at)),
        profile: Some(pb::Profile {
            full_name: row.full_name,
            bio: row.bio,
            birth_date: row.birth_date.unwrap_or_default(),
            notes: row.notes,
            language: language(&row.language),
            has_avatar: row.has_avatar.0,
            updated_at: Some(to_timestamp(row.profile_updated_at)),
        }),
        email_verified: row.email_verified.0,
        pending_email: row.pending_email.unwrap_or_default(),
        mfa_enabled: row.mfa_enabled.0,
    }
}

/// A stored language code as the proto enum.
fn language(code: &str) -> i32 {
    use pb::Language as L;
    (match code {
        "EN" => L::En,
        "ES" => L::Es,
        "FR" => L::Fr,
        "AR" => L::Ar,
        _ => L::Unspecified,
    }) as i32
}

/// A freshly issued pair.
pub(crate) fn token_pair(pair: IssuedPair) -> pb::TokenPair {
    pb::TokenPair {
        access_token: pair.access.token,
        refresh_token: pair.refresh.token,
        access_expires_at: Some(to_timestamp(pair.access.expires_at)),
        refresh_expires_at: Some(to_timestamp(pair.refresh.expires_at)),
        session_id: pair.session_id,
        token_type: "Bearer".to_owned(),
    }
}

/// An Ed25519 public key as an RFC 8037 OKP JWK.
pub(crate) fn jwk(key: &PublicKey) -> pb::Jwk {
    pb::Jwk {
        kty: "OKP".to_owned(),
        crv: "Ed25519".to_owned(),
        x: key.x(),
        kid: key.kid.clone(),
        alg: "EdDSA".to_owned(),
        r#use: "sig".to_owned(),
    }
}

/// A session as listed to its owner or an admin; `current_session` marks the caller's own.
pub(crate) fn session(
    row: SessionView,
    now: shared::time::Micros,
    current_session: &str,
) -> pb::Session {
    let status = match session_list::status(&row, now) {
        Status::Active => pb::SessionStatus::Active,
        Status::Revoked => pb::SessionStatus::Revoked,
        Status::Expired => pb::SessionStatus::Expired,
    };
    let s = row.session;
    pb::Session {
        current: s.id == current_session,
        id: s.id,
        device_label: s.device_label,
        ip: s.ip,
        user_agent: s.user_agent,
        created_at: Some(to_timestamp(s.created_at)),
        last_refreshed_at: s.last_refreshed_at.map(to_timestamp),
        expires_at: Some(to_timestamp(s.expires_at)),
        status: status as i32,
    }
}

/// A session's token tree; `current_session` marks the caller's own session.
pub(crate) fn token_tree(
    tree: token_tree::Tree,
    now: shared::time::Micros,
    current_session: &str,
) -> pb::TokenTree {
    let session_end = tree.session.session.expires_at;
    let refresh_tokens = tree
        .refresh_tokens
        .into_iter()
        .map(|(r, access)| pb::RefreshTokenNode {
            status: token_status(token_tree::refresh_status(&r, session_end, now)),
            access_tokens: access
                .into_iter()
                .map(|a| pb::AccessTokenNode {
                    status: token_status(token_tree::access_status(&a, now)),
                    jti: a.jti,
                    issued_at: Some(to_timestamp(a.issued_at)),
                    expires_at: Some(to_timestamp(a.expires_at)),
                    revoked_at: a.revoked_at.map(to_timestamp),
                })
                .collect(),
            jti: r.jti,
            parent_jti: r.parent_jti.unwrap_or_default(),
            issued_at: Some(to_timestamp(r.issued_at)),
            expires_at: Some(to_timestamp(r.expires_at)),
            rotated_at: r.rotated_at.map(to_timestamp),
            revoked_at: r.revoked_at.map(to_timestamp),
            ip: r.ip,
            user_agent: r.user_agent,
            device_label: r.device_label,
        })
        .collect();
    pb::TokenTree {
        session: Some(session(tree.session, now, current_session)),
        refresh_tokens,
        truncated: tree.truncated,
    }
}

/// A token's status as the proto enum value.
fn token_status(status: TokenStatus) -> i32 {
    (match status {
        TokenStatus::Active => pb::TokenStatus::Active,
        TokenStatus::Rotated => pb::TokenStatus::Rotated,
        TokenStatus::Revoked => pb::TokenStatus::Revoked,
        TokenStatus::Expired => pb::TokenStatus::Expired,
    }) as i32
}

/// A signing key of the ring, its public half as the JWKS publishes it.
pub(crate) fn signing_key(key: &PublicKey) -> pb::SigningKey {
    pb::SigningKey {
        kid: key.kid.clone(),
        active: key.retired_at.is_none(),
        created_at: Some(to_timestamp(key.created_at)),
        retired_at: key.retired_at.map(to_timestamp),
        expires_at: key.expires_at.map(to_timestamp),
        public_key: Some(jwk(key)),
    }
}

/// The admin dashboard's figures.
pub(crate) fn overview(overview: Overview) -> pb::GetOverviewResponse {
    pb::GetOverviewResponse {
        total_users: overview.total_users,
        active_users: overview.active_users,
        active_sessions: overview.active_sessions,
        days: overview
            .days
            .into_iter()
            .map(|d| pb::DailyActivity {
                date: d.date.to_string(),
                sign_ups: d.sign_ups,
                sign_ins: d.sign_ins,
                failed_sign_ins: d.failed_sign_ins,
            })
            .collect(),
    }
}

/// A stored security event.
pub(crate) fn security_event(row: EventRow) -> pb::SecurityEvent {
    pb::SecurityEvent {
        id: row.id,
        user_id: row.user_id.unwrap_or_default(),
        r#type: EventType::parse(&row.event_type).map_or(0, EventType::to_proto),
        ip: row.ip,
        user_agent: row.user_agent,
        session_id: row.session_id.unwrap_or_default(),
        detail: row.detail,
        created_at: Some(to_timestamp(row.created_at)),
    }
}

/// A role as the proto enum value.
pub(crate) fn role_to_proto(role: Role) -> i32 {
    (match role {
        Role::User => pb::Role::User,
        Role::Staff => pb::Role::Staff,
        Role::Admin => pb::Role::Admin,
    }) as i32
}

/// A role from the proto enum value; `None` for UNSPECIFIED and unknown values.
pub(crate) fn role_from_proto(value: i32) -> Option<Role> {
    match pb::Role::try_from(value).ok()? {
        pb::Role::User => Some(Role::User),
        pb::Role::Staff => Some(Role::Staff),
        pb::Role::Admin => Some(Role::Admin),
        pb::Role::Unspecified => None,
    }
}
