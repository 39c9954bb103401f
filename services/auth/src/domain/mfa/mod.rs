//! TOTP second factor (RFC 6238): enrolment, recovery codes, the two-step login and the
//! "recent second factor" that sensitive operations require.
//!
//! - [`totp`]: the key and its codes (generation, sealing at rest, the ±1 step window and
//!   replay refusal); [`recovery`]: single-use recovery codes, stored as digests; [`code`]:
//!   a presented code, parsed at the RPC edge.
//! - [`enrollment`]: `BeginTotpEnrollment` (password) → `ConfirmTotpEnrollment` (first code,
//!   returns the recovery codes), `DisableTotp`, `RegenerateRecoveryCodes`, the admin reset.
//! - [`challenge`]: a Login whose password was right returns a short-lived single-use
//!   challenge instead of a session; `CompleteLogin` with a code opens the session.
//! - [`recent`]: sensitive operations ask for a code unless the session passed its second
//!   factor recently.
//! - [`verify`]: spending a code in the transaction of what it unlocks; wrong codes count
//!   toward the account's lockout like wrong passwords.
//!
//! `users.mfa_enabled` always equals "a confirmed factor exists": every change of the factor
//! writes both in one transaction.

pub(crate) mod challenge;
pub(crate) mod code;
pub(crate) mod enrollment;
pub(crate) mod recent;
pub(crate) mod recovery;
pub(crate) mod totp;
pub(crate) mod verify;

use std::time::Duration;

use shared::config::{ConfigError, Env};
use shared::db::Db;
use shared::time::Micros;
use sqlx::AnyConnection;

use crate::app::AppState;
use crate::clock::Clock;
use crate::config::{LockoutConfig, MasterKey};
use crate::domain::Client;
use crate::domain::caller::Caller;
use crate::domain::lockout::Lockout;
use crate::domain::security_events::EventType;
use crate::domain::throttle::{self, Action};
use crate::error::Result;
use crate::password::Hasher;
use crate::store::mfa::{factors, recovery_codes};
use crate::tokens::Tokens;

/// Second-factor settings (`STRIDE_MFA_*`).
#[derive(Debug, Clone)]
pub struct MfaConfig {
    /// `STRIDE_MFA_ISSUER`: the name authenticator apps show beside the account (default
    /// `Stride`); no `:`.
    pub issuer: String,
    /// `STRIDE_MFA_CHALLENGE_TTL`: how long the challenge of a two-step Login is accepted
    /// (default 5m).
    pub challenge_ttl: Duration,
    /// `STRIDE_MFA_CHALLENGE_ATTEMPTS`: wrong codes after which a challenge dies (default 3;
    /// each also counts toward the account's lockout).
    pub challenge_attempts: u32,
    /// `STRIDE_MFA_RECENT`: how long after passing the second factor a session may change the
    /// password (or delete the account) without a code (default 10m).
    pub recent: Duration,
}

impl Default for MfaConfig {
    fn default() -> Self {
        Self {
            issuer: "Stride".to_owned(),
            challenge_ttl: Duration::from_secs(300),
            challenge_attempts: 3,
            recent: Duration::from_secs(600),
        }
    }
}

impl MfaConfig {
    /// Reads the MFA variables.
    pub fn from_env(env: Env<'_>) -> Result<Self, ConfigError> {
        let d = Self::default();
        let config = Self {
            issuer: env.string("STRIDE_MFA_ISSUER", &d.issuer).trim().to_owned(),
            challenge_ttl: env.positive_duration("STRIDE_MFA_CHALLENGE_TTL", d.challenge_ttl)?,
            challenge_attempts: env.parse("STRIDE_MFA_CHALLENGE_ATTEMPTS", d.challenge_attempts)?,
            recent: env.duration("STRIDE_MFA_RECENT", d.recent)?,
        };
        let invalid =
            |var: &str, why: &str| ConfigError::new(var, env.get(var).unwrap_or_default(), why);
        if config.issuer.is_empty() || config.issuer.contains(':') {
            return Err(invalid(
                "STRIDE_MFA_ISSUER",
                "must be a non-empty name without ':'",
            ));
        }
        if config.challenge_attempts == 0 {
            return Err(invalid("STRIDE_MFA_CHALLENGE_ATTEMPTS", "at least 1"));
        }
        Ok(config)
    }

    /// Tests: the defaults.
    pub fn for_tests() -> Self {
        Self::default()
    }
}

/// What the second-factor operations need.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Mfa<'a> {
    /// The auth database.
    pub db: &'a Db,
    /// "Now".
    pub clock: &'a Clock,
    /// Argon2id, for the password some operations ask for.
    pub hasher: &'a Hasher,
    /// Mints the pair of the session a completed Login opens.
    pub tokens: &'a Tokens,
    /// Seals the TOTP keys at rest, when configured.
    pub master_key: Option<&'a MasterKey>,
    /// Issuer name, challenge and recency times.
    pub config: &'a MfaConfig,
    /// Lockout and per-client limits, which wrong codes count toward.
    pub lockout: &'a LockoutConfig,
}

