//! A file larger than what one connection may buffer at once is still imported: a streamed
//! upload holds one chunk at a time, not all it has sent. The report lists the first 100
//! skipped rows and counts the rest.

use shared::pb::fitness::v1 as pb;
use testkit::{Backend, backend_tests};

use super::{import, options};
use crate::helpers::Stack;

/// Bytes of the file: above the connection's default buffering budget (4 MiB) and message
/// cap, so only an upload that gives bytes back as chunks are read can get through.
const FILE_BYTES: usize = 6 * 1024 * 1024;

async fn a_file_larger_than_a_connection_may_buffer_is_imported(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut user = stack.user("large_import").await;
    let mut file = String::from(
        "Date,Workout Name,Duration,Exercise Name,Set Order,Weight,Reps,Distance,Seconds,Notes,Workout Notes,RPE\n\
         2024-03-26 08:12:45,Push Day,1h 5m,Bench Press (Barbell),1,80,8,0,0,,,\n",
    );
    // Rest timer rows: read, counted and skipped, so the file is large but the write small.
    let timer =
        "2024-03-26 08:12:45,Push Day,1h 5m,Bench Press (Barbell),Rest Timer,0,0,0,120,,,\n";
    let mut timers = 0;
    while file.len() < FILE_BYTES {
        file.push_str(timer);
        timers += 1;
    }
    let report = import(
        &mut user,
        options(pb::ImportSource::Strong, "UTC", pb::WeightUnit::Kg),
        file.as_bytes(),
        256 * 1024,
    )
    .await
    .expect("a 6 MiB upload is read chunk by chunk");
    assert_eq!(report.workouts_created, 1);
    assert_eq!(report.sets_created, 1);
    assert_eq!(report.skipped_rows, timers);
    assert_eq!(
        report.skipped.len(),
        100,
        "the first 100 skipped rows are listed"
    );
    assert_eq!(report.skipped[0].line, 3, "the first rest timer is line 3");
    stack.stop().await;
}

backend_tests!(a_file_larger_than_a_connection_may_buffer_is_imported);
