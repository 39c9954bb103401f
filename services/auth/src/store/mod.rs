//! SQL of the auth service: portable queries over sqlx's `Any` driver, one function per query,
//! taking the connection (usually a transaction) from the domain operation that owns it.

pub mod avatars;
pub mod events;
pub mod feed;
pub mod keys;
pub mod lifecycle;
pub mod login_attempts;
pub mod revocation;
pub mod sessions;
pub mod users;

use shared::db::Migrations;

/// The auth schema, embedded in the binary, one migrator per backend.
pub static MIGRATIONS: Migrations = Migrations {
    sqlite: sqlx::migrate!("../../migrations/auth/sqlite"),
    postgres: sqlx::migrate!("../../migrations/auth/postgres"),
};

/// Escapes `%`, `_` and `\` so user text matches literally inside `LIKE … ESCAPE '\'`, and
/// wraps it for a substring match.
pub fn like_pattern(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}
