//! SQL of the fitness service: portable queries over sqlx's `Any` driver, one function per
//! query, every one scoped by the caller's user id.

use shared::db::Migrations;

/// The fitness schema, embedded in the binary, one migrator per backend.
pub static MIGRATIONS: Migrations = Migrations {
    sqlite: sqlx::migrate!("../../migrations/fitness/sqlite"),
    postgres: sqlx::migrate!("../../migrations/fitness/postgres"),
};
