//! Login: per-client throttle, per-account lockout, Argon2id check on the bounded pool, then a
//! new session with its first pair.
//!
//! Unknown user, wrong password and inactive account all end in the same
//! `INVALID_CREDENTIALS`, after the same amount of hashing work (unknown users are checked
//! against a dummy hash). A client over its attempt limit is refused before any of that
//! ([`crate::domain::throttle`]). Then it matters whether the client ever signed in to the
//! account: wrong passwords from a known client count toward the account's lockout
//! ([`crate::domain::lockout`]); failures from any other client, unknown names included, only
//! slow the unknown clients of that name ([`crate::domain::unknown_clients`]), so a stranger
//! cannot lock the owner out.
//!
//! The session is born only if the account is still what the password was checked against:
//! the same hash, still active, the same role. A password change, deactivation or role change
//! committed while this login was hashing makes it fail instead of opening a session the
//! change meant to end.
//!
//! An account with a second factor gets no session here: the right password earns a
//! challenge to finish with `CompleteLogin` ([`crate::domain::mfa::challenge`]). The
//! account's failure count is then left as it is: only the opened session clears it, so
//! wrong codes keep counting toward the lockout however often the password is given.

use std::time::Duration;

use shared::db::Db;

use crate::clock::Clock;
use crate::config::LockoutConfig;
use crate::domain::issuance::{self, IssuedPair};
use crate::domain::lockout::Lockout;
use crate::domain::mfa::{MfaConfig, challenge};
use crate::domain::security_events::{self, EventType, SecurityEvent};
use crate::domain::throttle::{self, Action};
use crate::domain::unknown_clients::{self, NameDigest, UnknownClients};
use crate::domain::values::{DeviceLabel, LoginName, PresentedPassword};
use crate::domain::{Client, Role};
use crate::error::{Error, Result};
use crate::password::Hasher;
use crate::store::users::{self, UserRow, lockout};
use crate::tokens::Tokens;

/// The per-client window of login attempts.
pub(crate) const WINDOW: Duration = Duration::from_secs(60);

/// A login attempt, parsed at the RPC edge.
#[derive(Debug)]
pub(crate) struct Attempt {
    /// Username or email, any case.
    pub login: LoginName,
    /// The password; zeroed on drop, never logged.
    pub password: PresentedPassword,
    /// Optional device label for the new session.
    pub device_label: DeviceLabel,
}

/// What a right password earns.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// A new session (boxed: the user row is far larger than a challenge).
    SignedIn(Box<LoggedIn>),
    /// A challenge to finish with a second-factor code (`CompleteLogin`).
    SecondFactor(challenge::Issued),
}

/// A successful login.
#[derive(Debug)]
pub(crate) struct LoggedIn {
    /// The user with its profile.
    pub user: UserRow,
    /// The first pair of the new session.
    pub pair: IssuedPair,
}

/// What a login needs: the database, the hasher, the token minter, the clock and the lockout
/// policy.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Login<'a> {
    /// The auth database.
    pub db: &'a Db,
    /// Argon2id on the bounded pool.
    pub hasher: &'a Hasher,
    /// Mints the new session's first pair.
    pub tokens: &'a Tokens,
    /// "Now".
    pub clock: &'a Clock,
    /// Lockout and per-IP limits.
    pub policy: &'a LockoutConfig,
    /// Pauses tests put between the password check and the session's birth.
    pub hooks: &'a crate::config::TestHooks,
    /// The challenge's lifetime, for accounts with a second factor.
    pub mfa: &'a MfaConfig,
    /// Refuse accounts whose email is not verified yet (`STRIDE_REQUIRE_VERIFIED_EMAIL`).
    pub require_verified_email: bool,
}

