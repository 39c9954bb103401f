//! The exercise catalogue: the built-in entries shipped in the binary and each user's custom
//! entries; how an exercise's catalogue reference and a CSV's exercise name are resolved.

use sqlx::AnyConnection;

use super::training::TrackingMode;
use crate::error::{Error, Result};

/// A catalogue entry as an exercise references it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// A built-in slug or a custom entry's UUIDv7.
    pub id: String,
    /// Its name.
    pub name: String,
    /// How its sets are measured.
    pub tracking_mode: TrackingMode,
}

/// The built-in entry with slug `id`, or the user's custom entry with id `id`; `None` when
/// neither exists.
pub(crate) async fn resolve(
    conn: &mut AnyConnection,
    user_id: &str,
    id: &str,
) -> Result<Option<Resolved>> {
    let _ = (conn, user_id, id);
    Err(Error::internal("catalogue::resolve is not built yet"))
}

/// The entry a CSV's exercise name means: the user's custom entry of that name, else the
/// built-in entry of that name or of one of its known aliases (case-insensitive, ignoring
/// punctuation and spacing); `None` when nothing matches.
pub(crate) async fn match_name(
    conn: &mut AnyConnection,
    user_id: &str,
    name: &str,
) -> Result<Option<Resolved>> {
    let _ = (conn, user_id, name);
    Err(Error::internal("catalogue::match_name is not built yet"))
}

/// Creates a custom entry named `name` for an imported exercise the catalogue lacks: its
/// category and equipment follow from `tracking_mode` (other/full body when unknown).
pub(crate) async fn create_imported(
    conn: &mut AnyConnection,
    user_id: &str,
    name: &str,
    tracking_mode: TrackingMode,
    now: i64,
) -> Result<Resolved> {
    let _ = (conn, user_id, name, tracking_mode, now);
    Err(Error::internal(
        "catalogue::create_imported is not built yet",
    ))
}
