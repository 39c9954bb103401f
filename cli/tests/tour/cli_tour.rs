//! The README's CLI tour, run verbatim.

use crate::readme;
use crate::stack::Stack;

#[test]
fn the_readme_cli_tour_runs_verbatim_against_a_fresh_stack() {
    let script = readme::bash_block(&readme::text(), "CLI tour");
    let stack = Stack::start();
    let output = stack.run_script("cli-tour", &script);
    let stdout = String::from_utf8_lossy(&output.stdout);
    // Spot checks that the commands did what the tour says, not just exited 0.
    for expected in [
        "registered as ada",
        "signed in as ada",
        "Leg day",
        "\"totalWorkouts\": \"2\"",
        "└── refresh ",
        "    └── access ",
        "revoked 1 session(s)",
        "signed out ada",
    ] {
        assert!(
            stdout.contains(expected),
            "{expected:?} missing from the tour's output:\n{stdout}"
        );
    }
    let credentials = stack.dir().join("cli-tour-config/credentials.json");
    assert!(!credentials.exists(), "logout leaves no credentials behind");
}
