//! `stride.auth.v1.UserService`: the signed-in user's own account.

use shared::pb::auth::v1::user_service_server::UserService;
use shared::pb::auth::v1::{GetMeRequest, User};
use tonic::{Request, Response, Status};

use crate::app::AppState;
use crate::authn::authenticate;
use crate::error::Error;
use crate::rpc::convert;
use crate::store::users;

/// Handler of `UserService`.
#[derive(Debug, Clone)]
pub struct UserApi {
    state: AppState,
}

impl UserApi {
    /// A handler over the shared state.
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

#[tonic::async_trait]
impl UserService for UserApi {
    #[tracing::instrument(skip_all, fields(rpc = "GetMe", user_id))]
    async fn get_me(&self, request: Request<GetMeRequest>) -> Result<Response<User>, Status> {
        let caller = authenticate(&self.state, &request).await?;
        let mut conn = self.state.db.pool().acquire().await.map_err(Error::from)?;
        let user = users::get(&mut conn, &caller.user_id)
            .await
            .map_err(Error::from)?
            .ok_or(Error::NotFound("user"))?;
        Ok(Response::new(convert::user(user)))
    }
}
