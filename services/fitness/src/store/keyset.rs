//! Keyset pages of one user's rows of a table along text key columns: the one mechanism behind
//! the whole-table walks of the export, so each table's store module names only its columns
//! and key.

use std::marker::PhantomData;

use sqlx::AnyConnection;
use sqlx::any::AnyRow;

/// A table walked in pages of one user's rows of type `R`, in the order of `N` text key
/// columns that, with `user_id`, identify a row and lead an index.
#[derive(Debug)]
pub struct Keyset<R, const N: usize> {
    /// The table.
    table: &'static str,
    /// The selected columns, in `R`'s order.
    columns: &'static str,
    /// The key columns, most significant first.
    key: [&'static str; N],
    /// The row type read.
    row: PhantomData<fn() -> R>,
}

impl<R, const N: usize> Keyset<R, N>
where
    R: for<'r> sqlx::FromRow<'r, AnyRow> + Send + Unpin,
{
    /// The walk of `table`'s `columns` (in `R`'s order) along the key columns `key`.
    pub const fn new(table: &'static str, columns: &'static str, key: [&'static str; N]) -> Self {
        Self {
            table,
            columns,
            key,
            row: PhantomData,
        }
    }

    /// One page of the user's rows in key order, at most `limit`, strictly after the key
    /// `after`: one query.
    #[tracing::instrument(level = "debug", skip_all, fields(table = self.table, limit))]
    pub async fn page(
        &self,
        conn: &mut AnyConnection,
        user_id: &str,
        after: Option<[&str; N]>,
        limit: i64,
    ) -> sqlx::Result<Vec<R>> {
        let Self {
            table,
            columns,
            key,
            ..
        } = self;
        let select = format!("SELECT {columns} FROM {table} WHERE user_id = $1");
        let order = format!("ORDER BY {} LIMIT $2", key.join(", "));
        let sql = match after {
            None => format!("{select} {order}"),
            Some(_) => format!("{select} AND {} {order}", after_key(key, 3)),
        };
        let mut query = sqlx::query_as(&sql).bind(user_id).bind(limit);
        for value in after.into_iter().flatten() {
            query = query.bind(value);
        }
        query.fetch_all(conn).await
    }
}

/// A position of two text columns, such as `(workout_id, exercise_id)`, as a key's values.
pub fn pair((first, second): &(String, String)) -> [&str; 2] {
    [first, second]
}

/// The condition "the key columns `key` come strictly after the values bound from `$n` on",
/// one column at a time: `a > $3`, or `(a > $3 OR (a = $3 AND b > $4))`.
fn after_key(key: &[&str], n: usize) -> String {
    match key {
        [] => "FALSE".to_owned(),
        [last] => format!("{last} > ${n}"),
        [first, rest @ ..] => format!(
            "({first} > ${n} OR ({first} = ${n} AND {}))",
            after_key(rest, n + 1)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_compares_column_by_column_from_its_first_bind() {
        assert_eq!(after_key(&["week_start"], 3), "week_start > $3");
        assert_eq!(
            after_key(&["workout_id", "exercise_id"], 3),
            "(workout_id > $3 OR (workout_id = $3 AND exercise_id > $4))"
        );
    }
}
