//! `stride.fitness.v1.DataService`: the caller's data as a whole. The export streams the
//! document `domain::export` writes; deletion needs no RPC (the revocation feed announces it,
//! see `domain::deletion`).

use shared::db::Db;
use shared::pb::fitness::v1 as pb;
use shared::pb::fitness::v1::data_service_server::DataService;
use tokio_stream::StreamExt as _;
use tonic::codegen::BoxStream;
use tonic::{Request, Response, Status};

use super::caller;
use crate::domain::export;

/// Handler of `DataService`.
#[derive(Debug, Clone)]
pub struct DataApi {
    db: Db,
}

impl DataApi {
    /// A handler over the fitness database.
    pub fn new(db: Db) -> Self {
        Self { db }
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
        let chunks = export::export(&self.db, &caller.user_id).map(|chunk| {
            chunk
                .map(|chunk| pb::ExportMyDataResponse { chunk })
                .map_err(Status::from)
        });
        Ok(Response::new(Box::pin(chunks)))
    }

    #[tracing::instrument(level = "debug", skip_all, fields(user_id = tracing::field::Empty))]
    async fn import_workouts(
        &self,
        request: Request<tonic::Streaming<pb::ImportWorkoutsRequest>>,
    ) -> Result<Response<pb::ImportWorkoutsResponse>, Status> {
        let _caller = caller(&request)?;
        Err(Status::unimplemented("import_workouts is not built yet"))
    }
}
