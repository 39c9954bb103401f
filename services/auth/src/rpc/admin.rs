//! `stride.auth.v1.AdminService`.

use shared::pb::auth::v1::admin_service_server::AdminService;

use crate::app::AppState;

/// Handler of `AdminService`.
#[derive(Debug, Clone)]
pub struct AdminApi {
    #[allow(dead_code)]
    state: AppState,
}

impl AdminApi {
    /// A handler over the shared state.
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

#[tonic::async_trait]
impl AdminService for AdminApi {}
