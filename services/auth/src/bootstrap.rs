//! The first admin: `STRIDE_BOOTSTRAP_ADMIN_*` applied at start (idempotent: nothing happens
//! when the username or email already exists), and the library function behind
//! `stride admin create`.

use shared::db::Db;
use shared::error::Violations;

use crate::app::AppState;
use crate::config::Config;
use crate::domain::Role;
use crate::domain::register::{self, NewAccount};
use crate::domain::security_events::{EventType, SecurityEvent};
use crate::error::{Error, Result};
use crate::password::Hasher;
use crate::store::users::lockout;

/// Creates the configured bootstrap admin unless its username or email is already taken.
pub(crate) async fn ensure_admin(state: &AppState) -> Result<()> {
    let Some(admin) = &state.config.bootstrap_admin else {
        return Ok(());
    };
    let account = admin_account(
        &admin.username,
        &admin.email,
        admin.password.expose(),
        &state.config.password,
    )?;
    match register::create_admin(
        &state.db,
        &state.hasher,
        account,
        state.clock.now(),
        &state.config.password,
        "bootstrap admin from STRIDE_BOOTSTRAP_ADMIN_*",
    )
    .await
    {
        Ok(id) => {
            tracing::info!(user_id = %id, username = %admin.username, "created the bootstrap admin");
            Ok(())
        }
        Err(Error::AlreadyExists(_)) => already_an_admin(state, admin).await,
        Err(err) => Err(err),
    }
}

/// The bootstrap admin's username or email is taken: fine when it names an admin (a restart),
/// refused loudly when it names anyone else, who would otherwise silently hold the name the
/// operator believes is the admin's.
async fn already_an_admin(state: &AppState, admin: &crate::config::BootstrapAdmin) -> Result<()> {
    let mut conn = state.db.read().await?;
    for (var, key) in [
        (
            "STRIDE_BOOTSTRAP_ADMIN_USERNAME",
            admin.username.to_lowercase(),
        ),
        ("STRIDE_BOOTSTRAP_ADMIN_EMAIL", admin.email.to_lowercase()),
    ] {
        if let Some(holder) = lockout::credentials_by_login(&mut conn, &key).await?
            && Role::stored(&holder.role)? != Role::Admin
        {
            return Err(Error::internal(format!(
                "{var} names an existing account that is not an admin; \
                 choose another or promote that account"
            )));
        }
    }
    Ok(())
}

/// Creates an admin account directly in the database of `config` (migrating it first), as
/// `stride admin create` does. Returns the new user id; a weak password or a taken
/// username/email is an error naming the problem.
pub async fn create_admin(
    config: &Config,
    username: &str,
    email: &str,
    password: &str,
) -> Result<String> {
    let db = open(config).await?;
    let account = admin_account(username, email, password, &config.password)?;
    let hasher = Hasher::new(&config.password).await?;
    let result = register::create_admin(
        &db,
        &hasher,
        account,
        config.clock.now(),
        &config.password,
        "admin created with stride admin create",
    )
    .await;
    db.close().await;
    result
}

/// Rotates the signing key directly in the database of `config`, as `stride keys rotate`
/// does. Running servers pick the new key up within [`crate::keys::RELOAD_INTERVAL`].
pub async fn rotate_keys(config: &Config) -> Result<String> {
    let db = open(config).await?;
    let result = crate::keys::rotate(
        &db,
        config.master_key.as_ref(),
        &config.clock,
        &config.tokens,
        &SecurityEvent::new(EventType::SigningKeyRotated).detail("with stride keys rotate"),
    )
    .await;
    db.close().await;
    result
}

/// An admin account (no names) parsed from configuration or the command line.
fn admin_account(
    username: &str,
    email: &str,
    password: &str,
    policy: &crate::config::PasswordConfig,
) -> Result<NewAccount> {
    let mut v = Violations::new();
    let account = NewAccount::parse(
        username.to_owned(),
        email.to_owned(),
        password.to_owned(),
        String::new(),
        String::new(),
        policy,
        &mut v,
    );
    account.ok_or(Error::InvalidArgument(v))
}

async fn open(config: &Config) -> Result<Db> {
    let db = Db::connect(&config.database_url, &shared::db::PoolConfig::default()).await?;
    db.migrate(&crate::store::MIGRATIONS)
        .await
        .map_err(Error::internal)?;
    Ok(db)
}
