//! The security event log: one row per security-relevant event, written in the same
//! transaction as the change it records, and mirrored (after commit) as a `tracing` event with
//! target `security`. Never a password, token, key or hash: only ids, addresses and plain
//! detail.

use shared::db::Tx;
use shared::time::Micros;

use crate::domain::Client;
use crate::store::security_events::{self as store, EventRow};

/// Kinds of security event, stored as their UPPER_SNAKE name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum EventType {
    /// A user registered.
    Register,
    /// A login succeeded and opened a session.
    LoginSucceeded,
    /// A login failed (unknown user, wrong password, inactive or locked account).
    LoginFailed,
    /// An account was locked after repeated failures.
    AccountLocked,
    /// A refresh token was rotated.
    TokenRefreshed,
    /// A rotated refresh token was presented again.
    RefreshTokenReuse,
    /// One token was revoked.
    TokenRevoked,
    /// One session was revoked.
    SessionRevoked,
    /// Every (or every other) session of a user was revoked.
    AllSessionsRevoked,
    /// A user logged out.
    Logout,
    /// A user changed their password.
    PasswordChanged,
    /// An admin changed a user's role.
    RoleChanged,
    /// An admin deactivated a user.
    UserDeactivated,
    /// An admin reactivated a user.
    UserActivated,
    /// A user's own fields or profile changed.
    ProfileUpdated,
    /// A user's avatar was replaced.
    AvatarUpdated,
    /// A new signing key became active.
    SigningKeyRotated,
    /// ChangePassword was refused (wrong current password, locked account, throttled client).
    PasswordChangeFailed,
    /// Registration was refused: the client is over its attempt limit.
    RegisterThrottled,
    /// A verification message was queued.
    EmailVerificationSent,
    /// An email address was verified.
    EmailVerified,
    /// A password reset was requested for an existing account.
    PasswordResetRequested,
    /// A password was reset with a mailed token.
    PasswordReset,
    /// The account was deleted.
    UserDeleted,
    /// A TOTP second factor was enrolled and confirmed.
    MfaEnabled,
    /// The second factor was disabled by the user.
    MfaDisabled,
    /// A second-factor code was accepted.
    MfaSucceeded,
    /// A wrong, expired or replayed second-factor code was refused.
    MfaFailed,
    /// A recovery code was used.
    RecoveryCodeUsed,
    /// New recovery codes replaced the old ones.
    RecoveryCodesRegenerated,
    /// An admin removed the user's second factor.
    MfaReset,
    /// The user exported their data.
    DataExported,
    /// Mail requests were refused: over the hourly limit.
    MailRequestThrottled,
}

impl EventType {
    /// Every kind, in proto order.
    pub(crate) const ALL: [EventType; 33] = [
        EventType::Register,
        EventType::LoginSucceeded,
        EventType::LoginFailed,
        EventType::AccountLocked,
        EventType::TokenRefreshed,
        EventType::RefreshTokenReuse,
        EventType::TokenRevoked,
        EventType::SessionRevoked,
        EventType::AllSessionsRevoked,
        EventType::Logout,
        EventType::PasswordChanged,
        EventType::RoleChanged,
        EventType::UserDeactivated,
        EventType::UserActivated,
        EventType::ProfileUpdated,
        EventType::AvatarUpdated,
        EventType::SigningKeyRotated,
        EventType::PasswordChangeFailed,
        EventType::RegisterThrottled,
        EventType::EmailVerificationSent,
        EventType::EmailVerified,
        EventType::PasswordResetRequested,
        EventType::PasswordReset,
        EventType::UserDeleted,
        EventType::MfaEnabled,
        EventType::MfaDisabled,
        EventType::MfaSucceeded,
        EventType::MfaFailed,
        EventType::RecoveryCodeUsed,
        EventType::RecoveryCodesRegenerated,
        EventType::MfaReset,
        EventType::DataExported,
        EventType::MailRequestThrottled,
    ];

