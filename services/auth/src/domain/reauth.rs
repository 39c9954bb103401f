//! Proving it is really the account's owner before an operation a stolen access token must
//! not be enough for (deleting the account, moving its email address): the password, or a
//! session that signed in within `STRIDE_RECENT_SIGN_IN` (a refresh is not a sign-in), and,
//! with a second factor enrolled, a code or a recent second factor.

use crate::app::AppState;
use crate::clock::micros;
use crate::domain::caller::Caller;
use crate::domain::lockout::Lockout;
use crate::domain::security_events::EventType;
use crate::domain::throttle::{self, Action};
use crate::domain::values::PresentedPassword;
use crate::domain::{Client, mfa};
use crate::error::{Error, Result};
use crate::store::sessions;

/// Ok once the caller has proven it: `password` checked like a login (throttled per client,
/// wrong guesses counted toward the lockout), or, without one, a session signed in recently
/// (else FAILED_PRECONDITION `PASSWORD_REQUIRED`); then the second factor
/// (`mfa::require_second_factor`).
pub(crate) async fn confirm(
    state: &AppState,
    caller: &Caller,
    password: Option<PresentedPassword>,
    mfa_code: &str,
    client: &Client,
) -> Result<()> {
    match password {
        Some(password) => {
            let action = Action {
                name: "password_change",
                limit: state.config.lockout.ip_limit,
                window: crate::domain::login::WINDOW,
                event: EventType::PasswordChangeFailed,
            };
            throttle::attempt(&state.db, &state.clock, action, client).await?;
            let guard = Lockout {
                db: &state.db,
                clock: &state.clock,
                policy: &state.config.lockout,
            };
            guard
                .prove_password(
                    &state.hasher,
                    &caller.user_id,
                    &password,
                    EventType::PasswordChangeFailed,
                    client,
                )
                .await?;
        }
        None => {
            let signed_in = {
                let mut conn = state.db.read().await?;
                sessions::signed_in_at(&mut conn, &caller.session_id).await?
            };
            let recent = state
                .clock
                .now()
                .saturating_sub(micros(state.config.account.recent_sign_in));
            if signed_in.is_none_or(|at| at < recent) {
                return Err(Error::FailedPrecondition("PASSWORD_REQUIRED"));
            }
        }
    }
    mfa::require_second_factor(state, caller, mfa_code, client).await
}
