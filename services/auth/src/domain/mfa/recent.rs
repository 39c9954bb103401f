//! The recent second factor: a sensitive operation (ChangePassword, DeleteMe) of a user with
//! a second factor needs either a session that passed it within `STRIDE_MFA_RECENT`
//! (CompleteLogin, or a code given in that session since) or a valid code now. A code given
//! here marks the session, so the next sensitive operation in the next minutes needs none.

use crate::clock::micros;
use crate::domain::Client;
use crate::domain::caller::Caller;
use crate::domain::mfa::Mfa;
use crate::domain::mfa::code::Code;
use crate::domain::mfa::verify::record_accepted;
use crate::domain::security_events::EventType;
use crate::error::{Error, Result};
use crate::store::mfa::factors;
use crate::store::sessions;
use crate::store::users::lockout;

impl Mfa<'_> {
    /// Ok when the caller has no confirmed factor, when the caller's session passed it
    /// recently, or when `code` is valid now (then the session is marked). Else
    /// FAILED_PRECONDITION `MFA_REQUIRED` for an empty code, INVALID_ARGUMENT (`mfa_code`) for
    /// something that is no code at all, UNAUTHENTICATED `INVALID_MFA_CODE` for a wrong one
    /// (counted toward the lockout), RESOURCE_EXHAUSTED while the account is locked.
    #[tracing::instrument(skip_all, fields(user_id = %caller.user_id))]
    pub(crate) async fn require_recent(
        &self,
        caller: &Caller,
        code: &str,
        client: &Client,
    ) -> Result<()> {
        let now = self.clock.now();
        let (enrolled, verified_at) = {
            let mut conn = self.db.read().await?;
            let factor = factors::get(&mut conn, &caller.user_id).await?;
            let verified_at = sessions::mfa_verified_at(&mut conn, &caller.session_id).await?;
            (factor.is_some_and(|f| f.confirmed()), verified_at)
        };
        if !enrolled {
            return Ok(());
        }
        let recent = micros(self.config.recent);
        if verified_at.is_some_and(|at| at <= now && now - at <= recent) {
            return Ok(());
        }
        if code.trim().is_empty() {
            return Err(Error::FailedPrecondition("MFA_REQUIRED"));
        }
        let code = Code::parse(code).map_err(|why| Error::invalid("mfa_code", why))?;
        self.throttle(client).await?;
        let account = {
            let mut conn = self.db.read().await?;
            lockout::credentials_by_id(&mut conn, &caller.user_id)
                .await?
                .ok_or(Error::NotFound("user"))?
        };
        self.lockout()
            .refuse_if_locked(&account, EventType::MfaFailed, client)
            .await?;
        let mut tx = self.db.begin().await?;
        let accepted = match self.spend(&mut tx, &caller.user_id, &code, now).await? {
            Ok(accepted) => accepted,
            Err(refusal) => {
                drop(tx);
                return Err(self.refuse(&caller.user_id, refusal, client).await?);
            }
        };
        sessions::mark_mfa_verified(&mut tx, &caller.session_id, now).await?;
        let session = Some(caller.session_id.as_str());
        record_accepted(&mut tx, accepted, &caller.user_id, session, client, now).await?;
        tx.commit().await?;
        Ok(())
    }
}
