//! `stride.auth.v1.TokenIntrospectionService`: services holding the service key. The key is
//! checked by [`service_key_guard`], installed as an interceptor around this whole service, so
//! no RPC of it can forget the check.

use shared::pb::auth::v1::token_introspection_service_server::TokenIntrospectionService;
use shared::pb::auth::v1::{
    CheckRevocationRequest, CheckRevocationResponse, IntrospectTokenRequest,
    IntrospectTokenResponse, WatchRevocationsRequest,
};
use shared::time::to_timestamp;
use tonic::codegen::BoxStream;
use tonic::{Request, Response, Status};

use shared::credentials::ServiceKeyCheck;

use crate::app::AppState;
use crate::domain::introspect;
use crate::error::Error;
use crate::feed::Position;

/// Handler of `TokenIntrospectionService`.
#[derive(Debug, Clone)]
pub(crate) struct IntrospectionApi {
    state: AppState,
}

impl IntrospectionApi {
    /// A handler over the shared state.
    pub(crate) fn new(state: AppState) -> Self {
        Self { state }
    }
}

/// The interceptor guarding the whole service: UNAUTHENTICATED (`INVALID_SERVICE_KEY`) unless
/// the request carries the service key.
pub(crate) fn service_key_guard(
    key: ServiceKeyCheck,
) -> impl Fn(Request<()>) -> Result<Request<()>, Status> + Clone {
    move |request| match key.check(request.metadata().as_ref()) {
        Ok(()) => Ok(request),
        Err(reason) => Err(Error::Unauthenticated(reason).into()),
    }
}

#[tonic::async_trait]
impl TokenIntrospectionService for IntrospectionApi {
    #[tracing::instrument(level = "debug", skip_all, fields(rpc = "IntrospectToken"))]
    async fn introspect_token(
        &self,
        request: Request<IntrospectTokenRequest>,
    ) -> Result<Response<IntrospectTokenResponse>, Status> {
        let token = request.into_inner().token;
        let answer = match introspect::introspect(
            &self.state.db,
            &self.state.tokens,
            &self.state.revocations,
            &token,
        )
        .await?
        {
            Ok(t) => IntrospectTokenResponse {
                active: true,
                inactive_reason: String::new(),
                sub: t.sub,
                sid: t.sid,
                jti: t.jti,
                roles: t.roles,
                iss: t.iss,
                aud: vec![t.aud],
                exp: Some(to_timestamp(t.exp.saturating_mul(1_000_000))),
                iat: Some(to_timestamp(t.iat.saturating_mul(1_000_000))),
                token_type: t.token_type.to_owned(),
            },
            // RFC 7662: an inactive token reveals nothing but the fact (and here, why).
            Err(reason) => IntrospectTokenResponse {
                inactive_reason: reason.to_owned(),
                ..Default::default()
            },
        };
        Ok(Response::new(answer))
    }

    #[tracing::instrument(level = "debug", skip_all, fields(rpc = "CheckRevocation"))]
    async fn check_revocation(
        &self,
        request: Request<CheckRevocationRequest>,
    ) -> Result<Response<CheckRevocationResponse>, Status> {
        let req = request.into_inner();
        let check = introspect::check_revocation(&self.state.db, req.jtis, req.sids).await?;
        Ok(Response::new(CheckRevocationResponse {
            revoked_jtis: check.revoked_jtis,
            revoked_sids: check.revoked_sids,
            sequence: check.sequence,
        }))
    }

    #[tracing::instrument(skip_all, fields(rpc = "WatchRevocations", after_sequence))]
    async fn watch_revocations(
        &self,
        request: Request<WatchRevocationsRequest>,
    ) -> Result<Response<BoxStream<shared::pb::auth::v1::WatchRevocationsResponse>>, Status> {
        let request = request.into_inner();
        let after = request.after_sequence;
        tracing::Span::current().record("after_sequence", after);
        if after < 0 {
            return Err(Error::invalid("after_sequence", "must not be negative").into());
        }
        let position = Position {
            after,
            feed_id: request.feed_id,
            digest: request.after_digest,
        };
        let events = self.state.revocations.open(position).await?;
        Ok(Response::new(events))
    }
}
