//! Lookups over the built-in table, built once on first use: by slug, by normalised name or
//! alias, and in listing order.

use std::collections::HashMap;
use std::sync::LazyLock;

use super::builtin::{BUILT_IN, BuiltIn};

/// A name as compared for matching: lowercase letters and digits only, so that "Pull Up",
/// "pull-up" and "PULLUP" are one name.
pub fn normalise(name: &str) -> String {
    name.chars()
        .flat_map(char::to_lowercase)
        .filter(|c| c.is_alphanumeric())
        .collect()
}

/// The key entries are listed by: the lowercased name (then the id breaks ties).
pub fn sort_key(name: &str) -> String {
    name.to_lowercase()
}

/// Built-in entries by slug.
static BY_ID: LazyLock<HashMap<&'static str, &'static BuiltIn>> =
    LazyLock::new(|| BUILT_IN.iter().map(|b| (b.id, b)).collect());

/// Built-in entries by normalised name and alias. The table's test keeps these unique; were
/// one not, the first entry would keep it.
static BY_NAME: LazyLock<HashMap<String, &'static BuiltIn>> = LazyLock::new(|| {
    let mut map = HashMap::new();
    for b in BUILT_IN {
        for name in std::iter::once(&b.name).chain(b.aliases) {
            map.entry(normalise(name)).or_insert(b);
        }
    }
    map
});

/// Built-in entries in listing order, each with its sort key.
static SORTED: LazyLock<Vec<(String, &'static BuiltIn)>> = LazyLock::new(|| {
    let mut sorted: Vec<(String, &'static BuiltIn)> =
        BUILT_IN.iter().map(|b| (sort_key(b.name), b)).collect();
    sorted.sort_by(|a, b| (&a.0, a.1.id).cmp(&(&b.0, b.1.id)));
    sorted
});

/// The built-in entry with slug `id`.
pub fn by_id(id: &str) -> Option<&'static BuiltIn> {
    BY_ID.get(id).copied()
}

/// The built-in entry named, or aliased, `name` once normalised; `None` for a name that
/// normalises to nothing.
pub fn by_name(name: &str) -> Option<&'static BuiltIn> {
    let key = normalise(name);
    if key.is_empty() {
        return None;
    }
    BY_NAME.get(&key).copied()
}

/// Every built-in entry with its sort key, ordered by (sort key, id).
pub fn sorted() -> &'static [(String, &'static BuiltIn)] {
    &SORTED
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_whatever_their_case_punctuation_and_spacing() {
        assert_eq!(normalise(" Pull-Up (Assisted) "), "pullupassisted");
        for name in [
            "Bench Press (Barbell)",
            "bench press barbell",
            "BENCH-PRESS-(BARBELL)",
        ] {
            assert_eq!(by_name(name).map(|b| b.id), Some("barbell-bench-press"));
        }
        assert_eq!(by_name("Pull Up").map(|b| b.id), Some("pull-up"));
        assert_eq!(
            by_name("Treadmill").map(|b| b.id),
            Some("treadmill-running")
        );
        assert_eq!(by_name("Underwater Basket Weaving"), None);
        assert_eq!(by_name("()"), None);
    }

    #[test]
    fn the_listing_order_is_by_lowercased_name_then_id() {
        let keys: Vec<(&str, &str)> = sorted().iter().map(|(k, b)| (k.as_str(), b.id)).collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(keys.len(), BUILT_IN.len());
        assert_eq!(by_id("deadlift").map(|b| b.name), Some("Deadlift"));
        assert_eq!(by_id("Deadlift"), None);
    }
}
