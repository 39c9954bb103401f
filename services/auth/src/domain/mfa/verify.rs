//! Checking a presented code against the user's confirmed factor, in the transaction of the
//! operation it unlocks: an accepted code is spent (its time step, or the recovery code) only
//! if that operation commits. Wrong codes count toward the account's lockout like wrong
//! passwords (`domain::lockout`), each with an `MFA_FAILED` event.

use shared::db::Tx;
use shared::time::Micros;

use crate::domain::Client;
use crate::domain::mfa::code::Code;
use crate::domain::mfa::totp::{Match, Secret};
use crate::domain::mfa::{Mfa, recovery};
use crate::domain::security_events::{self, EventType, SecurityEvent};
use crate::error::{Error, Result};
use crate::store::mfa::{factors, recovery_codes};

/// How a code was accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Accepted {
    /// An authenticator code.
    Totp,
    /// A recovery code; `left` remain unused.
    Recovery {
        /// Recovery codes left after this one.
        left: i64,
    },
}

/// Why a code was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Not a current authenticator code, nor an unused recovery code.
    Wrong,
    /// The authenticator code of a time step already used.
    Replayed,
}

impl Refusal {
    /// For the log.
    fn as_str(self) -> &'static str {
        match self {
            Refusal::Wrong => "wrong code",
            Refusal::Replayed => "replayed code",
        }
    }
}

impl Mfa<'_> {
    /// Checks `code` against the confirmed factor of `user_id` and spends it, in `tx`.
    /// FAILED_PRECONDITION `MFA_NOT_ENABLED` when the user has no confirmed factor.
    pub(crate) async fn spend(
        &self,
        tx: &mut Tx,
        user_id: &str,
        code: &Code,
        now: Micros,
    ) -> Result<std::result::Result<Accepted, Refusal>> {
        let factor = factors::get(tx, user_id)
            .await?
            .filter(factors::FactorRow::confirmed)
            .ok_or(Error::FailedPrecondition("MFA_NOT_ENABLED"))?;
        match code {
            Code::Totp(code) => {
                let secret =
                    Secret::from_stored(&factor.secret, factor.sealed.0, self.master_key, user_id)?;
                match secret.check(code, now, factor.last_step)? {
                    Match::Step(step) if factors::accept_step(tx, user_id, step).await? => {
                        Ok(Ok(Accepted::Totp))
                    }
                    // A concurrent request accepted this step (or a later one) first.
                    Match::Step(_) | Match::Replayed => Ok(Err(Refusal::Replayed)),
                    Match::Wrong => Ok(Err(Refusal::Wrong)),
                }
            }
            Code::Recovery(normalised) => {
                let unused = recovery_codes::unused(tx, user_id).await?;
                let Some(found) = recovery::find(normalised, &unused) else {
                    return Ok(Err(Refusal::Wrong));
                };
                if !recovery_codes::use_code(tx, user_id, found, now).await? {
                    return Ok(Err(Refusal::Wrong));
                }
                let left = recovery_codes::count_unused(tx, user_id).await?;
                Ok(Ok(Accepted::Recovery { left }))
            }
        }
    }

    /// A refused code for `user_id`: counts it toward the lockout (with its `MFA_FAILED`
    /// event) and returns the error to answer: UNAUTHENTICATED `INVALID_MFA_CODE`, or
    /// RESOURCE_EXHAUSTED `ACCOUNT_LOCKED` if the account is locked now.
    pub(crate) async fn refuse(
        &self,
        user_id: &str,
        refusal: Refusal,
        client: &Client,
    ) -> Result<Error> {
        tracing::info!(
            user_id,
            why = refusal.as_str(),
            "second-factor code refused"
        );
        let counted = self
            .lockout()
            .count_failure(user_id, EventType::MfaFailed, client)
            .await?;
        Ok(match counted {
            Error::InvalidCredentials => Error::Unauthenticated(INVALID_CODE),
            other => other,
        })
    }
}

/// Records `MFA_SUCCEEDED` (and `RECOVERY_CODE_USED` for a recovery code) in `tx`.
pub(crate) async fn record_accepted(
    tx: &mut Tx,
    accepted: Accepted,
    user_id: &str,
    session_id: Option<&str>,
    client: &Client,
    now: Micros,
) -> Result<()> {
    let mut event = SecurityEvent::new(EventType::MfaSucceeded)
        .user(user_id)
        .by(client);
    event.session_id = session_id.map(str::to_owned);
    let detail = match accepted {
        Accepted::Totp => "authenticator code",
        Accepted::Recovery { .. } => "recovery code",
    };
    security_events::record(tx, &event.clone().detail(detail), now).await?;
    if let Accepted::Recovery { left } = accepted {
        let used = SecurityEvent {
            kind: EventType::RecoveryCodeUsed,
            ..event
        }
        .detail(format!("{left} recovery codes left"));
        security_events::record(tx, &used, now).await?;
    }
    Ok(())
}

/// The reason of a refused code.
pub(crate) const INVALID_CODE: &str = "INVALID_MFA_CODE";
