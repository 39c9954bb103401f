//! `weekly_summaries`: one row per user and ISO week with at least one workout.

use sqlx::AnyConnection;

use crate::domain::training::Sums;

/// Adds `sums` to the user's week starting `week_start` (a Monday, YYYY-MM-DD), creating the
/// row if needed and deleting it when its week no longer has a workout.
pub async fn add(
    conn: &mut AnyConnection,
    user_id: &str,
    week_start: &str,
    sums: &Sums,
) -> sqlx::Result<()> {
    // Placeholder until weekly summaries are built: changes nothing.
    let _ = (conn, user_id, week_start, sums);
    Ok(())
}
