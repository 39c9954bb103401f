//! `ChangePassword`: the signed-in user replaces their password after proving the current one;
//! every other session of theirs is revoked in the same transaction.
//!
//! Proving the current password is guarded like a login, so a stolen access token is no
//! password oracle: the client's attempts are throttled, wrong guesses count toward the
//! account's lockout (with a `PASSWORD_CHANGE_FAILED` event each), and a locked account is
//! refused even the right password until the lock ends.

use shared::db::Db;
use zeroize::Zeroizing;

use crate::clock::Clock;
use crate::config::{LockoutConfig, PasswordConfig};
use crate::domain::caller::Caller;
use crate::domain::lockout::Lockout;
use crate::domain::security_events::{self, EventType, SecurityEvent};
use crate::domain::throttle::{self, Action};
use crate::domain::values::{NewPassword, PresentedPassword};
use crate::domain::{Client, revocation};
use crate::error::{Error, Result};
use crate::feed::FeedNotifier;
use crate::password::Hasher;
use crate::store::account_tokens::{self, RESET_PASSWORD};
use crate::store::users::{self, lockout};

/// What a password change needs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PasswordChange<'a> {
    /// The auth database.
    pub db: &'a Db,
    /// Argon2id on the bounded pool.
    pub hasher: &'a Hasher,
    /// "Now".
    pub clock: &'a Clock,
    /// Woken when the other sessions' revocations commit.
    pub feed: &'a FeedNotifier,
    /// The strength rules of new passwords.
    pub policy: &'a PasswordConfig,
    /// Lockout and per-client limits of password guesses.
    pub lockout: &'a LockoutConfig,
}

impl PasswordChange<'_> {
    /// Replaces the caller's password after checking the current one, and revokes every other
    /// session of the caller (the current one stays), with a `PASSWORD_CHANGED` event, all in
    /// one transaction. A wrong current password is UNAUTHENTICATED (`INVALID_CREDENTIALS`).
    ///
    /// The new password arrives unparsed: its strength is judged against the user's stored
    /// names, so it is parsed here, as field `new_password`.
    #[tracing::instrument(skip_all, fields(user_id = %caller.user_id))]
    ///
    /// `second_factor` (the caller's check of a code or a recent second factor) runs only once
    /// the current password is proven, so a valid code is never spent on a wrong password.
    pub(crate) async fn change(
        &self,
        caller: &Caller,
        current: PresentedPassword,
        new: Zeroizing<String>,
        client: &Client,
        second_factor: impl Future<Output = Result<()>>,
    ) -> Result<usize> {
        let action = Action {
            name: "password_change",
            limit: self.lockout.ip_limit,
            window: crate::domain::login::WINDOW,
            event: EventType::PasswordChangeFailed,
        };
        throttle::attempt(self.db, self.clock, action, client).await?;
        let user = {
            let mut conn = self.db.read().await?;
            users::get(&mut conn, &caller.user_id)
                .await?
                .ok_or(Error::NotFound("user"))?
        };
        let local = user.email.split('@').next().unwrap_or_default();
        let inputs = [
            user.username.as_str(),
            local,
            &user.first_name,
            &user.last_name,
        ];
        let new = NewPassword::parse(new.to_string(), self.policy)
            .map_err(|why| Error::invalid("new_password", why))?;
        let inputs = inputs.iter().map(|s| (*s).to_owned()).collect();
        self.hasher
            .judge(new.secret(), inputs, self.policy.min_score)
            .await?
            .map_err(|why| Error::invalid("new_password", why))?;
        if new.equals(&current) {
            return Err(Error::invalid(
                "new_password",
                "must differ from the current password",
            ));
        }
        let guard = Lockout {
            db: self.db,
            clock: self.clock,
            policy: self.lockout,
        };
        let kind = EventType::PasswordChangeFailed;
        let stored = guard
            .prove_password(self.hasher, &caller.user_id, &current, kind, client)
            .await?;
        second_factor.await?;
        let hash = self.hasher.hash(new.secret()).await?;
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        // Conditional on the password still being the one just proven (and not locked since).
        if !lockout::clear_failures(&mut tx, &stored, now).await? {
            drop(tx);
            return Err(guard.not_cleared(&stored, kind, client).await?);
        }
        users::set_password_hash(&mut tx, &caller.user_id, &hash).await?;
        // A reset link asked for before the change would undo it: it stops working.
        account_tokens::forget_unused(&mut tx, &caller.user_id, RESET_PASSWORD).await?;
        let revoked = revocation::revoke_user_sessions(
            &mut tx,
            self.feed,
            &caller.user_id,
            Some(&caller.session_id),
            "password changed",
            now,
        )
        .await?;
        let event = SecurityEvent::new(EventType::PasswordChanged)
            .user(&caller.user_id)
            .session(&caller.session_id)
            .by(client)
            .detail(format!("{revoked} other sessions revoked"));
        security_events::record(&mut tx, &event, now).await?;
        tx.commit().await?;
        Ok(revoked)
    }
}
