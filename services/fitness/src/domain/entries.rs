//! Entries and sets: replacing a workout's entries with their sets in one transaction, with
//! every derived value (the workout's sums, the user's totals, weekly summaries, personal
//! records) changed in the same transaction, and reading them back.

use sqlx::AnyConnection;

use super::training::NewEntry;
use crate::error::{Error, Result};

/// Replaces the entries of the user's workout `workout_id` with `entries`, inside the
/// caller's transaction (begun, with the user locked through `deletion::lock_user`):
/// exercises no longer listed are unlinked, new ones linked, every set rewritten, and every
/// derived value kept equal to the rows. Each exercise must be one of the user's; each set
/// is checked against its exercise's tracking mode.
pub(crate) async fn replace_in(
    conn: &mut AnyConnection,
    user_id: &str,
    workout_id: &str,
    entries: Vec<NewEntry>,
    now: i64,
) -> Result<()> {
    let _ = (conn, user_id, workout_id, entries, now);
    Err(Error::internal("entries::replace_in is not built yet"))
}
