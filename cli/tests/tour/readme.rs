//! The README's code blocks.

use std::path::Path;

/// The README at the workspace root.
pub fn text() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// The first ```` ```bash ```` block after the heading `## {heading}`, without its fences.
pub fn bash_block(readme: &str, heading: &str) -> String {
    let marker = format!("\n## {heading}\n");
    let section = readme
        .find(&marker)
        .unwrap_or_else(|| panic!("README has no section {heading:?}"));
    let rest = &readme[section + marker.len()..];
    let next_section = rest.find("\n## ").unwrap_or(rest.len());
    let rest = &rest[..next_section];
    let open = rest
        .find("```bash\n")
        .unwrap_or_else(|| panic!("section {heading:?} has no bash block"));
    let body = &rest[open + "```bash\n".len()..];
    let close = body
        .find("\n```")
        .unwrap_or_else(|| panic!("the bash block of {heading:?} is not closed"));
    format!("{}\n", &body[..close])
}

#[test]
fn a_block_is_found_under_its_heading_only() {
    let readme = "# x\n\n## A\n\n```bash\necho a\n```\n\n## B\n\ntext\n```bash\necho b\nls\n```\n";
    assert_eq!(bash_block(readme, "A"), "echo a\n");
    assert_eq!(bash_block(readme, "B"), "echo b\nls\n");
}
