//! `stride.fitness.v1.CatalogueService`: the built-in exercise catalogue and the caller's
//! custom entries.

use shared::db::Db;
use shared::pb::fitness::v1 as pb;
use shared::pb::fitness::v1::catalogue_service_server::CatalogueService;
use tonic::{Request, Response, Status};

use super::caller;

/// Handler of `CatalogueService`.
#[derive(Debug, Clone)]
pub struct CatalogueApi {
    db: Db,
}

impl CatalogueApi {
    /// A handler over the fitness database.
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[tonic::async_trait]
impl CatalogueService for CatalogueApi {
    #[tracing::instrument(level = "debug", skip_all, fields(user_id = tracing::field::Empty))]
    async fn list_catalogue(
        &self,
        request: Request<pb::ListCatalogueRequest>,
    ) -> Result<Response<pb::ListCatalogueResponse>, Status> {
        let _caller = caller(&request)?;
        let _ = &self.db;
        Err(Status::unimplemented("list_catalogue is not built yet"))
    }

    #[tracing::instrument(level = "debug", skip_all, fields(user_id = tracing::field::Empty))]
    async fn get_catalogue_entry(
        &self,
        request: Request<pb::GetCatalogueEntryRequest>,
    ) -> Result<Response<pb::CatalogueEntry>, Status> {
        let _caller = caller(&request)?;
        Err(Status::unimplemented(
            "get_catalogue_entry is not built yet",
        ))
    }

    #[tracing::instrument(level = "debug", skip_all, fields(user_id = tracing::field::Empty))]
    async fn create_catalogue_entry(
        &self,
        request: Request<pb::CreateCatalogueEntryRequest>,
    ) -> Result<Response<pb::CatalogueEntry>, Status> {
        let _caller = caller(&request)?;
        Err(Status::unimplemented(
            "create_catalogue_entry is not built yet",
        ))
    }

    #[tracing::instrument(level = "debug", skip_all, fields(user_id = tracing::field::Empty))]
    async fn delete_catalogue_entry(
        &self,
        request: Request<pb::DeleteCatalogueEntryRequest>,
    ) -> Result<Response<()>, Status> {
        let _caller = caller(&request)?;
        Err(Status::unimplemented(
            "delete_catalogue_entry is not built yet",
        ))
    }
}
