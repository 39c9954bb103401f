//! The README's code blocks.

use std::path::Path;

/// The README at the workspace root.
pub fn text() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// The first ```` ```bash ```` block after the heading `## {heading}`, without its fences.
pub fn bash_block(readme: &str, heading: &str) -> String {
    block_under(readme, &format!("## {heading}"))
}

/// The first ```` ```bash ```` block after the subsection heading `### {heading}`, before the
/// next heading of any level.
pub fn bash_block_of_subsection(readme: &str, heading: &str) -> String {
    block_under(readme, &format!("### {heading}"))
}

/// The first bash block after the heading line `heading` (`## …` or `### …`), within its
/// section: up to the next heading of the same or a higher level.
fn block_under(readme: &str, heading: &str) -> String {
    let marker = format!("\n{heading}\n");
    let section = readme
        .find(&marker)
        .unwrap_or_else(|| panic!("README has no section {heading:?}"));
    let rest = &readme[section + marker.len()..];
    let level = heading.chars().take_while(|c| *c == '#').count();
    let next_section = (2..=level)
        .filter_map(|l| rest.find(&format!("\n{} ", "#".repeat(l))))
        .min()
        .unwrap_or(rest.len());
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

#[test]
fn a_subsection_block_is_its_own() {
    let readme = "# x\n\n## A\n\n```bash\necho a\n```\n\n### Sub\n\n```bash\necho sub\n```\n\n\
                  ### Empty\n\ntext\n\n## C\n\n```bash\necho c\n```\n";
    assert_eq!(bash_block(readme, "A"), "echo a\n");
    assert_eq!(bash_block_of_subsection(readme, "Sub"), "echo sub\n");
    let empty = std::panic::catch_unwind(|| bash_block_of_subsection(readme, "Empty"));
    assert!(
        empty.is_err(),
        "a block of the next section is not the subsection's"
    );
}
