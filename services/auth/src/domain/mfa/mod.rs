//! TOTP second factor (RFC 6238): enrolment, recovery codes, the two-step login and the
//! "recent second factor" that sensitive operations require.
//!
//! (Skeleton: being built.)

use shared::config::{ConfigError, Env};
use sqlx::AnyConnection;

use crate::app::AppState;
use crate::domain::Client;
use crate::domain::caller::Caller;
use crate::error::Result;

/// Second-factor settings (`STRIDE_MFA_*`).
#[derive(Debug, Clone, Default)]
pub struct MfaConfig {}

impl MfaConfig {
    /// Reads the MFA variables.
    pub fn from_env(_env: Env<'_>) -> Result<Self, ConfigError> {
        Ok(Self {})
    }

    /// Tests: the defaults.
    pub fn for_tests() -> Self {
        Self {}
    }
}

/// Ok when the caller has no second factor, passed it recently in this session, or presents
/// a valid `code` now (TOTP or recovery); else FAILED_PRECONDITION `MFA_REQUIRED` (no code)
/// or UNAUTHENTICATED (a wrong code, counted toward the lockout).
pub(crate) async fn require_second_factor(
    _state: &AppState,
    _caller: &Caller,
    _code: &str,
    _client: &Client,
) -> Result<()> {
    Ok(())
}

/// The second-factor state of `user_id` for a data export, without secrets.
pub(crate) async fn export_state(
    _conn: &mut AnyConnection,
    _user_id: &str,
) -> Result<serde_json::Value> {
    Ok(serde_json::json!({ "enabled": false }))
}
