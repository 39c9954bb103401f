//! SQL of the fitness service: portable queries over sqlx's `Any` driver, one function per
//! query, every one scoped by the caller's user id. Transactions are begun by the domain and
//! passed down as `&mut AnyConnection`.
//!
//! Statements follow the house idioms of `shared::sql`: fixed text with bound values, lists
//! of ids as numbered placeholders, optional filters as `($n IS NULL OR …)`, and keyset
//! listings as one fixed statement per order for the first page and one for the next.

pub(crate) mod catalogue;
pub(crate) mod deleted_users;
pub(crate) mod exercises;
pub(crate) mod history;
pub(crate) mod keyset;
pub(crate) mod links;
pub(crate) mod records;
pub(crate) mod request_ids;
pub(crate) mod sets;
pub(crate) mod stats;
pub(crate) mod weekly;
pub(crate) mod workouts;

use shared::db::Migrations;

/// The fitness schema, embedded in the binary, one migrator per backend.
pub static MIGRATIONS: Migrations = Migrations {
    sqlite: sqlx::migrate!("../../migrations/fitness/sqlite"),
    postgres: sqlx::migrate!("../../migrations/fitness/postgres"),
};
