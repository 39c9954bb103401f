//! Field masks for partial updates (AIP-134).

use prost_types::FieldMask;

use crate::error::Violations;

/// Resolves which fields an update touches.
///
/// An absent or empty mask means "the populated fields" (`populated`, which the caller
/// computes from the request); otherwise every path must be one of `allowed`, and each unknown
/// path is reported on `update_mask`. Duplicates are removed; the order is `allowed`'s.
pub fn paths(
    mask: Option<&FieldMask>,
    allowed: &[&'static str],
    populated: &[&'static str],
) -> Result<Vec<&'static str>, Violations> {
    let requested: Vec<&str> = match mask {
        Some(mask) if !mask.paths.is_empty() => mask.paths.iter().map(String::as_str).collect(),
        _ => populated.to_vec(),
    };
    let mut violations = Violations::new();
    for path in &requested {
        if !allowed.contains(path) {
            violations.add(
                "update_mask",
                format!(
                    "unknown or immutable field path {path:?}; allowed: {}",
                    allowed.join(", ")
                ),
            );
        }
    }
    violations.into_result()?;
    Ok(allowed
        .iter()
        .copied()
        .filter(|path| requested.contains(path))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALLOWED: &[&str] = &["title", "date", "notes"];

    fn mask(paths: &[&str]) -> FieldMask {
        FieldMask {
            paths: paths.iter().map(|p| p.to_string()).collect(),
        }
    }

    #[test]
    fn an_absent_mask_means_the_populated_fields() {
        assert_eq!(paths(None, ALLOWED, &["notes"]).unwrap(), ["notes"]);
        assert_eq!(
            paths(Some(&mask(&[])), ALLOWED, &["title"]).unwrap(),
            ["title"]
        );
    }

    #[test]
    fn an_explicit_mask_is_deduplicated_in_a_stable_order() {
        let got = paths(Some(&mask(&["notes", "title", "notes"])), ALLOWED, &[]).unwrap();
        assert_eq!(got, ["title", "notes"]);
    }

    #[test]
    fn unknown_paths_are_each_reported_on_update_mask() {
        let err = paths(Some(&mask(&["title", "owner", "id"])), ALLOWED, &[]).unwrap_err();
        assert_eq!(err.fields().len(), 2);
        assert!(err.fields().iter().all(|v| v.field == "update_mask"));
    }
}
