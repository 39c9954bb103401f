//! `CatalogueService` requests parsed into the domain's inputs, every violation collected
//! into one `BadRequest`; and the catalogue's enums to and from the wire.
//!
//! Each stored name is its proto enum value's name without the enum's prefix
//! (`MUSCLE_GROUP_UPPER_BACK` is stored `UPPER_BACK`), which is how values cross the edge.

use std::collections::HashSet;

use shared::error::Violations;
use shared::paging::PageRequest;
use shared::pb::fitness::v1 as pb;

use crate::domain::catalogue::{CatalogueQuery, Category, Equipment, Muscle, NewCustom, Source};
use crate::domain::values::{Name, Search};
use crate::error::{Error, Result};
use crate::rpc::parsed;
use crate::rpc::workout::entries::mode_from_pb;

/// Most primary muscles of an entry.
const MAX_PRIMARY: usize = 5;
/// Most secondary muscles of an entry.
const MAX_SECONDARY: usize = 10;

/// What an enum number outside the proto's values is.
const UNKNOWN: &str = "not a known value";

/// The value named `prefix` + stored name, as a proto enum number (0 if none, never reached:
/// the tests check every value has one).
fn wire<E: Into<i32>>(from_str_name: fn(&str) -> Option<E>, prefix: &str, name: &str) -> i32 {
    from_str_name(&format!("{prefix}{name}")).map_or(0, Into::into)
}

/// A proto enum's name without `prefix`; `Err` for a number the proto does not define.
fn stored_name<E: TryFrom<i32>>(
    raw: i32,
    as_str_name: fn(&E) -> &'static str,
    prefix: &str,
) -> Result<&'static str, String> {
    let value = E::try_from(raw).map_err(|_| UNKNOWN.to_owned())?;
    let name = as_str_name(&value);
    Ok(name.strip_prefix(prefix).unwrap_or(name))
}

/// A category on the wire.
pub(crate) fn category_to_pb(c: Category) -> i32 {
    wire(
        pb::ExerciseCategory::from_str_name,
        "EXERCISE_CATEGORY_",
        c.db_name(),
    )
}

/// A muscle on the wire.
pub(crate) fn muscle_to_pb(m: Muscle) -> i32 {
    wire(pb::MuscleGroup::from_str_name, "MUSCLE_GROUP_", m.db_name())
}

/// Equipment on the wire.
pub(crate) fn equipment_to_pb(e: Equipment) -> i32 {
    wire(pb::Equipment::from_str_name, "EQUIPMENT_", e.db_name())
}

/// A category from the wire; `None` for unspecified.
pub(crate) fn category(raw: i32) -> Result<Option<Category>, String> {
    let name = stored_name(raw, pb::ExerciseCategory::as_str_name, "EXERCISE_CATEGORY_")?;
    Ok(Category::from_db_name(name))
}

/// A muscle from the wire; `None` for unspecified.
pub(crate) fn muscle(raw: i32) -> Result<Option<Muscle>, String> {
    let name = stored_name(raw, pb::MuscleGroup::as_str_name, "MUSCLE_GROUP_")?;
    Ok(Muscle::from_db_name(name))
}

/// Equipment from the wire; `None` for unspecified.
pub(crate) fn equipment(raw: i32) -> Result<Option<Equipment>, String> {
    let name = stored_name(raw, pb::Equipment::as_str_name, "EQUIPMENT_")?;
    Ok(Equipment::from_db_name(name))
}

/// A required enum field: unspecified is a violation too.
fn required<T>(path: &str, parsed: Result<Option<T>, String>, v: &mut Violations) -> Option<T> {
    match parsed {
        Ok(Some(value)) => Some(value),
        Ok(None) => {
            v.add(path, "required");
            None
        }
        Err(description) => {
            v.add(path, description);
            None
        }
    }
}

/// Distinct muscles at `path`, `min` to `max` of them, none of them in `exclude` (with
/// `exclude_why` saying why not). Items are checked only when the count is in bounds, so an
/// oversized list costs one violation.
fn muscles(
    raw: &[i32],
    path: &str,
    (min, max): (usize, usize),
    exclude: &[Muscle],
    v: &mut Violations,
) -> Vec<Muscle> {
    if !(min..=max).contains(&raw.len()) {
        v.add(path, format!("between {min} and {max} muscles"));
        return Vec::new();
    }
    let mut seen = HashSet::new();
    let mut list = Vec::with_capacity(raw.len());
    for (i, &m) in raw.iter().enumerate() {
        let at = format!("{path}[{i}]");
        let Some(m) = required(&at, muscle(m), v) else {
            continue;
        };
        if !seen.insert(m) {
            v.add(at, "duplicate muscle");
        } else if exclude.contains(&m) {
            v.add(at, "already a primary muscle");
        } else {
            list.push(m);
        }
    }
    list
}

