//! Enrolling and removing the TOTP factor.
//!
//! `BeginTotpEnrollment` proves the password and stores a pending key, shown once; nothing
//! else changes until `ConfirmTotpEnrollment` presents a first code of it, which enables the
//! factor and returns the recovery codes. `DisableTotp` needs the password and a code,
//! `RegenerateRecoveryCodes` an authenticator code; an admin can remove the factor of a user
//! who lost both the device and the codes.
//!
//! Passwords are proven as in ChangePassword (throttled per client, wrong guesses counted
//! toward the lockout, a locked account refused), and so are codes. Where both are needed,
//! the failure count is cleared only once both are proven, so knowing the password never
//! resets the count of wrong codes.

use shared::db::Tx;
use shared::time::Micros;

use crate::domain::Client;
use crate::domain::caller::Caller;
use crate::domain::mfa::Mfa;
use crate::domain::mfa::code::{Code, TotpCode};
use crate::domain::mfa::recovery;
use crate::domain::mfa::totp::{Match, Provisioning, Secret};
use crate::domain::mfa::verify::{Refusal, record_accepted};
use crate::domain::security_events::{self, EventType, SecurityEvent};
use crate::domain::values::{Id, PresentedPassword};
use crate::error::{Error, Result};
use crate::store::mfa::{challenges, factors, recovery_codes};
use crate::store::sessions;
use crate::store::users::{self, lockout};