    /// The stored name, e.g. `LOGIN_FAILED`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            EventType::Register => "REGISTER",
            EventType::LoginSucceeded => "LOGIN_SUCCEEDED",
            EventType::LoginFailed => "LOGIN_FAILED",
            EventType::AccountLocked => "ACCOUNT_LOCKED",
            EventType::TokenRefreshed => "TOKEN_REFRESHED",
            EventType::RefreshTokenReuse => "REFRESH_TOKEN_REUSE",
            EventType::TokenRevoked => "TOKEN_REVOKED",
            EventType::SessionRevoked => "SESSION_REVOKED",
            EventType::AllSessionsRevoked => "ALL_SESSIONS_REVOKED",
            EventType::Logout => "LOGOUT",
            EventType::PasswordChanged => "PASSWORD_CHANGED",
            EventType::RoleChanged => "ROLE_CHANGED",
            EventType::UserDeactivated => "USER_DEACTIVATED",
            EventType::UserActivated => "USER_ACTIVATED",
            EventType::ProfileUpdated => "PROFILE_UPDATED",
            EventType::AvatarUpdated => "AVATAR_UPDATED",
            EventType::SigningKeyRotated => "SIGNING_KEY_ROTATED",
            EventType::PasswordChangeFailed => "PASSWORD_CHANGE_FAILED",
            EventType::RegisterThrottled => "REGISTER_THROTTLED",
            EventType::EmailVerificationSent => "EMAIL_VERIFICATION_SENT",
            EventType::EmailVerified => "EMAIL_VERIFIED",
            EventType::PasswordResetRequested => "PASSWORD_RESET_REQUESTED",
            EventType::PasswordReset => "PASSWORD_RESET",
            EventType::UserDeleted => "USER_DELETED",
            EventType::MfaEnabled => "MFA_ENABLED",
            EventType::MfaDisabled => "MFA_DISABLED",
            EventType::MfaSucceeded => "MFA_SUCCEEDED",
            EventType::MfaFailed => "MFA_FAILED",
            EventType::RecoveryCodeUsed => "RECOVERY_CODE_USED",
            EventType::RecoveryCodesRegenerated => "RECOVERY_CODES_REGENERATED",
            EventType::MfaReset => "MFA_RESET",
            EventType::DataExported => "DATA_EXPORTED",
            EventType::MailRequestThrottled => "MAIL_REQUEST_THROTTLED",
        }
    }

    /// Parses a stored name.
    pub(crate) fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == name)
    }

    /// The proto enum value (`SecurityEventType`).
    pub(crate) fn to_proto(self) -> i32 {
        // Proto numbering follows `ALL`, starting at 1 (0 is UNSPECIFIED).
        Self::ALL
            .iter()
            .position(|t| *t == self)
            .map_or(0, |i| i32::try_from(i + 1).unwrap_or(0))
    }

    /// From the proto enum value; `None` for UNSPECIFIED or unknown values.
    pub(crate) fn from_proto(value: i32) -> Option<Self> {
        let index = usize::try_from(value).ok()?.checked_sub(1)?;
        Self::ALL.get(index).copied()
    }
}

/// One event to record. Build it with struct update syntax from a request's context.
#[derive(Debug, Clone)]
pub(crate) struct SecurityEvent {
    /// What happened.
    pub kind: EventType,
    /// The user concerned, if known.
    pub user_id: Option<String>,
    /// The session concerned, if any.
    pub session_id: Option<String>,
    /// Client IP of the request that caused it.
    pub ip: String,
    /// Client user agent of the request that caused it.
    pub user_agent: String,
    /// Plain detail for operators. Never a secret.
    pub detail: String,
}

impl SecurityEvent {
    /// An event of `kind` with no other information yet.
    pub(crate) fn new(kind: EventType) -> Self {
        Self {
            kind,
            user_id: None,
            session_id: None,
            ip: String::new(),
            user_agent: String::new(),
            detail: String::new(),
        }
    }
}

impl SecurityEvent {
    /// The same event, caused by a request from `client`.
    pub(crate) fn by(self, client: &Client) -> Self {
        Self {
            ip: client.ip.clone(),
            user_agent: client.user_agent.clone(),
            ..self
        }
    }

    /// The same event, concerning `user_id`.
    pub(crate) fn user(self, user_id: &str) -> Self {
        Self {
            user_id: Some(user_id.to_owned()),
            ..self
        }
    }

    /// The same event, concerning `session_id`.
    pub(crate) fn session(self, session_id: &str) -> Self {
        Self {
            session_id: Some(session_id.to_owned()),
            ..self
        }
    }

    /// The same event with `detail`.
    pub(crate) fn detail(self, detail: impl Into<String>) -> Self {
        Self {
            detail: detail.into(),
            ..self
        }
    }
}

