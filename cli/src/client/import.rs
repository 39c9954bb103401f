//! `stride import strong|hevy FILE`: a CSV export of another app, streamed to
//! `DataService.ImportWorkouts` in 256 KiB chunks (the options first), then the report.
//!
//! The file is read as it is sent, so memory stays bounded whatever its size. The server
//! writes nothing until it has the whole file, so a read error half-way cancels the call and
//! nothing is imported.

use std::io::Read as _;
use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use futures::StreamExt as _;
use shared::pb::fitness::v1::data_service_client::DataServiceClient;
use shared::pb::fitness::v1::import_workouts_request::Part;
use shared::pb::fitness::v1::{
    ImportOptions, ImportSource, ImportWorkoutsRequest, ImportWorkoutsResponse, WeightUnit,
};
use tokio::sync::oneshot;

use super::{Client, answer};
use crate::error::Failure;
use crate::output::{self, fields};

/// Bytes per chunk message.
pub const CHUNK: usize = 256 * 1024;
/// The largest file the server takes.
const MAX_FILE: u64 = 32 * 1024 * 1024;

/// `stride import …`
#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import Strong's "Export workout data" CSV
    Strong(StrongArgs),
    /// Import Hevy's "Export workouts" CSV
    Hevy(HevyArgs),
}

/// Unit of Strong's Weight column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Unit {
    /// Kilograms
    Kg,
    /// Pounds
    Lb,
}

/// `stride import strong`
#[derive(Debug, Args)]
pub struct StrongArgs {
    /// The CSV file
    pub file: PathBuf,
    /// IANA time zone the file's local times are in
    #[arg(long, value_name = "TZ", default_value = "UTC")]
    pub time_zone: String,
    /// Unit of the Weight column (Strong writes the unit the app was set to)
    #[arg(long, default_value = "kg")]
    pub unit: Unit,
}

/// `stride import hevy`
#[derive(Debug, Args)]
pub struct HevyArgs {
    /// The CSV file
    pub file: PathBuf,
    /// IANA time zone the file's local times are in
    #[arg(long, value_name = "TZ", default_value = "UTC")]
    pub time_zone: String,
}

/// Runs `stride import …`.
pub async fn import(client: &Client, command: ImportCommand) -> Result<(), Failure> {
    let (file, options) = match command {
        ImportCommand::Strong(args) => (
            args.file,
            ImportOptions {
                source: ImportSource::Strong as i32,
                time_zone: args.time_zone,
                weight_unit: match args.unit {
                    Unit::Kg => WeightUnit::Kg,
                    Unit::Lb => WeightUnit::Lb,
                } as i32,
            },
        ),
        ImportCommand::Hevy(args) => (
            args.file,
            ImportOptions {
                source: ImportSource::Hevy as i32,
                time_zone: args.time_zone,
                weight_unit: 0,
            },
        ),
    };
    let opened = std::fs::File::open(&file)
        .map_err(|e| Failure::Usage(format!("cannot read {}: {e}", file.display())))?;
    let size = opened
        .metadata()
        .map_err(|e| Failure::Usage(format!("cannot read {}: {e}", file.display())))?
        .len();
    if size > MAX_FILE {
        return Err(Failure::Usage(format!(
            "{} is {size} bytes; an import takes at most 32 MiB",
            file.display()
        )));
    }
    let signed_in = client.signed_in().await?;
    let mut api = DataServiceClient::new(signed_in.fitness().await?);
    let (failed, read_error) = oneshot::channel();
    let requests = futures::stream::once(async move {
        ImportWorkoutsRequest {
            part: Some(Part::Options(options)),
        }
    })
    .chain(chunks(opened, failed));
    let report = tokio::select! {
        result = api.import_workouts(requests) => answer(result)?,
        Ok(error) = read_error => {
            // Dropping the call cancels it: the server imports nothing of a partial file.
            return Err(Failure::Other(format!("cannot read {}: {error}", file.display())));
        }
    };
    client
        .out
        .show(&report, "stride.fitness.v1.ImportWorkoutsResponse", || {
            report_text(&report)
        })
}

