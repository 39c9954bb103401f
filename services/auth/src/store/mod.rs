//! SQL of the auth service: portable queries over sqlx's `Any` driver, one function per query,
//! taking the connection (usually a transaction) from the domain operation that owns it.

use shared::db::Migrations;

/// The auth schema, embedded in the binary, one migrator per backend.
pub static MIGRATIONS: Migrations = Migrations {
    sqlite: sqlx::migrate!("../../migrations/auth/sqlite"),
    postgres: sqlx::migrate!("../../migrations/auth/postgres"),
};
