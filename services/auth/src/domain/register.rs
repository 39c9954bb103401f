//! Registration: a user, its profile, a first session and token pair, its client remembered as
//! known (see [`crate::domain::unknown_clients`]), and a `REGISTER` event, in one transaction. Also the account creation behind `stride admin create` and the
//! bootstrap admin.
//!
//! Cheapest first, so an unauthenticated flood costs the service little: the client's attempt
//! limit, then the field checks (at the RPC edge), then whether the username or email is taken
//! (one read), then the password's strength (zxcvbn, bounded), then the hash (Argon2id, within
//! the share new accounts may hold), then the insert, where the unique index stays the final
//! guard against a concurrent registration.

use shared::db::{Db, is_unique_violation};
use shared::error::Violations;
use shared::time::Micros;
use sqlx::AnyConnection;
use std::time::Duration;

use crate::clock::Clock;
use crate::config::{AccountConfig, PasswordConfig, UnknownClientConfig};
use crate::domain::issuance::{self, IssuedPair};
use crate::domain::security_events::{self, EventType, SecurityEvent};
use crate::domain::throttle::{self, Action};
use crate::domain::unknown_clients;
use crate::domain::values::{DeviceLabel, Email, Name, NewPassword, Username};
use crate::domain::verification::{self, Purpose};
use crate::domain::{Client, Role};
use crate::error::{Error, Result};
use crate::password::Hasher;
use crate::store::users::{self, NewUser, UserRow};
use crate::tokens::Tokens;

/// A validated account to create (its password's strength not yet judged).
#[derive(Debug)]
pub(crate) struct NewAccount {
    /// Unique case-insensitively.
    pub username: Username,
    /// Unique case-insensitively.
    pub email: Email,
    /// Within the length policy; judged against `inputs` before hashing.
    pub password: NewPassword,
    /// Given name.
    pub first_name: Name,
    /// Family name.
    pub last_name: Name,
    /// The words the password must not be made of: the fields as given.
    pub inputs: Vec<String>,
}

impl NewAccount {
    /// Parses every field, recording each violation into `v`; `None` when any was recorded.
    pub(crate) fn parse(
        username: String,
        email: String,
        password: String,
        first_name: String,
        last_name: String,
        policy: &PasswordConfig,
        v: &mut Violations,
    ) -> Option<Self> {
        // The password is judged later against the other fields as given, valid or not.
        let local = email.split('@').next().unwrap_or_default().to_owned();
        let inputs = vec![
            username.clone(),
            local,
            first_name.clone(),
            last_name.clone(),
        ];
        let username = v.check("username", Username::parse(username));
        let email = v.check("email", Email::parse(email));
        let password = v.check("password", NewPassword::parse(password, policy));
        let first_name = v.check("first_name", Name::parse(first_name));
        let last_name = v.check("last_name", Name::parse(last_name));
        Some(Self {
            username: username?,
            email: email?,
            password: password?,
            first_name: first_name?,
            last_name: last_name?,
            inputs,
        })
    }

    /// The password's strength, judged against the other fields: INVALID_ARGUMENT on
    /// `password` when it is too easy to guess.
    async fn judge(&self, hasher: &Hasher, policy: &PasswordConfig) -> Result<()> {
        hasher
            .judge(
                self.password.secret(),
                self.inputs.clone(),
                policy.min_score,
            )
            .await?
            .map_err(|why| Error::invalid("password", why))
    }
}

/// A registered user and the first pair of its session.
#[derive(Debug)]
pub(crate) struct Registered {
    /// The user with its profile.
    pub user: UserRow,
    /// The first token pair; none while sign-in waits for a verified address
    /// (`STRIDE_REQUIRE_VERIFIED_EMAIL`).
    pub pair: Option<IssuedPair>,
}

/// What registration needs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Registration<'a> {
    /// The auth database.
    pub db: &'a Db,
    /// Judges and hashes the password.
    pub hasher: &'a Hasher,
    /// Mints the first pair.
    pub tokens: &'a Tokens,
    /// "Now".
    pub clock: &'a Clock,
    /// The strength rule of passwords.
    pub passwords: &'a PasswordConfig,
    /// Registrations allowed per client per hour.
    pub ip_limit: u32,
    /// How many clients an account remembers (the registering one is its first).
    pub known_clients: &'a UnknownClientConfig,
    /// How long the verification link of the address works.
    pub account: &'a AccountConfig,
}