impl Login<'_> {
    fn lockout(&self) -> Lockout<'_> {
        Lockout {
            db: self.db,
            clock: self.clock,
            policy: self.policy,
        }
    }

    fn unknown_clients(&self) -> UnknownClients<'_> {
        UnknownClients {
            db: self.db,
            clock: self.clock,
            policy: &self.policy.unknown_clients,
        }
    }

    /// Runs a login attempt.
    #[tracing::instrument(skip_all)]
    pub(crate) async fn attempt(&self, attempt: Attempt, client: &Client) -> Result<Outcome> {
        let action = Action {
            name: "login",
            limit: self.policy.ip_limit,
            window: WINDOW,
            event: EventType::LoginFailed,
        };
        throttle::attempt(self.db, self.clock, action, client).await?;
        let unknown = self.unknown_clients();
        let name = NameDigest::of(attempt.login.key());
        let (credentials, known) = {
            let mut conn = self.db.read().await?;
            let credentials = lockout::credentials_by_login(&mut conn, attempt.login.key()).await?;
            let id = credentials.as_ref().map(|c| c.id.as_str());
            let known = unknown.knows(&mut conn, id, client).await?;
            if !known {
                unknown.refuse_if_waiting(&mut conn, &name).await?;
            }
            (credentials, known)
        };
        let lockout = self.lockout();
        // Only a known client sees the lock before proving the password: to anyone else a
        // locked account looks like any other name (its own wrong guesses are slowed
        // above), and the right password meets the lock when the session would be born.
        if let Some(c) = credentials.as_ref().filter(|_| known) {
            lockout
                .refuse_if_locked(c, EventType::LoginFailed, client)
                .await?;
        }
        let verification = self
            .hasher
            .verify(
                attempt.password.secret(),
                credentials.as_ref().map(|c| c.password_hash.clone()),
            )
            .await?;
        let Some(credentials) = credentials else {
            return Err(unknown
                .count_failure(&name, None, "unknown account", client)
                .await?);
        };
        if !verification.matches {
            return Err(if known {
                lockout
                    .count_failure(&credentials.id, EventType::LoginFailed, client)
                    .await?
            } else {
                unknown
                    .count_failure(&name, Some(&credentials.id), "wrong password", client)
                    .await?
            });
        }
        if !credentials.active.0 {
            // Documented choice: an inactive account looks exactly like wrong credentials,
            // even with the right password, so deactivation reveals nothing to whoever holds it.
            lockout
                .refused(
                    EventType::LoginFailed,
                    Some(&credentials.id),
                    "inactive account",
                    client,
                )
                .await?;
            return Err(Error::InvalidCredentials);
        }
        if self.require_verified_email && !credentials.email_verified.0 {
            // Only after the password: it tells nothing to someone without it.
            lockout
                .refused(
                    EventType::LoginFailed,
                    Some(&credentials.id),
                    "email not verified",
                    client,
                )
                .await?;
            return Err(Error::FailedPrecondition("EMAIL_NOT_VERIFIED"));
        }
        // Rehash outside the transaction: hashing is slow and SQLite has one writer.
        let rehash = if verification.needs_rehash {
            Some(self.hasher.hash(attempt.password.secret()).await?)
        } else {
            None
        };
        self.hooks.after_password_check().await;
        let role = Role::stored(&credentials.role)?;
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        // The session's (or challenge's) birth is conditional on the account being what was
        // checked; the account row stays locked until commit, so an enrolment confirmed
        // concurrently is either seen here or waits.
        let Some(mfa_enabled) = lockout::lock_checked(&mut tx, &credentials, now).await? else {
            drop(tx);
            return Err(lockout
                .not_cleared(&credentials, EventType::LoginFailed, client)
                .await?);
        };
        // Cleared before the rehash changes the hash it is conditional on; the row is locked
        // and was just found as checked, so this cannot miss.
        if !mfa_enabled.0 && !lockout::clear_failures(&mut tx, &credentials, now).await? {
            return Err(Error::internal("the locked account row changed"));
        }
        if let Some(hash) = &rehash {
            users::set_password_hash(&mut tx, &credentials.id, hash).await?;
        }
        if mfa_enabled.0 {
            let hash = rehash.as_deref().unwrap_or(&credentials.password_hash);
            let issued = challenge::issue(
                &mut tx,
                self.mfa,
                &credentials.id,
                hash,
                attempt.device_label.as_str(),
                client,
                now,
            )
            .await?;
            tx.commit().await?;
            return Ok(Outcome::SecondFactor(issued));
        }
        let known_clients = &self.policy.unknown_clients;
        unknown_clients::remember(&mut tx, known_clients, &credentials.id, client, now).await?;
        let pair = issuance::open(
            &mut tx,
            self.tokens,
            &credentials.id,
            role.claims(),
            attempt.device_label.as_str(),
            client,
            now,
        )
        .await?;
        let detail = match rehash {
            Some(_) => "password rehashed with current parameters",
            None => "",
        };
        let event = SecurityEvent::new(EventType::LoginSucceeded)
            .user(&credentials.id)
            .session(&pair.session_id)
            .by(client)
            .detail(detail);
        security_events::record(&mut tx, &event, now).await?;
        let user = users::get(&mut tx, &credentials.id)
            .await?
            .ok_or_else(|| Error::internal("user vanished during login"))?;
        tx.commit().await?;
        Ok(Outcome::SignedIn(Box::new(LoggedIn { user, pair })))
    }
}
