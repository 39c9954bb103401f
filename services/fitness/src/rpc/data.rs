//! `stride.fitness.v1.DataService`: the caller's data as a whole. The export streams the
//! document `domain::export` writes; the import reads a CSV export of another application,
//! chunk by chunk, into `domain::import`; deletion needs no RPC (the revocation feed
//! announces it, see `domain::deletion`).

use std::sync::Arc;

use shared::db::Db;
use shared::error::Violations;
use shared::pb::fitness::v1 as pb;
use shared::pb::fitness::v1::data_service_server::DataService;
use shared::pb::fitness::v1::import_workouts_request::Part;
use tokio_stream::StreamExt as _;
use tonic::codegen::BoxStream;
use tonic::{Request, Response, Status, Streaming};

use super::{caller, int32, parsed};
use crate::domain::export::{self, Format};
use crate::domain::import::{
    self, MAX_CHUNK_BYTES, MAX_FILE_BYTES, Malformed, Parser, Slots, Source,
};
use crate::domain::training::WeightUnit;
use crate::domain::values::ZoneName;
use crate::error::{Error, Result};

/// Handler of `DataService`.
#[derive(Debug, Clone)]
pub struct DataApi {
    db: Db,
    imports: Arc<Slots>,
}

impl DataApi {
    /// A handler over the fitness database.
    pub fn new(db: Db) -> Self {
        Self {
            db,
            imports: Arc::new(Slots::default()),
        }
    }
}

#[tonic::async_trait]
impl DataService for DataApi {
    #[tracing::instrument(level = "debug", skip_all, fields(user_id = tracing::field::Empty))]
    async fn export_my_data(
        &self,
        request: Request<pb::ExportMyDataRequest>,
    ) -> Result<Response<BoxStream<pb::ExportMyDataResponse>>, Status> {
        let caller = caller(&request)?;
        let format = match pb::ExportFormat::try_from(request.get_ref().format) {
            Ok(pb::ExportFormat::Csv) => Format::Csv,
            Ok(pb::ExportFormat::Json | pb::ExportFormat::Unspecified) => Format::Json,
            Err(_) => return Err(Error::invalid("format", "unknown export format").into()),
        };
        let chunks = export::export(&self.db, &caller.user_id, format).map(|chunk| {
            chunk
                .map(|chunk| pb::ExportMyDataResponse { chunk })
                .map_err(Status::from)
        });
        Ok(Response::new(Box::pin(chunks)))
    }

    #[tracing::instrument(level = "debug", skip_all, fields(user_id = tracing::field::Empty))]
    async fn import_workouts(
        &self,
        request: Request<Streaming<pb::ImportWorkoutsRequest>>,
    ) -> Result<Response<pb::ImportWorkoutsResponse>, Status> {
        let caller = caller(&request)?;
        // Held while the upload is read and written: it bounds what imports keep in memory.
        let _slot = self.imports.take(&caller.user_id)?;
        // The whole upload is read and parsed before the import's transaction begins.
        let upload = upload(request.into_inner()).await?;
        let summary = import::import(&self.db, &caller.user_id, upload).await?;
        Ok(Response::new(pb::ImportWorkoutsResponse {
            workouts_created: count(summary.workouts_created),
            workouts_skipped: count(summary.workouts_skipped),
            sets_created: count(summary.sets_created),
            exercises_created: count(summary.exercises_created),
            catalogue_entries_created: count(summary.catalogue_entries_created),
            skipped: summary
                .skipped
                .into_iter()
                .map(|(line, reason)| pb::ImportSkip {
                    line: i64::try_from(line).unwrap_or(i64::MAX),
                    reason,
                })
                .collect(),
            skipped_rows: count(summary.skipped_rows),
        }))
    }
}

/// A count as a proto `int32`.
fn count(n: usize) -> i32 {
    int32(i64::try_from(n).unwrap_or(i64::MAX))
}

/// Reads the options, then every chunk into a parser, bounding each chunk and the file.
async fn upload(
    mut messages: Streaming<pb::ImportWorkoutsRequest>,
) -> Result<import::Upload, Status> {
    let options = match messages.message().await?.and_then(|m| m.part) {
        Some(Part::Options(raw)) => options(raw)?,
        _ => {
            return Err(Error::invalid(
                "options",
                "required: the first message carries the import's options",
            )
            .into());
        }
    };
    let mut parser = Parser::new(options);
    let mut total: usize = 0;
    while let Some(message) = messages.message().await? {
        match message.part {
            Some(Part::Chunk(chunk)) => {
                if chunk.len() > MAX_CHUNK_BYTES {
                    let description = format!(
                        "at most {MAX_CHUNK_BYTES} bytes per message, got {}",
                        chunk.len()
                    );
                    return Err(Error::invalid("chunk", description).into());
                }
                total = total.saturating_add(chunk.len());
                if total > MAX_FILE_BYTES {
                    let description = format!("the file exceeds {MAX_FILE_BYTES} bytes");
                    return Err(Error::invalid("chunk", description).into());
                }
                parser.feed(&chunk).map_err(malformed)?;
            }
            Some(Part::Options(_)) => {
                let description = "only the first message carries options, and only once";
                return Err(Error::invalid("options", description).into());
            }
            None => {
                let description = "every message carries the options or a chunk";
                return Err(Error::invalid("part", description).into());
            }
        }
    }
    Ok(parser.finish().map_err(malformed)?)
}

/// INVALID_ARGUMENT on `chunk`, naming the line and column.
fn malformed(err: Malformed) -> Error {
    Error::invalid("chunk", err.to_string())
}

/// The validated options of an import.
fn options(raw: pb::ImportOptions) -> Result<import::Options> {
    let mut v = Violations::new();
    let source = match pb::ImportSource::try_from(raw.source) {
        Ok(pb::ImportSource::Strong) => Some(Source::Strong),
        Ok(pb::ImportSource::Hevy) => Some(Source::Hevy),
        _ => {
            v.add(
                "options.source",
                "required: IMPORT_SOURCE_STRONG or IMPORT_SOURCE_HEVY",
            );
            None
        }
    };
    let time_zone = v.check("options.time_zone", ZoneName::parse(&raw.time_zone));
    let weight_unit = match pb::WeightUnit::try_from(raw.weight_unit) {
        Ok(pb::WeightUnit::Unspecified | pb::WeightUnit::Kg) => Some(WeightUnit::Kg),
        Ok(pb::WeightUnit::Lb) => Some(WeightUnit::Lb),
        Err(_) => {
            v.add("options.weight_unit", "unknown weight unit");
            None
        }
    };
    let options = match (source, time_zone, weight_unit) {
        (Some(source), Some(time_zone), Some(weight_unit)) => Some(import::Options {
            source,
            time_zone,
            weight_unit,
        }),
        _ => None,
    };
    parsed(v, options)
}
