//! The catalogue's RPC operations on single entries: reading any entry, creating and deleting
//! the caller's custom ones. Writes lock the user first, like every write of a user, so a
//! deleted account cannot get rows back.

use shared::db::{Db, is_unique_violation};
use shared::time::now_micros;

use super::index::{self, sort_key};
use super::kinds::muscles_to_db;
use super::{Category, Entry, Equipment, Muscle};
use crate::domain::deletion;
use crate::domain::ids::{Id, UserId};
use crate::domain::training::TrackingMode;
use crate::domain::values::Name;
use crate::error::{Error, Result};
use crate::store::catalogue::{self as store, CustomRow};

/// What a missing entry, or another user's, is.
const NOT_FOUND: Error = Error::NotFound("catalogue entry");
/// The caller already has a custom entry of this name.
const NAME_TAKEN: Error = Error::AlreadyExists("CATALOGUE_NAME_TAKEN");
/// An exercise of the caller still references the entry.
const IN_USE: Error = Error::FailedPrecondition("CATALOGUE_ENTRY_IN_USE");

/// A validated custom entry to create.
#[derive(Debug, Clone)]
pub struct NewCustom {
    /// 1–255 characters.
    pub name: Name,
    /// Broad kind.
    pub category: Category,
    /// What it is done with.
    pub equipment: Equipment,
    /// How its sets are measured.
    pub tracking_mode: TrackingMode,
    /// 1–5 distinct muscles.
    pub primary: Vec<Muscle>,
    /// 0–10 distinct muscles, none of them primary.
    pub secondary: Vec<Muscle>,
}

/// A built-in entry, or one of the user's custom entries; NOT_FOUND otherwise.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn get(db: &Db, user_id: &UserId, id: &str) -> Result<Entry> {
    if let Some(b) = index::by_id(id) {
        return Ok(Entry::from(b));
    }
    let id = Id::parse(id).map_err(|_| NOT_FOUND)?;
    let mut conn = db.read().await?;
    let row = store::get(&mut conn, user_id, id.as_str()).await?;
    Entry::try_from(row.ok_or(NOT_FOUND)?)
}

/// Creates a custom entry of the user; ALREADY_EXISTS when one of the user's custom entries
/// has the same name, compared case-insensitively.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create(db: &Db, user_id: &UserId, new: NewCustom) -> Result<Entry> {
    let now = now_micros();
    let name = new.name.into_string();
    let row = CustomRow {
        id: Id::generate().into_string(),
        name_key: sort_key(&name),
        name,
        category: new.category.db_name().to_owned(),
        primary_muscles: muscles_to_db(&new.primary),
        secondary_muscles: muscles_to_db(&new.secondary),
        equipment: new.equipment.db_name().to_owned(),
        tracking_mode: new.tracking_mode.db_name().to_owned(),
        created_at: now,
    };
    let mut tx = db.begin().await?;
    deletion::lock_user(&mut tx, user_id, now).await?;
    if store::by_name_key(&mut tx, user_id, &row.name_key)
        .await?
        .is_some()
    {
        return Err(NAME_TAKEN);
    }
    // The user is locked, so the check above holds; the unique index stays the last word.
    store::insert(&mut tx, user_id, &row).await.map_err(|e| {
        if is_unique_violation(&e) {
            NAME_TAKEN
        } else {
            e.into()
        }
    })?;
    tx.commit().await?;
    Entry::try_from(row)
}

/// Deletes one of the user's custom entries: PERMISSION_DENIED for a built-in entry,
/// FAILED_PRECONDITION while one of the user's exercises references it, NOT_FOUND when it is
/// not the user's.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn delete(db: &Db, user_id: &UserId, id: &str) -> Result<()> {
    if index::by_id(id).is_some() {
        return Err(Error::PermissionDenied);
    }
    let id = Id::parse(id).map_err(|_| NOT_FOUND)?;
    let now = now_micros();
    let mut tx = db.begin().await?;
    deletion::lock_user(&mut tx, user_id, now).await?;
    if store::get(&mut tx, user_id, id.as_str()).await?.is_none() {
        return Err(NOT_FOUND);
    }
    // Exercises reference entries under the user's lock too, so none can appear before commit.
    if store::in_use(&mut tx, user_id, id.as_str()).await? {
        return Err(IN_USE);
    }
    store::delete(&mut tx, user_id, id.as_str()).await?;
    tx.commit().await?;
    Ok(())
}
