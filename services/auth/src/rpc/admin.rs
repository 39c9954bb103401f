//! `stride.auth.v1.AdminService`: role admin.

use shared::error::Violations;
use shared::pb::auth::v1::admin_service_server::AdminService;
use shared::pb::auth::v1::{
    GetUserRequest, ListSecurityEventsRequest, ListSecurityEventsResponse, ListUserSessionsRequest,
    ListUserSessionsResponse, ListUsersRequest, ListUsersResponse, RevokeUserSessionsRequest,
    RevokeUserSessionsResponse, RotateSigningKeyRequest, RotateSigningKeyResponse,
    UpdateUserRequest, User,
};
use shared::time::from_timestamp;
use tonic::{Request, Response, Status};

use crate::app::AppState;
use crate::authn::{Caller, authenticate};
use crate::domain::Role;
use crate::domain::admin::{self, PageRequest};
use crate::error::Error;
use crate::events::EventType;
use crate::rpc::{client_info, convert};
use crate::store::events::EventFilter;
use crate::store::users::UserFilter;

/// Longest search text, in characters.
const MAX_QUERY_CHARS: usize = 100;

/// Handler of `AdminService`.
#[derive(Debug, Clone)]
pub struct AdminApi {
    state: AppState,
}

impl AdminApi {
    /// A handler over the shared state.
    pub fn new(state: AppState) -> Self {
        Self { state }
    }

    /// Authenticates and requires role ADMIN.
    async fn admin<T>(&self, request: &Request<T>) -> Result<Caller, Error> {
        let caller = authenticate(&self.state, request).await?;
        caller.require(Role::Admin)?;
        Ok(caller)
    }
}

/// An id field that must be present.
fn required_id(field: &str, value: &str, v: &mut Violations) {
    if value.trim().is_empty() {
        v.add(field, "must not be empty");
    } else if value.len() > 64 {
        v.add(field, "is not an id");
    }
}

#[tonic::async_trait]
impl AdminService for AdminApi {
    #[tracing::instrument(skip_all, fields(rpc = "ListUsers", user_id))]
    async fn list_users(
        &self,
        request: Request<ListUsersRequest>,
    ) -> Result<Response<ListUsersResponse>, Status> {
        self.admin(&request).await?;
        let req = request.into_inner();
        let mut v = Violations::new();
        if req.query.chars().count() > MAX_QUERY_CHARS {
            v.add(
                "query",
                format!("must be at most {MAX_QUERY_CHARS} characters"),
            );
        }
        let role = match req.role {
            0 => None,
            raw => match Role::from_proto(raw) {
                Some(role) => Some(role),
                None => {
                    v.add("role", "unknown role");
                    None
                }
            },
        };
        let active = req.active.map(|a| if a { "1" } else { "0" }).unwrap_or("");
        let role_name = role.map_or("", Role::as_str);
        let page = PageRequest::parse(
            req.page_size,
            &req.page_token,
            &["users", &req.query, role_name, active],
            &mut v,
        );
        v.into_result().map_err(Error::from)?;
        let filter = UserFilter {
            query: &req.query,
            role: role.map(Role::as_str),
            active: req.active,
        };
        let page = admin::list_users(&self.state, &filter, &page).await?;
        Ok(Response::new(ListUsersResponse {
            users: page.items.into_iter().map(convert::user).collect(),
            next_page_token: page.next_page_token,
        }))
    }

    #[tracing::instrument(skip_all, fields(rpc = "GetUser", user_id))]
    async fn get_user(&self, request: Request<GetUserRequest>) -> Result<Response<User>, Status> {
        self.admin(&request).await?;
        let req = request.into_inner();
        let mut v = Violations::new();
        required_id("user_id", &req.user_id, &mut v);
        v.into_result().map_err(Error::from)?;
        let user = admin::get_user(&self.state, &req.user_id).await?;
        Ok(Response::new(convert::user(user)))
    }

    #[tracing::instrument(skip_all, fields(rpc = "UpdateUser", user_id))]
    async fn update_user(
        &self,
        request: Request<UpdateUserRequest>,
    ) -> Result<Response<User>, Status> {
        let caller = self.admin(&request).await?;
        let client = client_info(&request, self.state.config.trust_forwarded_for);
        let req = request.into_inner();
        let mut v = Violations::new();
        required_id("user_id", &req.user_id, &mut v);
        let mut populated = Vec::new();
        if req.active.is_some() {
            populated.push("active");
        }
        if req.role != 0 {
            populated.push("role");
        }
        let paths =
            match shared::mask::paths(req.update_mask.as_ref(), &["active", "role"], &populated) {
                Ok(paths) => paths,
                Err(found) => {
                    for f in found.fields() {
                        v.add(f.field.clone(), f.description.clone());
                    }
                    Vec::new()
                }
            };
        let active = if paths.contains(&"active") {
            // proto3 `optional`: an unset flag named in the mask means "false".
            Some(req.active.unwrap_or(false))
        } else {
            None
        };
        let role = if paths.contains(&"role") {
            let role = Role::from_proto(req.role);
            if role.is_none() {
                v.add("role", "must be USER, STAFF or ADMIN");
            }
            role
        } else {
            None
        };
        v.into_result().map_err(Error::from)?;
        let user =
            admin::update_user(&self.state, &caller, &req.user_id, active, role, &client).await?;
        Ok(Response::new(convert::user(user)))
    }