/// Appends `event` in the caller's transaction and, once it commits, mirrors it to the
/// `security` log target.
pub(crate) async fn record(tx: &mut Tx, event: &SecurityEvent, now: Micros) -> sqlx::Result<()> {
    let row = EventRow {
        id: crate::new_id(),
        user_id: event.user_id.clone(),
        event_type: event.kind.as_str().to_owned(),
        session_id: event.session_id.clone(),
        ip: event.ip.clone(),
        user_agent: event.user_agent.clone(),
        detail: event.detail.clone(),
        created_at: now,
    };
    store::insert(tx, &row).await?;
    // Counted and logged once committed, so neither shows an event the database does not
    // hold. `stride_security_events_total` by `kind` is where login failures
    // (`LOGIN_FAILED`) and lockouts (`ACCOUNT_LOCKED`) are counted.
    let kind = event.kind;
    let routine = log_level(kind) == tracing::Level::DEBUG;
    let logged = (!routine || tracing::enabled!(target: "security", tracing::Level::DEBUG))
        .then(|| event.clone());
    tx.after_commit(move || {
        metrics::counter!("stride_security_events_total", "kind" => kind.as_str()).increment(1);
        if let Some(event) = logged {
            log(&event);
        }
    });
    Ok(())
}

/// The level an event is mirrored to the log at: `debug` for a routine rotation, which
/// happens on every refresh and whose row is the audit trail; `info` for every other kind,
/// rare enough and interesting enough to read.
fn log_level(kind: EventType) -> tracing::Level {
    match kind {
        EventType::TokenRefreshed => tracing::Level::DEBUG,
        _ => tracing::Level::INFO,
    }
}

/// Mirrors a recorded event to the `security` log target at its [`log_level`].
fn log(event: &SecurityEvent) {
    macro_rules! emit {
        ($level:expr) => {
            tracing::event!(
                target: "security",
                $level,
                event = event.kind.as_str(),
                user_id = event.user_id.as_deref().unwrap_or(""),
                session_id = event.session_id.as_deref().unwrap_or(""),
                ip = %event.ip,
                detail = %event.detail,
                "security event"
            )
        };
    }
    if log_level(event.kind) == tracing::Level::DEBUG {
        emit!(tracing::Level::DEBUG);
    } else {
        emit!(tracing::Level::INFO);
    }
}

/// Events deleted per statement by [`sweep`].
const SWEEP_BATCH: i64 = 10_000;

/// Deletes every event older than `retention` at `now`, in bounded batches; returns how many
/// went. Run periodically by the app (`STRIDE_SECURITY_EVENT_RETENTION`).
pub async fn sweep(
    db: &shared::db::Db,
    now: Micros,
    retention: std::time::Duration,
) -> crate::error::Result<u64> {
    let before = now.saturating_sub(crate::clock::micros(retention));
    let mut total = 0;
    loop {
        let mut tx = db.begin().await?;
        let deleted = store::delete_before(&mut tx, before, SWEEP_BATCH).await?;
        tx.commit().await?;
        total += deleted;
        if deleted < SWEEP_BATCH.unsigned_abs() {
            return Ok(total);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_proto_numbers_round_trip() {
        for kind in EventType::ALL {
            assert_eq!(EventType::parse(kind.as_str()), Some(kind));
            assert_eq!(EventType::from_proto(kind.to_proto()), Some(kind));
        }
        assert_eq!(EventType::Register.to_proto(), 1);
        assert_eq!(EventType::SigningKeyRotated.to_proto(), 17);
        assert_eq!(EventType::from_proto(0), None);
        assert_eq!(EventType::RegisterThrottled.to_proto(), 19);
        assert_eq!(EventType::DataExported.to_proto(), 32);
        assert_eq!(EventType::MailRequestThrottled.to_proto(), 33);
        assert_eq!(EventType::from_proto(34), None);
    }

    /// What `log` wrote under `filter`.
    fn logged_under(filter: &str, events: &[SecurityEvent]) -> String {
        #[derive(Clone, Default)]
        struct Buffer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
        impl std::io::Write for Buffer {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(bytes);
                Ok(bytes.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            for event in events {
                log(event);
            }
        });
        String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap()
    }

    #[test]
    fn a_routine_rotation_is_logged_at_debug_and_every_other_event_at_info() {
        let events: Vec<SecurityEvent> = EventType::ALL
            .into_iter()
            .map(|kind| SecurityEvent::new(kind).user("u1"))
            .collect();
        let field = |kind: EventType| format!("event=\"{}\"", kind.as_str());
        let at_info = logged_under("security=info", &events);
        assert!(
            !at_info.contains(&field(EventType::TokenRefreshed)),
            "{at_info}"
        );
        for kind in EventType::ALL {
            if kind != EventType::TokenRefreshed {
                assert!(
                    at_info.contains(&field(kind)),
                    "{kind:?} missing: {at_info}"
                );
            }
        }
        let at_debug = logged_under("security=debug", &events);
        assert!(
            at_debug.contains(&field(EventType::TokenRefreshed)),
            "{at_debug}"
        );
    }
}
