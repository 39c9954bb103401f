//! The exercise catalogue: the built-in entries shipped in the binary and each user's custom
//! entries; how an exercise's catalogue reference and a CSV's exercise name are resolved.
//!
//! Built-in entries are identified by a lowercase slug (`barbell-bench-press`), custom ones by
//! a UUIDv7, so the two never collide. A custom entry's name is unique among its owner's
//! custom entries, compared case-insensitively; it may equal a built-in name.

mod builtin;
mod custom;
mod index;
mod kinds;
mod listing;

use sqlx::AnyConnection;

pub use builtin::BuiltIn;
pub use custom::{NewCustom, create, delete, get};
pub use kinds::{Category, Equipment, Muscle};
pub use listing::{CatalogueQuery, Source, list};

use super::ids::Id;
use super::training::TrackingMode;
use super::values::Name;
use crate::error::{Error, Result};
use crate::store::catalogue::{self as store, CustomRow};

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

/// A catalogue entry as listed and returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// A built-in slug or a custom entry's UUIDv7.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Broad kind.
    pub category: Category,
    /// Muscles mainly trained.
    pub primary: Vec<Muscle>,
    /// Muscles also trained.
    pub secondary: Vec<Muscle>,
    /// What it is done with.
    pub equipment: Equipment,
    /// How its sets are measured.
    pub tracking_mode: TrackingMode,
    /// True for the caller's own entries.
    pub custom: bool,
}

impl From<&BuiltIn> for Entry {
    fn from(b: &BuiltIn) -> Self {
        Self {
            id: b.id.to_owned(),
            name: b.name.to_owned(),
            category: b.category,
            primary: b.primary.to_vec(),
            secondary: b.secondary.to_vec(),
            equipment: b.equipment,
            tracking_mode: b.tracking_mode,
            custom: false,
        }
    }
}

impl TryFrom<CustomRow> for Entry {
    type Error = Error;

    /// INTERNAL for a stored value no enum knows (written by nothing but this module).
    fn try_from(row: CustomRow) -> Result<Self> {
        let corrupt = |what: &str| Error::internal(format!("catalogue entry {}: {what}", row.id));
        let category = Category::from_db_name(&row.category).ok_or_else(|| corrupt("category"))?;
        let equipment =
            Equipment::from_db_name(&row.equipment).ok_or_else(|| corrupt("equipment"))?;
        let tracking_mode =
            TrackingMode::from_db_name(&row.tracking_mode).ok_or_else(|| corrupt("mode"))?;
        let primary =
            kinds::muscles_from_db(&row.primary_muscles).ok_or_else(|| corrupt("muscles"))?;
        let secondary =
            kinds::muscles_from_db(&row.secondary_muscles).ok_or_else(|| corrupt("muscles"))?;
        Ok(Self {
            id: row.id,
            name: row.name,
            category,
            primary,
            secondary,
            equipment,
            tracking_mode,
            custom: true,
        })
    }
}

impl From<&BuiltIn> for Resolved {
    fn from(b: &BuiltIn) -> Self {
        Self {
            id: b.id.to_owned(),
            name: b.name.to_owned(),
            tracking_mode: b.tracking_mode,
        }
    }
}

impl TryFrom<CustomRow> for Resolved {
    type Error = Error;

    fn try_from(row: CustomRow) -> Result<Self> {
        let entry = Entry::try_from(row)?;
        Ok(Self {
            id: entry.id,
            name: entry.name,
            tracking_mode: entry.tracking_mode,
        })
    }
}

/// The built-in entry with slug `id`, or the user's custom entry with id `id`; `None` when
/// neither exists (another user's custom entry included).
#[tracing::instrument(level = "debug", skip_all)]
pub(crate) async fn resolve(
    conn: &mut AnyConnection,
    user_id: &str,
    id: &str,
) -> Result<Option<Resolved>> {
    if let Some(b) = index::by_id(id) {
        return Ok(Some(Resolved::from(b)));
    }
    let Ok(id) = Id::parse(id) else {
        return Ok(None);
    };
    let row = store::get(conn, user_id, id.as_str()).await?;
    row.map(Resolved::try_from).transpose()
}

/// The entry a CSV's exercise name means: the user's custom entry of that name (compared
/// case-insensitively), else the built-in entry of that name or of one of its known aliases
/// (case-insensitive, ignoring punctuation and spacing); `None` when nothing matches.
#[tracing::instrument(level = "debug", skip_all)]
pub(crate) async fn match_name(
    conn: &mut AnyConnection,
    user_id: &str,
    name: &str,
) -> Result<Option<Resolved>> {
    if let Some(row) = store::by_name_key(conn, user_id, &index::sort_key(name)).await? {
        return Resolved::try_from(row).map(Some);
    }
    Ok(index::by_name(name).map(Resolved::from))
}

