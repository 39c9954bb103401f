//! `stride.fitness.v1.CatalogueService`: the built-in exercise catalogue and the caller's
//! custom entries. Requests become domain inputs in [`parse`]; replies are built here.

pub(crate) mod parse;

use shared::db::Db;
use shared::paging::Page;
use shared::pb::fitness::v1 as pb;
use shared::pb::fitness::v1::catalogue_service_server::CatalogueService;
use tonic::{Request, Response, Status};

use super::{caller, reply};
use crate::domain::catalogue::{self, CatalogueQuery, Entry, NewCustom};
use parse::{category_to_pb, entry_id, equipment_to_pb, muscle_to_pb};

use crate::rpc::workout::entries::mode_to_pb;

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

/// Maps a catalogue entry to the wire.
pub(crate) fn entry_to_pb(e: Entry) -> pb::CatalogueEntry {
    pb::CatalogueEntry {
        id: e.id,
        name: e.name,
        category: category_to_pb(e.category),
        primary_muscles: e.primary.into_iter().map(muscle_to_pb).collect(),
        secondary_muscles: e.secondary.into_iter().map(muscle_to_pb).collect(),
        equipment: equipment_to_pb(e.equipment),
        tracking_mode: mode_to_pb(Some(e.tracking_mode)) as i32,
        custom: e.custom,
    }
}

#[tonic::async_trait]
impl CatalogueService for CatalogueApi {
    #[tracing::instrument(level = "debug", skip_all, fields(user_id = tracing::field::Empty))]
    async fn list_catalogue(
        &self,
        request: Request<pb::ListCatalogueRequest>,
    ) -> Result<Response<pb::ListCatalogueResponse>, Status> {
        let caller = caller(&request)?;
        let query = CatalogueQuery::try_from(request.into_inner())?;
        reply(
            catalogue::list(&self.db, &caller.user_id, query).await,
            |page: Page<Entry>| pb::ListCatalogueResponse {
                entries: page.items.into_iter().map(entry_to_pb).collect(),
                next_page_token: page.next_page_token,
            },
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(user_id = tracing::field::Empty))]
    async fn get_catalogue_entry(
        &self,
        request: Request<pb::GetCatalogueEntryRequest>,
    ) -> Result<Response<pb::CatalogueEntry>, Status> {
        let caller = caller(&request)?;
        let request = request.into_inner();
        let id = entry_id(&request.id)?;
        reply(
            catalogue::get(&self.db, &caller.user_id, id).await,
            entry_to_pb,
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(user_id = tracing::field::Empty))]
    async fn create_catalogue_entry(
        &self,
        request: Request<pb::CreateCatalogueEntryRequest>,
    ) -> Result<Response<pb::CatalogueEntry>, Status> {
        let caller = caller(&request)?;
        let new = NewCustom::try_from(request.into_inner())?;
        reply(
            catalogue::create(&self.db, &caller.user_id, new).await,
            entry_to_pb,
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(user_id = tracing::field::Empty))]
    async fn delete_catalogue_entry(
        &self,
        request: Request<pb::DeleteCatalogueEntryRequest>,
    ) -> Result<Response<()>, Status> {
        let caller = caller(&request)?;
        let request = request.into_inner();
        let id = entry_id(&request.id)?;
        reply(
            catalogue::delete(&self.db, &caller.user_id, id).await,
            |()| (),
        )
    }
}
