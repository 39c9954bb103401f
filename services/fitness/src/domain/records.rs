//! Personal records: the best set of each exercise by each measure, recomputed from that
//! exercise's sets alone (never the whole history) in the transaction of every write that
//! changes them; and their listing.

use sqlx::AnyConnection;

use crate::error::Result;

/// Recomputes every record of each of `exercise_ids` (the user's) from their current sets,
/// inside the caller's transaction: O(sets of those exercises).
pub(crate) async fn recompute(
    conn: &mut AnyConnection,
    user_id: &str,
    exercise_ids: &[String],
    now: i64,
) -> Result<()> {
    // Placeholder until records are built: changes nothing.
    let _ = (conn, user_id, exercise_ids, now);
    Ok(())
}
