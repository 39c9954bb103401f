//! What an import refuses, writing nothing: malformed files (named by line and column),
//! missing or repeated options, oversized chunks, files past a bound.

use shared::pb::fitness::v1 as pb;
use shared::pb::fitness::v1::import_workouts_request::Part;
use testkit::{Backend, backend_tests};

use super::{STRONG_KG, STRONG_MALFORMED, import, messages, options, row_counts, send, violations};
use crate::helpers::{Stack, assert_bad};

/// Strong's header.
const HEADER: &str = "Date,Workout Name,Duration,Exercise Name,Set Order,Weight,Reps,Distance,Seconds,Notes,Workout Notes,RPE\n";

fn strong() -> pb::ImportOptions {
    options(pb::ImportSource::Strong, "UTC", pb::WeightUnit::Kg)
}

/// The one violation an import of `file` is refused with: (field, description).
async fn refusal(stack: &Stack, username: &str, file: &[u8]) -> (String, String) {
    let mut user = stack.user(username).await;
    let status = import(&mut user, strong(), file, 5)
        .await
        .expect_err("the file is refused");
    assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
    assert_eq!(row_counts(stack, &user.id).await, [0, 0, 0, 0, 0]);
    let mut all = violations(&status);
    assert_eq!(all.len(), 1, "{all:?}");
    all.remove(0)
}

async fn a_malformed_file_is_refused_naming_its_line_and_column_and_writes_nothing(
    backend: Backend,
) {
    let stack = Stack::spawn(backend).await;
    let chunk = |d: &str| ("chunk".to_owned(), d.to_owned());
    assert_eq!(
        refusal(&stack, "user_a", STRONG_MALFORMED).await,
        chunk("line 5, column 6 (Weight): not a number: \"8O\"")
    );
    let header = "Date,Duration,Exercise Name,Set Order,Weight,Distance\n";
    assert_eq!(
        refusal(&stack, "user_b", header.as_bytes()).await,
        chunk("line 1: not a Strong export: missing columns Workout Name, Reps")
    );
    let short = format!("{HEADER}2024-03-26 08:12:45,Push,1h,Bench,1,80,8,0,0,,\n");
    assert_eq!(
        refusal(&stack, "user_c", short.as_bytes()).await,
        chunk("line 2: 11 columns where the header has 12")
    );
    let mut invalid = format!("{HEADER}2024-03-26 08:12:45,Push,1h,Bench").into_bytes();
    invalid.extend_from_slice(b"\xff,1,80,8,0,0,,,\n");
    assert_eq!(
        refusal(&stack, "user_d", &invalid).await,
        chunk("line 2, column 4 (Exercise Name): not valid UTF-8")
    );
    let date = format!("{HEADER}2024-13-26 08:12:45,Push,1h,Bench,1,80,8,0,0,,,\n");
    assert_eq!(
        refusal(&stack, "user_e", date.as_bytes()).await,
        chunk(
            "line 2, column 1 (Date): not a date and time like \"2024-03-26 08:12:45\": \
             \"2024-13-26 08:12:45\""
        )
    );
    assert_eq!(
        refusal(&stack, "user_f", b"").await,
        chunk("line 1: the file is empty: a header row is required")
    );
    stack.stop().await;
}

async fn a_workout_past_its_bounds_is_refused_at_the_line_that_crosses_them(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut file = HEADER.to_owned();
    for set in 1..=101 {
        file.push_str(&format!(
            "2024-03-26 08:12:45,Big,1h,Bench Press (Barbell),{set},80,8,0,0,,,\n"
        ));
    }
    assert_eq!(
        refusal(&stack, "ada", file.as_bytes()).await,
        (
            "chunk".to_owned(),
            "line 102: workout \"Big\" has more than 100 sets of \"Bench Press (Barbell)\""
                .to_owned()
        )
    );
    stack.stop().await;
}

async fn options_come_first_exactly_once_and_are_checked(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    // No options at all, or a chunk first.
    assert_bad(send(&mut ada, Vec::new()).await, &["options"]);
    let mut chunk_first = messages(strong(), STRONG_KG, 1 << 20);
    chunk_first.remove(0);
    assert_bad(send(&mut ada, chunk_first).await, &["options"]);
    // Options twice.
    let mut twice = messages(strong(), STRONG_KG, 1 << 20);
    twice.push(pb::ImportWorkoutsRequest {
        part: Some(Part::Options(strong())),
    });
    assert_bad(send(&mut ada, twice).await, &["options"]);
    // An empty message.
    let mut empty = messages(strong(), STRONG_KG, 1 << 20);
    empty.push(pb::ImportWorkoutsRequest { part: None });
    assert_bad(send(&mut ada, empty).await, &["part"]);
    // Every bad option at once.
    let bad = pb::ImportOptions {
        source: 0,
        time_zone: "Mars/Olympus".to_owned(),
        weight_unit: 9,
    };
    assert_bad(
        import(&mut ada, bad, STRONG_KG, 1 << 20).await,
        &["options.source", "options.time_zone", "options.weight_unit"],
    );
    assert_eq!(row_counts(&stack, &ada.id).await, [0, 0, 0, 0, 0]);
    stack.stop().await;
}

async fn a_chunk_over_one_mib_is_refused(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let big = vec![b'x'; 1024 * 1024 + 1];
    let status = import(&mut ada, strong(), &big, big.len())
        .await
        .expect_err("refused");
    assert_eq!(
        violations(&status),
        [(
            "chunk".to_owned(),
            "at most 1048576 bytes per message, got 1048577".to_owned()
        )]
    );
    assert_eq!(row_counts(&stack, &ada.id).await, [0, 0, 0, 0, 0]);
    stack.stop().await;
}

backend_tests!(
    a_malformed_file_is_refused_naming_its_line_and_column_and_writes_nothing,
    a_workout_past_its_bounds_is_refused_at_the_line_that_crosses_them,
    options_come_first_exactly_once_and_are_checked,
    a_chunk_over_one_mib_is_refused,
);
