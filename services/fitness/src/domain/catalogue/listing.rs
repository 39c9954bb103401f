//! Listing the catalogue: the built-in entries filtered in memory and the user's custom
//! entries filtered in SQL, merged by (lowercased name, id) under one keyset token.

use shared::db::Db;
use shared::paging::{Page, PageRequest};
use shared::sql::contains_pattern;

use super::index::{self, sort_key};
use super::{BuiltIn, Category, Entry, Equipment, Muscle};
use crate::domain::ids::UserId;
use crate::domain::values::Search;
use crate::error::Result;
use crate::store::catalogue::{self as store, Filter};

/// Which entries a listing covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Built-in and the caller's custom entries.
    All,
    /// Only built-in entries.
    BuiltIn,
    /// Only the caller's custom entries.
    Custom,
}

impl Source {
    /// The name the page token's fingerprint binds.
    pub fn name(self) -> &'static str {
        match self {
            Self::All => "ALL",
            Self::BuiltIn => "BUILT_IN",
            Self::Custom => "CUSTOM",
        }
    }
}

/// A validated listing request; `None` filters mean "any".
#[derive(Debug, Clone)]
pub struct CatalogueQuery {
    /// Only entries training this muscle, primarily or secondarily.
    pub muscle: Option<Muscle>,
    /// Only entries done with this.
    pub equipment: Option<Equipment>,
    /// Only entries of this category.
    pub category: Option<Category>,
    /// Only entries whose name contains this, case-insensitively.
    pub name_contains: Option<Search>,
    /// Built-in, custom or both.
    pub source: Source,
    /// Page size and the position after the previous page: (lowercased name, id) of its last
    /// entry.
    pub page: PageRequest<(String, String)>,
}

impl CatalogueQuery {
    /// Whether the built-in entry `b` passes every filter; `needle` is the lowercased search.
    fn admits(&self, b: &BuiltIn, key: &str, needle: Option<&str>) -> bool {
        self.muscle
            .is_none_or(|m| b.primary.contains(&m) || b.secondary.contains(&m))
            && self.equipment.is_none_or(|e| b.equipment == e)
            && self.category.is_none_or(|c| b.category == c)
            && needle.is_none_or(|n| key.contains(n))
    }
}

/// One page of the catalogue with the token of the next: at most one query, whatever the
/// page size. Each source contributes at most a page and one entry past the position, so the
/// merge is bounded by twice the page.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list(db: &Db, user_id: &UserId, query: CatalogueQuery) -> Result<Page<Entry>> {
    let after = query.page.after.as_ref();
    let limit = usize::try_from(query.page.limit()).unwrap_or(usize::MAX);
    let needle = query.name_contains.as_ref().map(|s| sort_key(s.as_str()));
    let mut merged: Vec<(String, Entry)> = Vec::new();
    if query.source != Source::Custom {
        let sorted = index::sorted();
        let start = after.map_or(0, |(key, id)| {
            sorted.partition_point(|(k, b)| (k.as_str(), b.id) <= (key.as_str(), id.as_str()))
        });
        let admitted = sorted[start..]
            .iter()
            .filter(|(key, b)| query.admits(b, key, needle.as_deref()))
            .take(limit)
            .map(|(key, b)| (key.clone(), Entry::from(*b)));
        merged.extend(admitted);
    }
    if query.source != Source::BuiltIn {
        let filter = Filter {
            muscle_like: query
                .muscle
                .map(|m| contains_pattern(&format!(",{},", m.db_name()))),
            equipment: query.equipment.map(|e| e.db_name().to_owned()),
            category: query.category.map(|c| c.db_name().to_owned()),
            name_like: needle.as_deref().map(contains_pattern),
        };
        let mut conn = db.read().await?;
        let limit = query.page.limit();
        let rows = store::list(&mut conn, db.backend(), user_id, &filter, after, limit).await?;
        for row in rows {
            let key = row.name_key.clone();
            merged.push((key, Entry::try_from(row)?));
        }
    }
    merged.sort_by(|a, b| (&a.0, &a.1.id).cmp(&(&b.0, &b.1.id)));
    let page = query
        .page
        .page(merged, |(key, entry)| (key.clone(), entry.id.clone()));
    Ok(page.map(|(_, entry)| entry))
}
