//! SQL of the auth service: one module per table, each owning its row type, its column list
//! and one function per query. Functions take the connection (usually the transaction of the
//! domain operation that owns it); statements are fixed strings and every value is bound (the
//! idioms are in `shared::sql`).

pub(crate) mod access_tokens;
pub(crate) mod account_tokens;
pub(crate) mod avatars;
pub(crate) mod export;
pub(crate) mod ip_windows;
pub(crate) mod known_clients;
pub(crate) mod login_throttles;
pub(crate) mod mail_outbox;
pub(crate) mod mfa;
pub(crate) mod refresh_tokens;
pub(crate) mod revocation_events;
pub(crate) mod security_events;
pub(crate) mod sessions;
pub(crate) mod signing_keys;
mod token_rows;
pub(crate) mod users;

use shared::db::Migrations;

/// The auth schema, embedded in the binary, one migrator per backend.
pub static MIGRATIONS: Migrations = Migrations {
    sqlite: sqlx::migrate!("../../migrations/auth/sqlite"),
    postgres: sqlx::migrate!("../../migrations/auth/postgres"),
};
