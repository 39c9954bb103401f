//! SQL of the fitness service: portable queries over sqlx's `Any` driver, one function per
//! query, every one scoped by the caller's user id. Transactions are begun by the domain and
//! passed down as `&mut AnyConnection`.
//!
//! Lists of ids (`IN ($2, $3, …)`) are built from a placeholder count chosen by the code; the
//! ids themselves are always bound, never spliced into SQL.

pub mod exercises;
pub mod links;
pub mod request_ids;
pub mod stats;
pub mod workouts;

use shared::db::Migrations;

/// The fitness schema, embedded in the binary, one migrator per backend.
pub static MIGRATIONS: Migrations = Migrations {
    sqlite: sqlx::migrate!("../../migrations/fitness/sqlite"),
    postgres: sqlx::migrate!("../../migrations/fitness/postgres"),
};

/// `$first, $first+1, …` for `count` bound values, e.g. `"$2, $3, $4"`.
pub(crate) fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A `LIKE` pattern matching `needle` anywhere, with `%`, `_` and `\` escaped (queries say
/// `ESCAPE '\'`). Compared with `lower(..)` on both sides for case-insensitivity.
pub(crate) fn contains_pattern(needle: &str) -> String {
    let mut pattern = String::with_capacity(needle.len() + 2);
    pattern.push('%');
    for c in needle.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_number_from_the_first() {
        assert_eq!(placeholders(2, 3), "$2, $3, $4");
        assert_eq!(placeholders(1, 1), "$1");
    }

    #[test]
    fn like_wildcards_in_the_needle_are_escaped() {
        assert_eq!(contains_pattern("50%_a\\b"), "%50\\%\\_a\\\\b%");
    }
}
