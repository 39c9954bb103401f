//! Security event types as people read them: a label, a badge colour, and the short name a
//! URL uses ("LOGIN_FAILED").

use shared::pb::auth::v1::SecurityEventType;

use crate::ui::Tone;

/// The prefix of every event type's proto name, left out of URLs.
const TYPE_PREFIX: &str = "SECURITY_EVENT_TYPE_";

/// A type as the URL names it ("LOGIN_FAILED", any case).
pub(super) fn type_of(raw: &str) -> Option<SecurityEventType> {
    let name = format!("{TYPE_PREFIX}{}", raw.to_ascii_uppercase());
    SecurityEventType::from_str_name(&name).filter(|t| *t != SecurityEventType::Unspecified)
}

/// Every event type a filter can name.
pub(super) fn all_types() -> impl Iterator<Item = SecurityEventType> {
    (1..=i32::MAX).map_while(|n| SecurityEventType::try_from(n).ok())
}

/// "LOGIN_FAILED".
pub(super) fn short_name(kind: SecurityEventType) -> &'static str {
    let name = kind.as_str_name();
    name.strip_prefix(TYPE_PREFIX).unwrap_or(name)
}

/// How an event type reads.
pub(super) fn label(kind: SecurityEventType) -> &'static str {
    use SecurityEventType as T;
    match kind {
        T::Unspecified => "Unknown event",
        T::Register => "Registered",
        T::LoginSucceeded => "Signed in",
        T::LoginFailed => "Sign-in failed",
        T::AccountLocked => "Account locked",
        T::TokenRefreshed => "Token refreshed",
        T::RefreshTokenReuse => "Refresh token reused",
        T::TokenRevoked => "Token revoked",
        T::SessionRevoked => "Session revoked",
        T::AllSessionsRevoked => "All sessions revoked",
        T::Logout => "Signed out",
        T::PasswordChanged => "Password changed",
        T::RoleChanged => "Role changed",
        T::UserDeactivated => "Deactivated",
        T::UserActivated => "Reactivated",
        T::ProfileUpdated => "Profile updated",
        T::AvatarUpdated => "Avatar updated",
        T::SigningKeyRotated => "Signing key rotated",
        T::PasswordChangeFailed => "Password change failed",
        T::RegisterThrottled => "Registration throttled",
        T::EmailVerificationSent => "Verification mailed",
        T::EmailVerified => "Email verified",
        T::PasswordResetRequested => "Password reset requested",
        T::PasswordReset => "Password reset",
        T::UserDeleted => "Account deleted",
        T::MfaEnabled => "Two-step verification on",
        T::MfaDisabled => "Two-step verification off",
        T::MfaSucceeded => "Second factor accepted",
        T::MfaFailed => "Second factor refused",
        T::RecoveryCodeUsed => "Recovery code used",
        T::RecoveryCodesRegenerated => "Recovery codes renewed",
        T::MfaReset => "Second factor reset",
        T::DataExported => "Data exported",
        T::MailRequestThrottled => "Mail requests throttled",
    }
}

/// The badge colour of an event type: attacks and refusals stand out.
pub(super) fn tone(kind: SecurityEventType) -> Tone {
    use SecurityEventType as T;
    match kind {
        T::LoginFailed | T::AccountLocked | T::RefreshTokenReuse | T::MfaFailed => Tone::Bad,
        T::PasswordChangeFailed
        | T::RegisterThrottled
        | T::MailRequestThrottled
        | T::UserDeactivated
        | T::UserDeleted
        | T::MfaReset => Tone::Warn,
        T::Register | T::LoginSucceeded | T::UserActivated | T::EmailVerified => Tone::Good,
        T::RoleChanged | T::SigningKeyRotated | T::PasswordChanged | T::PasswordReset => Tone::Info,
        _ => Tone::Muted,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_has_a_label_and_a_filter_value() {
        let types: Vec<_> = all_types().collect();
        assert_eq!(types.len(), 33);
        for kind in types {
            assert_eq!(type_of(short_name(kind)), Some(kind));
            assert_ne!(label(kind), "Unknown event");
        }
    }
}
