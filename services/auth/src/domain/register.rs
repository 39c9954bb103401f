//! Registration: a user, its profile, a first session and token pair, and a `REGISTER` event,
//! in one transaction. Also the account creation behind `stride admin create` and the
//! bootstrap admin.

use shared::db::is_unique_violation;
use shared::error::Violations;
use sqlx::AnyConnection;
use zeroize::Zeroizing;

use crate::app::AppState;
use crate::config::PasswordConfig;
use crate::domain::sessions::{self, IssuedPair};
use crate::domain::{Client, Role, validate};
use crate::error::{Error, Result};
use crate::events::{self, EventType, SecurityEvent};
use crate::store::users::{self, NewUser, UserRow};

/// A validated account to create.
#[derive(Debug)]
pub struct NewAccount {
    /// Username as given (unique case-insensitively).
    pub username: String,
    /// Email as given (unique case-insensitively).
    pub email: String,
    /// The password; zeroed on drop, never logged.
    pub password: Zeroizing<String>,
    /// Given name.
    pub first_name: String,
    /// Family name.
    pub last_name: String,
}

impl NewAccount {
    /// Checks every field, reporting all violations at once.
    pub fn parse(
        username: String,
        email: String,
        password: Zeroizing<String>,
        first_name: String,
        last_name: String,
        policy: &PasswordConfig,
    ) -> Result<Self, Violations> {
        let mut v = Violations::new();
        v.check("username", validate::username(&username));
        v.check("email", validate::email(&email));
        let local = email.split('@').next().unwrap_or_default();
        v.check(
            "password",
            validate::password(
                &password,
                policy,
                &[&username, local, &first_name, &last_name],
            ),
        );
        v.check(
            "first_name",
            validate::text(&first_name, validate::MAX_NAME_CHARS),
        );
        v.check(
            "last_name",
            validate::text(&last_name, validate::MAX_NAME_CHARS),
        );
        v.into_result()?;
        Ok(Self {
            username,
            email,
            password,
            first_name,
            last_name,
        })
    }
}

/// Checks a device label (optional, at most 100 characters).
pub fn device_label(raw: &str, v: &mut Violations) {
    v.check(
        "device_label",
        validate::text(raw, validate::MAX_DEVICE_LABEL_CHARS),
    );
}

/// A registered user and the first pair of its session.
#[derive(Debug)]
pub struct Registered {
    /// The user with its profile.
    pub user: UserRow,
    /// The first token pair.
    pub pair: IssuedPair,
}

/// Registers a USER: account, profile, session, first pair and `REGISTER` event, atomically.
#[tracing::instrument(skip_all)]
pub async fn register(
    state: &AppState,
    account: NewAccount,
    device_label: &str,
    client: &Client,
) -> Result<Registered> {
    let hash = state.hasher.hash(account.password.clone()).await?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let user_id = insert_account(&mut tx, &account, Role::User, &hash, now).await?;
    let pair = sessions::open(
        &mut tx,
        &state.tokens,
        &user_id,
        Role::User.claims(),
        device_label,
        client,
        now,
    )
    .await?;
    events::record(
        &mut tx,
        &SecurityEvent {
            user_id: Some(user_id.clone()),
            session_id: Some(pair.session_id.clone()),
            ip: client.ip.clone(),
            user_agent: client.user_agent.clone(),
            ..SecurityEvent::new(EventType::Register)
        },
        now,
    )
    .await?;
    let user = users::get(&mut tx, &user_id)
        .await?
        .ok_or_else(|| Error::internal("registered user vanished"))?;
    tx.commit().await?;
    Ok(Registered { user, pair })
}

/// Inserts user + profile with `role`. A taken username or email is ALREADY_EXISTS, whether
/// found by the pre-check or raised by the unique index (a concurrent registration).
pub async fn insert_account(
    conn: &mut AnyConnection,
    account: &NewAccount,
    role: Role,
    password_hash: &str,
    now: shared::time::Micros,
) -> Result<String> {
    let (username_taken, email_taken) = users::taken(
        conn,
        &account.username.to_lowercase(),
        &account.email.to_lowercase(),
    )
    .await?;
    if username_taken {
        return Err(Error::AlreadyExists("USERNAME_TAKEN"));
    }
    if email_taken {
        return Err(Error::AlreadyExists("EMAIL_TAKEN"));
    }
    let id = crate::new_id();
    let inserted = users::insert(
        conn,
        &NewUser {
            id: &id,
            username: &account.username,
            email: &account.email,
            first_name: &account.first_name,
            last_name: &account.last_name,
            role: role.as_str(),
            password_hash,
        },
        now,
    )
    .await;
    if let Err(err) = inserted {
        return Err(map_taken(err));
    }
    let full_name = full_name(&account.first_name, &account.last_name);
    users::insert_profile(conn, &id, &full_name, now).await?;
    Ok(id)
}

/// A unique violation on the email key is EMAIL_TAKEN, on the username key USERNAME_TAKEN.
pub fn map_taken(err: sqlx::Error) -> Error {
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
pub fn full_name(first: &str, last: &str) -> String {
    format!("{} {}", first.trim(), last.trim())
        .trim()
        .to_owned()
}

/// Creates an ADMIN account directly in the database (for `stride admin create` and the
/// bootstrap admin). Returns the new user id, or ALREADY_EXISTS.
pub async fn create_admin(
    db: &shared::db::Db,
    hasher: &crate::password::Hasher,
    account: NewAccount,
    now: shared::time::Micros,
    detail: &str,
) -> Result<String> {
    let hash = hasher.hash(account.password.clone()).await?;
    let mut tx = db.begin().await?;
    let id = insert_account(&mut tx, &account, Role::Admin, &hash, now).await?;
    events::record(
        &mut tx,
        &SecurityEvent {
            user_id: Some(id.clone()),
            detail: detail.to_owned(),
            ..SecurityEvent::new(EventType::Register)
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}
