//! The README is the user's manual: every `STRIDE_*` variable the code reads is in its
//! configuration table.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

/// Quoted `"STRIDE_…"` literals in the Rust files under `dir`.
fn variables_in(dir: &Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            variables_in(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            for (i, _) in text.match_indices("\"STRIDE_") {
                let name: String = text[i + 1..]
                    .chars()
                    .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
                    .collect();
                // A literal that continues past the name is a prefix or a message, not a variable.
                if text[i + 1 + name.len()..].starts_with('"')
                    && name.len() > "STRIDE_".len()
                    && !name.starts_with("STRIDE_TEST_")
                {
                    out.push(name);
                }
            }
        }
    }
}

#[test]
fn every_variable_the_code_reads_is_in_the_readme_table() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let mut vars = Vec::new();
    for dir in [
        "shared/src",
        "services/auth/src",
        "services/fitness/src",
        "console/src",
        "cli/src",
        "bench/src",
    ] {
        variables_in(&root.join(dir), &mut vars);
    }
    vars.sort();
    vars.dedup();
    assert!(
        vars.iter().any(|v| v == "STRIDE_AUTH_ADDR"),
        "the scan found {vars:?}"
    );
    let missing: Vec<_> = vars
        .iter()
        .filter(|v| !readme.contains(&format!("| `{v}` |")))
        .collect();
    assert!(
        missing.is_empty(),
        "README configuration table lacks {missing:?}"
    );
}
