//! `stride.auth.v1.AdminService`: role admin.

use shared::pb::auth::v1::admin_service_server::AdminService;

/// Handler of `AdminService`.
#[derive(Debug, Clone, Default)]
pub struct AdminApi;

#[tonic::async_trait]
impl AdminService for AdminApi {}