impl Mfa<'_> {
    /// Proves the caller's password without clearing the failure count (the operation has
    /// throttled the client already): refused while locked, a wrong one counted
    /// (`MFA_FAILED`). Returns the account as checked, for the operation's transaction to
    /// clear the count against.
    async fn prove_password(
        &self,
        caller: &Caller,
        password: &PresentedPassword,
        client: &Client,
    ) -> Result<lockout::Credentials> {
        self.lockout()
            .prove_password(
                self.hasher,
                &caller.user_id,
                password,
                EventType::MfaFailed,
                client,
            )
            .await
    }

    /// Clears the failure count in `tx` after the proofs of an operation, if the account is
    /// still as checked; else the error to answer (`Lockout::not_cleared`).
    async fn clear_failures(
        &self,
        tx: Tx,
        checked: &lockout::Credentials,
        client: &Client,
        now: Micros,
    ) -> Result<Tx> {
        let mut tx = tx;
        if lockout::clear_failures(&mut tx, checked, now).await? {
            return Ok(tx);
        }
        drop(tx);
        Err(self
            .lockout()
            .not_cleared(checked, EventType::MfaFailed, client)
            .await?)
    }

    /// The factor of `user_id`, pending or confirmed.
    async fn factor(&self, user_id: &str) -> Result<Option<factors::FactorRow>> {
        let mut conn = self.db.read().await?;
        Ok(factors::get(&mut conn, user_id).await?)
    }

    /// `BeginTotpEnrollment`: after the password, a new pending key replaces any pending one;
    /// returned once for the authenticator app.
    #[tracing::instrument(skip_all, fields(user_id = %caller.user_id))]
    pub(crate) async fn begin_enrollment(
        &self,
        caller: &Caller,
        password: PresentedPassword,
        client: &Client,
    ) -> Result<Provisioning> {
        self.throttle(client).await?;
        if self
            .factor(&caller.user_id)
            .await?
            .is_some_and(|f| f.confirmed())
        {
            return Err(Error::FailedPrecondition("MFA_ALREADY_ENABLED"));
        }
        let checked = self.prove_password(caller, &password, client).await?;
        let username = {
            let mut conn = self.db.read().await?;
            users::get(&mut conn, &caller.user_id)
                .await?
                .ok_or(Error::NotFound("user"))?
                .username
        };
        let secret = Secret::generate();
        let shown = secret.provisioning(&self.config.issuer, &username)?;
        let (stored, sealed) = secret.to_stored(self.master_key, &caller.user_id)?;
        let now = self.clock.now();
        let tx = self.db.begin().await?;
        let mut tx = self.clear_failures(tx, &checked, client, now).await?;
        if !factors::put_pending(&mut tx, &caller.user_id, &stored, sealed, now).await? {
            return Err(Error::FailedPrecondition("MFA_ALREADY_ENABLED"));
        }
        tx.commit().await?;
        Ok(shown)
    }

    /// `ConfirmTotpEnrollment`: a first code of the pending key enables the factor (with
    /// `MFA_ENABLED`), marks the session as having passed it, and returns new recovery codes.
    /// FAILED_PRECONDITION `MFA_NOT_PENDING` without a pending enrolment.
    #[tracing::instrument(skip_all, fields(user_id = %caller.user_id))]
    pub(crate) async fn confirm_enrollment(
        &self,
        caller: &Caller,
        code: TotpCode,
        client: &Client,
    ) -> Result<Vec<String>> {
        self.throttle(client).await?;
        let user_id = caller.user_id.as_str();
        let factor = match self.factor(user_id).await? {
            Some(f) if f.confirmed() => {
                return Err(Error::FailedPrecondition("MFA_ALREADY_ENABLED"));
            }
            Some(f) => f,
            None => return Err(Error::FailedPrecondition("MFA_NOT_PENDING")),
        };
        let account = {
            let mut conn = self.db.read().await?;
            lockout::credentials_by_id(&mut conn, user_id)
                .await?
                .ok_or(Error::NotFound("user"))?
        };
        self.lockout()
            .refuse_if_locked(&account, EventType::MfaFailed, client)
            .await?;
        let now = self.clock.now();
        let secret =
            Secret::from_stored(&factor.secret, factor.sealed.0, self.master_key, user_id)?;
        let Match::Step(step) = secret.check(&code, now, None)? else {
            return Err(self.refuse(user_id, Refusal::Wrong, client).await?);
        };
        let codes = recovery::issue();
        let mut tx = self.db.begin().await?;
        // Conditional on the key being the one just checked: an enrolment begun meanwhile
        // replaced it.
        if !factors::confirm(&mut tx, user_id, &factor.secret, step, now).await? {
            return Err(Error::FailedPrecondition("MFA_NOT_PENDING"));
        }
        users::set_mfa_enabled(&mut tx, user_id, true).await?;
        issue_codes(&mut tx, caller, &codes, EventType::MfaEnabled, client, now).await?;
        tx.commit().await?;
        Ok(codes.shown)
    }

    /// `DisableTotp`: with the password and a code (authenticator or recovery), removes the
    /// factor, its recovery codes and pending challenges (`MFA_DISABLED`).
    /// FAILED_PRECONDITION `MFA_NOT_ENABLED` without a confirmed factor.
    #[tracing::instrument(skip_all, fields(user_id = %caller.user_id))]
    pub(crate) async fn disable(
        &self,
        caller: &Caller,
        password: PresentedPassword,
        code: Code,
        client: &Client,
    ) -> Result<()> {
        self.throttle(client).await?;
        let user_id = caller.user_id.as_str();
        if !self.factor(user_id).await?.is_some_and(|f| f.confirmed()) {
            return Err(Error::FailedPrecondition("MFA_NOT_ENABLED"));
        }
        let checked = self.prove_password(caller, &password, client).await?;
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let accepted = match self.spend(&mut tx, user_id, &code, now).await? {
            Ok(accepted) => accepted,
            Err(refusal) => {
                drop(tx);
                return Err(self.refuse(user_id, refusal, client).await?);
            }
        };
        let mut tx = self.clear_failures(tx, &checked, client, now).await?;
        let session = Some(caller.session_id.as_str());
        record_accepted(&mut tx, accepted, user_id, session, client, now).await?;
        remove_factor(&mut tx, user_id).await?;
        let event = SecurityEvent::new(EventType::MfaDisabled)
            .user(user_id)
            .session(&caller.session_id)
            .by(client);
        security_events::record(&mut tx, &event, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// `RegenerateRecoveryCodes`: with an authenticator code, replaces the recovery codes
    /// (`RECOVERY_CODES_REGENERATED`). FAILED_PRECONDITION `MFA_NOT_ENABLED` without a
    /// confirmed factor.
    #[tracing::instrument(skip_all, fields(user_id = %caller.user_id))]
    pub(crate) async fn regenerate_recovery_codes(
        &self,
        caller: &Caller,
        code: TotpCode,
        client: &Client,
    ) -> Result<Vec<String>> {
        self.throttle(client).await?;
        let user_id = caller.user_id.as_str();
        let account = {
            let mut conn = self.db.read().await?;
            lockout::credentials_by_id(&mut conn, user_id)
                .await?
                .ok_or(Error::NotFound("user"))?
        };
        if !self.factor(user_id).await?.is_some_and(|f| f.confirmed()) {
            return Err(Error::FailedPrecondition("MFA_NOT_ENABLED"));
        }
        self.lockout()
            .refuse_if_locked(&account, EventType::MfaFailed, client)
            .await?;
        let codes = recovery::issue();
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let accepted = match self.spend(&mut tx, user_id, &Code::Totp(code), now).await? {
            Ok(accepted) => accepted,
            Err(refusal) => {
                drop(tx);
                return Err(self.refuse(user_id, refusal, client).await?);
            }
        };
        let session = Some(caller.session_id.as_str());
        record_accepted(&mut tx, accepted, user_id, session, client, now).await?;
        let kind = EventType::RecoveryCodesRegenerated;
        issue_codes(&mut tx, caller, &codes, kind, client, now).await?;
        tx.commit().await?;
        Ok(codes.shown)
    }

    /// `ResetUserMfa`: an admin removes the factor, recovery codes and pending challenges of
    /// `user_id` (`MFA_RESET`, naming the admin). NOT_FOUND for an unknown user.
    #[tracing::instrument(skip_all, fields(user_id = %user_id.as_str()))]
    pub(crate) async fn admin_reset(
        &self,
        admin: &Caller,
        user_id: &Id,
        client: &Client,
    ) -> Result<()> {
        let user_id = user_id.as_str();
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        if lockout::credentials_by_id(&mut tx, user_id)
            .await?
            .is_none()
        {
            return Err(Error::NotFound("user"));
        }
        let had = remove_factor(&mut tx, user_id).await?;
        let detail = match had {
            true => format!("by admin {}", admin.user_id),
            false => format!("by admin {}; there was no second factor", admin.user_id),
        };
        let event = SecurityEvent::new(EventType::MfaReset)
            .user(user_id)
            .by(client)
            .detail(detail);
        security_events::record(&mut tx, &event, now).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Replaces the caller's recovery codes with the digests of `codes`, marks the session as having
/// passed the second factor, and records `kind`, in the caller's transaction.
async fn issue_codes(
    tx: &mut Tx,
    caller: &Caller,
    codes: &recovery::Issued,
    kind: EventType,
    client: &Client,
    now: Micros,
) -> Result<()> {
    let user_id = caller.user_id.as_str();
    recovery_codes::delete_all(tx, user_id).await?;
    for digest in &codes.digests {
        recovery_codes::insert(tx, user_id, digest, now).await?;
    }
    // The code just checked was this session's second factor.
    sessions::mark_mfa_verified(tx, &caller.session_id, now).await?;
    let event = SecurityEvent::new(kind)
        .user(user_id)
        .session(&caller.session_id)
        .by(client)
        .detail(format!("{} recovery codes issued", codes.shown.len()));
    security_events::record(tx, &event, now).await?;
    Ok(())
}

/// Removes the factor of `user_id` (pending or confirmed), its recovery codes and its pending
/// challenges, and clears `users.mfa_enabled`; true when a factor existed.
async fn remove_factor(tx: &mut Tx, user_id: &str) -> Result<bool> {
    let had = factors::delete(tx, user_id).await?;
    recovery_codes::delete_all(tx, user_id).await?;
    challenges::delete_of_user(tx, user_id).await?;
    users::set_mfa_enabled(tx, user_id, false).await?;
    Ok(had)
}