impl Registration<'_> {
    /// Registers a USER: account, profile, session, first pair, `REGISTER` event and the
    /// verification message of the address, atomically.
    #[tracing::instrument(skip_all)]
    pub(crate) async fn register(
        &self,
        account: NewAccount,
        device_label: &DeviceLabel,
        client: &Client,
    ) -> Result<Registered> {
        let action = Action {
            name: "register",
            limit: self.ip_limit,
            window: Duration::from_secs(3600),
            event: EventType::RegisterThrottled,
        };
        throttle::attempt(self.db, self.clock, action, client).await?;
        {
            let mut conn = self.db.read().await?;
            refuse_taken(&mut conn, &account).await?;
        }
        account.judge(self.hasher, self.passwords).await?;
        let hash = self.hasher.hash_new(account.password.secret()).await?;
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let user_id = insert_account(&mut tx, &account, Role::User, &hash, now).await?;
        // With sign-in waiting for a verified address, no session is opened here either.
        let pair = match self.account.require_verified_email {
            true => None,
            false => Some(
                issuance::open(
                    &mut tx,
                    self.tokens,
                    &user_id,
                    Role::User.claims(),
                    device_label.as_str(),
                    client,
                    now,
                )
                .await?,
            ),
        };
        unknown_clients::remember(&mut tx, self.known_clients, &user_id, client, now).await?;
        let mut event = SecurityEvent::new(EventType::Register)
            .user(&user_id)
            .by(client);
        if let Some(pair) = &pair {
            event = event.session(&pair.session_id);
        }
        security_events::record(&mut tx, &event, now).await?;
        verification::send(
            &mut tx,
            self.account,
            &user_id,
            account.username.as_str(),
            account.email.as_str(),
            Purpose::Registration,
            client,
            now,
        )
        .await?;
        let user = users::get(&mut tx, &user_id)
            .await?
            .ok_or_else(|| Error::internal("registered user vanished"))?;
        tx.commit().await?;
        Ok(Registered { user, pair })
    }
}

/// ALREADY_EXISTS (`USERNAME_TAKEN`, `EMAIL_TAKEN`) when the account's username or email is
/// taken, case-insensitively.
async fn refuse_taken(conn: &mut AnyConnection, account: &NewAccount) -> Result<()> {
    let (username_taken, email_taken) =
        users::taken(conn, &account.username.key(), &account.email.key()).await?;
    if username_taken {
        return Err(Error::AlreadyExists("USERNAME_TAKEN"));
    }
    if email_taken {
        return Err(Error::AlreadyExists("EMAIL_TAKEN"));
    }
    Ok(())
}

/// Inserts user + profile with `role`. A taken username or email is ALREADY_EXISTS, whether
/// found by the check or raised by the unique index (a concurrent registration).
async fn insert_account(
    conn: &mut AnyConnection,
    account: &NewAccount,
    role: Role,
    password_hash: &str,
    now: Micros,
) -> Result<String> {
    refuse_taken(conn, account).await?;
    let id = crate::new_id();
    let user = NewUser {
        id: &id,
        username: account.username.as_str(),
        email: account.email.as_str(),
        first_name: account.first_name.as_str(),
        last_name: account.last_name.as_str(),
        role: role.as_str(),
        password_hash,
    };
    users::insert(conn, &user, now).await.map_err(map_taken)?;
    let full_name = full_name(account.first_name.as_str(), account.last_name.as_str());
    users::insert_profile(conn, &id, &full_name, now).await?;
    Ok(id)
}

/// A unique violation on the email key is EMAIL_TAKEN, on the username key USERNAME_TAKEN.
pub(crate) fn map_taken(err: sqlx::Error) -> Error {
    if !is_unique_violation(&err) {
        return err.into();
    }
    // PostgreSQL names the constraint (users_email_key_key), SQLite the column
    // (users.email_key); both contain "email_key".
    let text = match &err {
        sqlx::Error::Database(db) => format!("{} {}", db.message(), db.constraint().unwrap_or("")),
        other => other.to_string(),
    };
    if text.contains("email_key") {
        Error::AlreadyExists("EMAIL_TAKEN")
    } else {
        Error::AlreadyExists("USERNAME_TAKEN")
    }
}

/// The display name derived from first and last name.
pub(crate) fn full_name(first: &str, last: &str) -> String {
    format!("{} {}", first.trim(), last.trim())
        .trim()
        .to_owned()
}

/// Creates an ADMIN account directly in the database (for `stride admin create` and the
/// bootstrap admin). Returns the new user id, or ALREADY_EXISTS.
pub(crate) async fn create_admin(
    db: &Db,
    hasher: &Hasher,
    account: NewAccount,
    now: Micros,
    policy: &PasswordConfig,
    detail: &str,
) -> Result<String> {
    account.judge(hasher, policy).await?;
    let hash = hasher.hash(account.password.secret()).await?;
    let mut tx = db.begin().await?;
    let id = insert_account(&mut tx, &account, Role::Admin, &hash, now).await?;
    let event = SecurityEvent::new(EventType::Register)
        .user(&id)
        .detail(detail);
    security_events::record(&mut tx, &event, now).await?;
    tx.commit().await?;
    Ok(id)
}
