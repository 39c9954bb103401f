//! `stride.auth.v1.SessionService`: the signed-in user's own sessions and token trees.

use shared::error::Violations;
use shared::pb::auth::v1::session_service_server::SessionService;
use shared::pb::auth::v1::{
    GetTokenTreeRequest, GetTokenTreeResponse, ListSessionsRequest, ListSessionsResponse,
    RevokeAllSessionsRequest, RevokeAllSessionsResponse, RevokeSessionRequest, RevokeTokenRequest,
};
use tonic::{Request, Response, Status};

use shared::paging::PageRequest;

use crate::app::AppState;
use crate::domain::revoke_own::RevokeOwn;
use crate::domain::session_list;
use crate::domain::token_tree;
use crate::rpc::{convert, id, valid};

/// Handler of `SessionService`.
#[derive(Debug, Clone)]
pub(crate) struct SessionApi {
    state: AppState,
}

impl SessionApi {
    /// A handler over the shared state.
    pub(crate) fn new(state: AppState) -> Self {
        Self { state }
    }
}

impl SessionApi {
    fn revoke_own(&self) -> RevokeOwn<'_> {
        RevokeOwn {
            db: &self.state.db,
            clock: &self.state.clock,
            feed: &self.state.feed,
            leeway: self.state.config.tokens.leeway,
        }
    }
}

#[tonic::async_trait]
impl SessionService for SessionApi {
    #[tracing::instrument(level = "debug", skip_all, fields(rpc = "ListSessions", user_id))]
    async fn list_sessions(
        &self,
        request: Request<ListSessionsRequest>,
    ) -> Result<Response<ListSessionsResponse>, Status> {
        let caller = self.state.caller(&request).await?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let page = PageRequest::parse(
            req.page_size,
            &req.page_token,
            &["sessions", &caller.user_id],
            &mut v,
        );
        valid(v)?;
        let page = session_list::list(&self.state.db, &caller.user_id, &page).await?;
        let now = self.state.clock.now();
        Ok(Response::new(ListSessionsResponse {
            sessions: page
                .items
                .into_iter()
                .map(|row| convert::session(row, now, &caller.session_id))
                .collect(),
            next_page_token: page.next_page_token,
        }))
    }

    #[tracing::instrument(level = "debug", skip_all, fields(rpc = "GetTokenTree", user_id))]
    async fn get_token_tree(
        &self,
        request: Request<GetTokenTreeRequest>,
    ) -> Result<Response<GetTokenTreeResponse>, Status> {
        let caller = self.state.caller(&request).await?;
        let session_id = id("session_id", request.into_inner().session_id)?;
        let tree = token_tree::tree(&self.state.db, &caller.user_id, session_id.as_str()).await?;
        let now = self.state.clock.now();
        Ok(Response::new(GetTokenTreeResponse {
            tree: Some(convert::token_tree(tree, now, &caller.session_id)),
        }))
    }

    #[tracing::instrument(level = "debug", skip_all, fields(rpc = "RevokeSession", user_id))]
    async fn revoke_session(
        &self,
        request: Request<RevokeSessionRequest>,
    ) -> Result<Response<()>, Status> {
        let caller = self.state.caller(&request).await?;
        let client = self.state.client(&request);
        let session_id = id("session_id", request.into_inner().session_id)?;
        self.revoke_own()
            .session(&caller, session_id.as_str(), &client)
            .await?;
        Ok(Response::new(()))
    }

    #[tracing::instrument(level = "debug", skip_all, fields(rpc = "RevokeAllSessions", user_id))]
    async fn revoke_all_sessions(
        &self,
        request: Request<RevokeAllSessionsRequest>,
    ) -> Result<Response<RevokeAllSessionsResponse>, Status> {
        let caller = self.state.caller(&request).await?;
        let client = self.state.client(&request);
        let keep_current = request.into_inner().keep_current;
        let revoked = self
            .revoke_own()
            .all(&caller, keep_current, &client)
            .await?;
        Ok(Response::new(RevokeAllSessionsResponse {
            revoked_count: i32::try_from(revoked).unwrap_or(i32::MAX),
        }))
    }

    #[tracing::instrument(level = "debug", skip_all, fields(rpc = "RevokeToken", user_id))]
    async fn revoke_token(
        &self,
        request: Request<RevokeTokenRequest>,
    ) -> Result<Response<()>, Status> {
        let caller = self.state.caller(&request).await?;
        let client = self.state.client(&request);
        let jti = id("jti", request.into_inner().jti)?;
        self.revoke_own()
            .token(&caller, jti.as_str(), &client)
            .await?;
        Ok(Response::new(()))
    }
}