/// Creates a custom entry named `name` for an imported exercise the catalogue lacks: category
/// cardio for distance tracking, else strength; equipment other; primary muscle the full body.
/// When the user already has a custom entry of that name (case-insensitively), returns it
/// instead. Runs inside the caller's transaction, the user already locked. A name that is not
/// 1–255 characters is INVALID_ARGUMENT on `name`.
#[tracing::instrument(level = "debug", skip_all)]
pub(crate) async fn create_imported(
    conn: &mut AnyConnection,
    user_id: &str,
    name: &str,
    tracking_mode: TrackingMode,
    now: i64,
) -> Result<Resolved> {
    let name_key = index::sort_key(name);
    if let Some(row) = store::by_name_key(conn, user_id, &name_key).await? {
        return Resolved::try_from(row);
    }
    let name = Name::parse(name).map_err(|description| Error::invalid("name", description))?;
    let category = match tracking_mode {
        TrackingMode::DistanceDuration => Category::Cardio,
        _ => Category::Strength,
    };
    let row = CustomRow {
        id: Id::generate().into_string(),
        name: name.into_string(),
        name_key,
        category: category.db_name().to_owned(),
        primary_muscles: Muscle::FullBody.db_name().to_owned(),
        secondary_muscles: String::new(),
        equipment: Equipment::Other.db_name().to_owned(),
        tracking_mode: tracking_mode.db_name().to_owned(),
        created_at: now,
    };
    store::insert(conn, user_id, &row).await?;
    Resolved::try_from(row)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::deletion::tests::Scratch;

    #[tokio::test]
    async fn references_and_imported_names_resolve_to_the_users_own_entries_first() {
        let scratch = Scratch::new().await;
        let mut conn = scratch.db.begin().await.unwrap();
        let bench = resolve(&mut conn, "ada", "barbell-bench-press")
            .await
            .unwrap();
        assert_eq!(
            bench.map(|r| r.name),
            Some("Barbell Bench Press".to_owned())
        );
        assert_eq!(
            resolve(&mut conn, "ada", "no-such-slug").await.unwrap(),
            None
        );

        // Strong's and Hevy's names find built-in entries whatever their spelling.
        let pull_up = match_name(&mut conn, "ada", "Pull Up")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (pull_up.id.as_str(), pull_up.tracking_mode),
            ("pull-up", TrackingMode::Bodyweight)
        );
        let squat = match_name(&mut conn, "ada", "squat (BARBELL)")
            .await
            .unwrap();
        assert_eq!(squat.map(|r| r.id), Some("barbell-back-squat".to_owned()));
        assert_eq!(
            match_name(&mut conn, "ada", "Moon Walk").await.unwrap(),
            None
        );

        // An imported name becomes one custom entry, found again by name and by id.
        let run = TrackingMode::DistanceDuration;
        let moon = create_imported(&mut conn, "ada", "Moon Walk", run, 1)
            .await
            .unwrap();
        assert!(Id::parse(&moon.id).is_ok());
        assert_eq!((moon.name.as_str(), moon.tracking_mode), ("Moon Walk", run));
        let again = create_imported(&mut conn, "ada", "MOON WALK", TrackingMode::Duration, 2);
        assert_eq!(again.await.unwrap(), moon);
        assert_eq!(
            match_name(&mut conn, "ada", "moon walk")
                .await
                .unwrap()
                .as_ref(),
            Some(&moon)
        );
        assert_eq!(
            resolve(&mut conn, "ada", &moon.id).await.unwrap().as_ref(),
            Some(&moon)
        );
        let row = store::get(&mut conn, "ada", &moon.id)
            .await
            .unwrap()
            .unwrap();
        let entry = Entry::try_from(row).unwrap();
        assert_eq!(
            (entry.category, entry.equipment),
            (Category::Cardio, Equipment::Other)
        );
        assert_eq!(entry.primary, [Muscle::FullBody]);
        let lift = create_imported(&mut conn, "ada", "Odd Lift", TrackingMode::WeightReps, 3);
        let lift = lift.await.unwrap();
        let row = store::get(&mut conn, "ada", &lift.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(Entry::try_from(row).unwrap().category, Category::Strength);

        // A custom entry named like a built-in one wins for its owner only.
        let own = create_imported(&mut conn, "ada", "Running", run, 4)
            .await
            .unwrap();
        assert_ne!(own.id, "running");
        assert_eq!(
            match_name(&mut conn, "ada", "running")
                .await
                .unwrap()
                .as_ref(),
            Some(&own)
        );
        let bobs = match_name(&mut conn, "bob", "Running").await.unwrap();
        assert_eq!(bobs.map(|r| r.id), Some("running".to_owned()));
        assert_eq!(resolve(&mut conn, "bob", &moon.id).await.unwrap(), None);
        assert_eq!(
            match_name(&mut conn, "bob", "Moon Walk").await.unwrap(),
            None
        );

        let long = "x".repeat(256);
        assert!(
            create_imported(&mut conn, "ada", &long, run, 5)
                .await
                .is_err()
        );
    }
}