impl<'a> Mfa<'a> {
    /// The components of `state`.
    pub(crate) fn of(state: &'a AppState) -> Self {
        Self {
            db: &state.db,
            clock: &state.clock,
            hasher: &state.hasher,
            tokens: &state.tokens,
            master_key: state.config.master_key.as_ref(),
            config: &state.config.mfa,
            lockout: &state.config.lockout,
        }
    }

    /// The account lockout.
    pub(crate) fn lockout(&self) -> Lockout<'a> {
        Lockout {
            db: self.db,
            clock: self.clock,
            policy: self.lockout,
        }
    }

    /// Counts one second-factor attempt of `client` (codes and passwords alike):
    /// RESOURCE_EXHAUSTED `TOO_MANY_ATTEMPTS` over the per-client limit of logins.
    pub(crate) async fn throttle(&self, client: &Client) -> Result<()> {
        let action = Action {
            name: "mfa",
            limit: self.lockout.ip_limit,
            window: crate::domain::login::WINDOW,
            event: EventType::MfaFailed,
        };
        throttle::attempt(self.db, self.clock, action, client).await
    }
}

/// Ok when the caller has no second factor, passed it recently in this session, or presents
/// a valid `code` now (TOTP or recovery); else FAILED_PRECONDITION `MFA_REQUIRED` (no code)
/// or UNAUTHENTICATED (a wrong code, counted toward the lockout).
pub(crate) async fn require_second_factor(
    state: &AppState,
    caller: &Caller,
    code: &str,
    client: &Client,
) -> Result<()> {
    Mfa::of(state).require_recent(caller, code, client).await
}

/// The second-factor state of `user_id` for a data export, without secrets: whether it is
/// enabled and since when (RFC 3339), whether an enrolment is pending, and how many recovery
/// codes are left.
pub(crate) async fn export_state(
    conn: &mut AnyConnection,
    user_id: &str,
) -> Result<serde_json::Value> {
    let factor = factors::get(conn, user_id).await?;
    let confirmed_at = factor.as_ref().and_then(|f| f.confirmed_at);
    let left = match confirmed_at {
        Some(_) => recovery_codes::count_unused(conn, user_id).await?,
        None => 0,
    };
    Ok(serde_json::json!({
        "enabled": confirmed_at.is_some(),
        "enabled_since": confirmed_at.map(rfc3339),
        "enrollment_pending": factor.is_some() && confirmed_at.is_none(),
        "recovery_codes_left": left,
    }))
}

/// `micros` as an RFC 3339 UTC time (empty if out of range, which stored times never are).
fn rfc3339(micros: Micros) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use shared::config::EnvMap;

    use super::*;

    fn parse(pairs: &[(&str, &str)]) -> Result<MfaConfig, ConfigError> {
        let map: EnvMap = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        MfaConfig::from_env(Env::new(&map))
    }

    #[test]
    fn the_defaults_are_the_test_configuration_and_variables_override_them() {
        let defaults = parse(&[]).unwrap();
        let tests = MfaConfig::for_tests();
        assert_eq!(defaults.issuer, "Stride");
        assert_eq!(defaults.issuer, tests.issuer);
        assert_eq!(defaults.challenge_ttl, Duration::from_secs(300));
        assert_eq!(defaults.challenge_ttl, tests.challenge_ttl);
        assert_eq!(defaults.recent, Duration::from_secs(600));
        assert_eq!(defaults.recent, tests.recent);
        assert_eq!(defaults.challenge_attempts, tests.challenge_attempts);

        let set = parse(&[
            ("STRIDE_MFA_ISSUER", "Stride Gym"),
            ("STRIDE_MFA_CHALLENGE_TTL", "2m"),
            ("STRIDE_MFA_RECENT", "0s"),
            ("STRIDE_MFA_CHALLENGE_ATTEMPTS", "5"),
        ])
        .unwrap();
        assert_eq!(set.issuer, "Stride Gym");
        assert_eq!(set.challenge_ttl, Duration::from_secs(120));
        assert_eq!(set.recent, Duration::ZERO, "0 asks for a code every time");
        assert_eq!(set.challenge_attempts, 5);
    }

    #[test]
    fn invalid_values_name_their_variable() {
        for (var, value) in [
            ("STRIDE_MFA_ISSUER", "a:b"),
            ("STRIDE_MFA_CHALLENGE_TTL", "0s"),
            ("STRIDE_MFA_CHALLENGE_ATTEMPTS", "0"),
            ("STRIDE_MFA_RECENT", "soon"),
        ] {
            let err = parse(&[(var, value)]).unwrap_err();
            assert!(err.to_string().contains(var), "{err}");
        }
    }
}
