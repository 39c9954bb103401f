//! Small pieces of portable SQL both services build queries from.
//!
//! The house idioms (see `docs/ARCHITECTURE.md`, "Storage"):
//! - **No SQL from user text.** Statements are fixed strings; values are always bound.
//! - **Optional filters** are written once, as `($n IS NULL OR column = $n)`, and bound as
//!   `Option<_>`: one statement serves every combination of filters.
//! - **Keyset positions** are `(sort key, id)` of the last row served. A listing has two fixed
//!   statements, first page and "after", chosen by `match after`, so each keeps an index plan
//!   that stops at the limit.
//! - **Lists of ids** (`IN (…)`) get one numbered placeholder per id from [`placeholders`].
//! - **Substring search** binds [`contains_pattern`] with `LIKE … ESCAPE '\'`.

/// `$first, $first+1, …` for `count` bound values, e.g. `"$2, $3, $4"`.
pub fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Runs `select_in`, a fixed statement selecting one text column and ending in `IN`, over
/// `ids` (each bound to its own placeholder); no ids, no query.
pub async fn select_ids_in(
    conn: &mut sqlx::AnyConnection,
    select_in: &'static str,
    ids: &[String],
) -> sqlx::Result<Vec<String>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!("{select_in} ({})", placeholders(1, ids.len()));
    let mut query = sqlx::query_scalar(&sql);
    for id in ids {
        query = query.bind(id);
    }
    query.fetch_all(conn).await
}

/// A `LIKE` pattern matching `needle` anywhere, with `%`, `_` and `\` escaped so user text
/// matches literally (queries say `ESCAPE '\'`). Compare with `lower(..)` on both sides for a
/// case-insensitive match.
pub fn contains_pattern(needle: &str) -> String {
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
        assert_eq!(placeholders(1, 0), "");
    }

    #[test]
    fn like_wildcards_in_the_needle_are_escaped() {
        assert_eq!(contains_pattern("50%_a\\b"), "%50\\%\\_a\\\\b%");
    }
}