    #[tracing::instrument(skip_all, fields(rpc = "ListUserSessions", user_id))]
    async fn list_user_sessions(
        &self,
        request: Request<ListUserSessionsRequest>,
    ) -> Result<Response<ListUserSessionsResponse>, Status> {
        self.admin(&request).await?;
        let req = request.into_inner();
        let mut v = Violations::new();
        required_id("user_id", &req.user_id, &mut v);
        let page = PageRequest::parse(
            req.page_size,
            &req.page_token,
            &["user_sessions", &req.user_id],
            &mut v,
        );
        v.into_result().map_err(Error::from)?;
        let page = admin::list_user_sessions(&self.state, &req.user_id, &page).await?;
        let now = self.state.clock.now();
        Ok(Response::new(ListUserSessionsResponse {
            sessions: page
                .items
                .into_iter()
                .map(|s| convert::session(s, now, ""))
                .collect(),
            next_page_token: page.next_page_token,
        }))
    }

    #[tracing::instrument(skip_all, fields(rpc = "RevokeUserSessions", user_id))]
    async fn revoke_user_sessions(
        &self,
        request: Request<RevokeUserSessionsRequest>,
    ) -> Result<Response<RevokeUserSessionsResponse>, Status> {
        let caller = self.admin(&request).await?;
        let client = client_info(&request, self.state.config.trust_forwarded_for);
        let req = request.into_inner();
        let mut v = Violations::new();
        required_id("user_id", &req.user_id, &mut v);
        v.into_result().map_err(Error::from)?;
        let count =
            admin::revoke_user_sessions(&self.state, &caller, &req.user_id, &client).await?;
        Ok(Response::new(RevokeUserSessionsResponse {
            revoked_count: i32::try_from(count).unwrap_or(i32::MAX),
        }))
    }

    #[tracing::instrument(skip_all, fields(rpc = "ListSecurityEvents", user_id))]
    async fn list_security_events(
        &self,
        request: Request<ListSecurityEventsRequest>,
    ) -> Result<Response<ListSecurityEventsResponse>, Status> {
        self.admin(&request).await?;
        let req = request.into_inner();
        let mut v = Violations::new();
        if req.user_id.len() > 64 {
            v.add("user_id", "is not an id");
        }
        let event_type = match req.r#type {
            0 => None,
            raw => {
                let kind = EventType::from_proto(raw);
                if kind.is_none() {
                    v.add("type", "unknown security event type");
                }
                kind
            }
        };
        let start = req.start_time.as_ref().map(from_timestamp);
        let end = req.end_time.as_ref().map(from_timestamp);
        if let (Some(start), Some(end)) = (start, end)
            && end < start
        {
            v.add("end_time", "must not be before start_time");
        }
        let start_s = start.map(|s| s.to_string()).unwrap_or_default();
        let end_s = end.map(|s| s.to_string()).unwrap_or_default();
        let page = PageRequest::parse(
            req.page_size,
            &req.page_token,
            &[
                "security_events",
                &req.user_id,
                event_type.map_or("", EventType::as_str),
                &start_s,
                &end_s,
            ],
            &mut v,
        );
        v.into_result().map_err(Error::from)?;
        let filter = EventFilter {
            user_id: (!req.user_id.is_empty()).then_some(req.user_id.as_str()),
            event_type: event_type.map(EventType::as_str),
            start,
            end,
        };
        let page = admin::list_events(&self.state, &filter, &page).await?;
        Ok(Response::new(ListSecurityEventsResponse {
            events: page
                .items
                .into_iter()
                .map(convert::security_event)
                .collect(),
            next_page_token: page.next_page_token,
        }))
    }

    #[tracing::instrument(skip_all, fields(rpc = "RotateSigningKey", user_id))]
    async fn rotate_signing_key(
        &self,
        request: Request<RotateSigningKeyRequest>,
    ) -> Result<Response<RotateSigningKeyResponse>, Status> {
        let caller = self.admin(&request).await?;
        let client = client_info(&request, self.state.config.trust_forwarded_for);
        let kid = admin::rotate_signing_key(&self.state, &caller, &client).await?;
        Ok(Response::new(RotateSigningKeyResponse { kid }))
    }
}