impl TryFrom<pb::CreateCatalogueEntryRequest> for NewCustom {
    type Error = Error;

    fn try_from(request: pb::CreateCatalogueEntryRequest) -> Result<Self> {
        let Some(e) = request.entry else {
            return Err(Error::invalid("entry", "required"));
        };
        let mut v = Violations::new();
        let name = v.check("entry.name", Name::parse(&e.name));
        let category = required("entry.category", category(e.category), &mut v);
        let equipment = required("entry.equipment", equipment(e.equipment), &mut v);
        let tracking_mode = required("entry.tracking_mode", mode_from_pb(e.tracking_mode), &mut v);
        let path = "entry.primary_muscles";
        let primary = muscles(&e.primary_muscles, path, (1, MAX_PRIMARY), &[], &mut v);
        let path = "entry.secondary_muscles";
        let secondary = muscles(
            &e.secondary_muscles,
            path,
            (0, MAX_SECONDARY),
            &primary,
            &mut v,
        );
        let new = match (name, category, equipment, tracking_mode) {
            (Some(name), Some(category), Some(equipment), Some(tracking_mode)) => Some(Self {
                name,
                category,
                equipment,
                tracking_mode,
                primary,
                secondary,
            }),
            _ => None,
        };
        parsed(v, new)
    }
}

impl TryFrom<pb::ListCatalogueRequest> for CatalogueQuery {
    type Error = Error;

    fn try_from(request: pb::ListCatalogueRequest) -> Result<Self> {
        let mut v = Violations::new();
        let muscle = v.check("muscle", muscle(request.muscle)).flatten();
        let equipment = v.check("equipment", equipment(request.equipment)).flatten();
        let category = v.check("category", category(request.category)).flatten();
        let name_contains = v
            .check("name_contains", Search::parse(&request.name_contains))
            .flatten();
        let source = match pb::CatalogueSource::try_from(request.source) {
            Ok(pb::CatalogueSource::Unspecified) => Some(Source::All),
            Ok(pb::CatalogueSource::BuiltIn) => Some(Source::BuiltIn),
            Ok(pb::CatalogueSource::Custom) => Some(Source::Custom),
            Err(_) => {
                v.add("source", UNKNOWN);
                None
            }
        };
        let filters = [
            "catalogue",
            muscle.map_or("", Muscle::db_name),
            equipment.map_or("", Equipment::db_name),
            category.map_or("", Category::db_name),
            name_contains.as_ref().map_or("", Search::as_str),
            source.map_or("", Source::name),
        ];
        let page = PageRequest::parse(request.page_size, &request.page_token, &filters, &mut v);
        let query = source.map(|source| Self {
            muscle,
            equipment,
            category,
            name_contains,
            source,
            page,
        });
        parsed(v, query)
    }
}

/// The `id` of a get or delete request: a built-in slug or a custom entry's UUID, looked up
/// as given (anything else is simply not found); empty is INVALID_ARGUMENT.
pub(crate) fn entry_id(raw: &str) -> Result<&str> {
    if raw.is_empty() {
        return Err(Error::invalid("id", "required"));
    }
    Ok(raw)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::training::TrackingMode;
    use crate::rpc::workout::entries::mode_to_pb;

    #[test]
    fn every_value_crosses_the_wire_both_ways() {
        for &c in Category::ALL {
            assert_eq!(category(category_to_pb(c)), Ok(Some(c)));
        }
        for &m in Muscle::ALL {
            assert_eq!(muscle(muscle_to_pb(m)), Ok(Some(m)));
        }
        for &e in Equipment::ALL {
            assert_eq!(equipment(equipment_to_pb(e)), Ok(Some(e)));
        }
        for m in TrackingMode::ALL {
            assert_eq!(mode_from_pb(mode_to_pb(Some(m)) as i32), Ok(Some(m)));
        }
        assert_eq!(muscle(0), Ok(None));
        assert_eq!(category(0), Ok(None));
        assert!(equipment(99).is_err());
        assert!(mode_from_pb(-1).is_err());
    }
}