/// The file's bytes as chunk messages of [`CHUNK`] bytes, read off the async workers. A read
/// error is sent on `failed` and the stream then never ends, so the call is cancelled rather
/// than completed with part of the file.
fn chunks(
    file: std::fs::File,
    failed: oneshot::Sender<std::io::Error>,
) -> impl futures::Stream<Item = ImportWorkoutsRequest> {
    futures::stream::unfold(Some((file, failed)), |state| async move {
        let (mut file, failed) = state?;
        let read = tokio::task::spawn_blocking(move || {
            let mut buffer = Vec::with_capacity(CHUNK);
            let result = (&mut file)
                .take(CHUNK as u64)
                .read_to_end(&mut buffer)
                .map(|_| buffer);
            (file, result)
        })
        .await;
        match read {
            Ok((_, Ok(buffer))) if buffer.is_empty() => None,
            Ok((file, Ok(buffer))) => Some((
                ImportWorkoutsRequest {
                    part: Some(Part::Chunk(buffer)),
                },
                Some((file, failed)),
            )),
            Ok((_, Err(error))) => {
                let _ = failed.send(error);
                futures::future::pending().await
            }
            Err(joined) => {
                let _ = failed.send(std::io::Error::other(joined.to_string()));
                futures::future::pending().await
            }
        }
    })
}

/// The report for a person: the counts, then the skipped rows.
pub fn report_text(report: &ImportWorkoutsResponse) -> String {
    let mut text = fields(&[
        ("workouts created", report.workouts_created.to_string()),
        (
            "workouts skipped",
            match report.workouts_skipped {
                0 => "0".to_owned(),
                n => format!("{n} (imported before)"),
            },
        ),
        ("sets created", report.sets_created.to_string()),
        ("exercises created", report.exercises_created.to_string()),
        (
            "catalogue entries created",
            report.catalogue_entries_created.to_string(),
        ),
        ("rows skipped", report.skipped_rows.to_string()),
    ]);
    if !report.skipped.is_empty() {
        text.push('\n');
        let rows: Vec<Vec<String>> = report
            .skipped
            .iter()
            .map(|s| vec![s.line.to_string(), s.reason.clone()])
            .collect();
        text.push_str(&output::table(&["LINE", "WHY SKIPPED"], &rows, ""));
        let unlisted = i64::from(report.skipped_rows) - report.skipped.len() as i64;
        if unlisted > 0 {
            text.push_str(&format!("… and {unlisted} more\n"));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use shared::pb::fitness::v1::ImportSkip;

    use super::*;

    #[tokio::test]
    async fn a_file_streams_in_chunks_of_256_kib() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.csv");
        std::fs::write(&path, vec![b'x'; CHUNK * 2 + 10]).unwrap();
        let (failed, _error) = oneshot::channel();
        let sizes: Vec<usize> = chunks(std::fs::File::open(&path).unwrap(), failed)
            .map(|m| match m.part {
                Some(Part::Chunk(bytes)) => bytes.len(),
                other => panic!("not a chunk: {other:?}"),
            })
            .collect()
            .await;
        assert_eq!(sizes, [CHUNK, CHUNK, 10]);
    }

    #[test]
    fn the_report_lists_skipped_rows_and_how_many_more() {
        let text = report_text(&ImportWorkoutsResponse {
            workouts_created: 2,
            workouts_skipped: 1,
            sets_created: 9,
            exercises_created: 3,
            catalogue_entries_created: 1,
            skipped: vec![ImportSkip {
                line: 7,
                reason: "a rest timer row".into(),
            }],
            skipped_rows: 4,
        });
        assert_eq!(
            text,
            "workouts created           2\n\
             workouts skipped           1 (imported before)\n\
             sets created               9\n\
             exercises created          3\n\
             catalogue entries created  1\n\
             rows skipped               4\n\
             \n\
             LINE  WHY SKIPPED\n\
             7     a rest timer row\n\
             … and 3 more\n"
        );
    }
}
