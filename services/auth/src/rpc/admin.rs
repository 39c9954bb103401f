//! `stride.auth.v1.AdminService`: role admin.

use shared::error::Violations;
use shared::paging::PageRequest;
use shared::pb::auth::v1::admin_service_server::AdminService;
use shared::pb::auth::v1::{
    DeleteUserRequest, GetAvatarResponse, GetOverviewRequest, GetOverviewResponse,
    GetTokenTreeResponse, GetUserAvatarRequest, GetUserRequest, GetUserTokenTreeRequest,
    ListSecurityEventsRequest, ListSecurityEventsResponse, ListSigningKeysRequest,
    ListSigningKeysResponse, ListUserSessionsRequest, ListUserSessionsResponse, ListUsersRequest,
    ListUsersResponse, ResetUserMfaRequest, RevokeUserSessionsRequest, RevokeUserSessionsResponse,
    RotateSigningKeyRequest, RotateSigningKeyResponse, UpdateUserRequest, User,
};
use shared::sql::contains_pattern;
use shared::time::from_timestamp;
use tonic::{Request, Response, Status};

use crate::app::AppState;
use crate::domain::Role;
use crate::domain::admin::{self, Admin, UserChange};
use crate::domain::caller::Caller;
use crate::domain::overview::{self, Days};
use crate::domain::security_events::EventType;
use crate::domain::session_list::Position;
use crate::domain::token_tree;
use crate::domain::values::{Id, Text};
use crate::error::{Error, Result};
use crate::rpc::{account, convert, id, mfa, valid, valid_then};
use crate::store::security_events::EventFilter;
use crate::store::users::listing::UserFilter;

/// Longest search text, in characters.
const MAX_QUERY_CHARS: usize = 100;

/// Handler of `AdminService`.
#[derive(Debug, Clone)]
pub(crate) struct AdminApi {
    state: AppState,
}

impl AdminApi {
    /// A handler over the shared state.
    pub(crate) fn new(state: AppState) -> Self {
        Self { state }
    }

    /// Authenticates and requires role ADMIN.
    async fn admin<T>(&self, request: &Request<T>) -> Result<Caller> {
        self.state.caller_with(request, Role::Admin).await
    }

    fn users(&self) -> Admin<'_> {
        Admin {
            db: &self.state.db,
            clock: &self.state.clock,
            feed: &self.state.feed,
        }
    }
}

/// A parsed `ListUsers`.
struct UserListing {
    filter: UserFilter,
    page: PageRequest<Position>,
}

impl TryFrom<ListUsersRequest> for UserListing {
    type Error = Error;

    fn try_from(req: ListUsersRequest) -> Result<Self> {
        let mut v = Violations::new();
        let query = v.check("query", Text::<MAX_QUERY_CHARS>::parse(req.query));
        let role = match req.role {
            0 => None,
            raw => convert::role_from_proto(raw).or_else(|| {
                v.add("role", "unknown role");
                None
            }),
        };
        let query = query.map(Text::into_string).unwrap_or_default();
        let active = req.active.map_or("", |a| if a { "1" } else { "0" });
        let page = PageRequest::parse(
            req.page_size,
            &req.page_token,
            &["users", &query, role.map_or("", Role::as_str), active],
            &mut v,
        );
        valid(v)?;
        let filter = UserFilter {
            query_like: (!query.is_empty()).then(|| contains_pattern(&query)),
            role: role.map(Role::as_str),
            active: req.active,
        };
        Ok(Self { filter, page })
    }
}

/// A parsed `UpdateUser`.
struct UserUpdate {
    user_id: Id,
    change: UserChange,
}

impl TryFrom<UpdateUserRequest> for UserUpdate {
    type Error = Error;

    fn try_from(req: UpdateUserRequest) -> Result<Self> {
        let mut v = Violations::new();
        let user_id = v.check("user_id", Id::parse(req.user_id));
        let mut populated = Vec::new();
        if req.active.is_some() {
            populated.push("active");
        }
        if req.role != 0 {
            populated.push("role");
        }
        let mask = shared::mask::paths(req.update_mask.as_ref(), &["active", "role"], &populated);
        let paths = mask.unwrap_or_else(|found| {
            for f in found.fields() {
                v.add(f.field.clone(), f.description.clone());
            }
            Vec::new()
        });
        let mut change = UserChange::default();
        if paths.contains(&"active") {
            // proto3 `optional`: an unset flag named in the mask means "false".
            change.active = Some(req.active.unwrap_or(false));
        }
        if paths.contains(&"role") {
            change.role = convert::role_from_proto(req.role);
            if change.role.is_none() {
                v.add("role", "must be USER, STAFF or ADMIN");
            }
        }
        valid_then(v, || {
            Some(Self {
                user_id: user_id?,
                change,
            })
        })
    }
}

/// A parsed `ListSecurityEvents`.
struct EventListing {
    filter: EventFilter,
    page: PageRequest<Position>,
}

impl TryFrom<ListSecurityEventsRequest> for EventListing {
    type Error = Error;

    fn try_from(req: ListSecurityEventsRequest) -> Result<Self> {
        let mut v = Violations::new();
        let user_id = v
            .check("user_id", Id::parse_optional(req.user_id))
            .flatten();
        let event_type = match req.r#type {
            0 => None,
            raw => EventType::from_proto(raw).or_else(|| {
                v.add("type", "unknown security event type");
                None
            }),
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
                user_id.as_ref().map_or("", Id::as_str),
                event_type.map_or("", EventType::as_str),
                &start_s,
                &end_s,
            ],
            &mut v,
        );
        valid(v)?;
        let filter = EventFilter {
            user_id: user_id.map(|id| id.as_str().to_owned()),
            event_type: event_type.map(EventType::as_str),
            start,
            end,
        };
        Ok(Self { filter, page })
    }
}

#[tonic::async_trait]
impl AdminService for AdminApi {
    #[tracing::instrument(level = "debug", skip_all, fields(rpc = "ListUsers", user_id))]
    async fn list_users(
        &self,
        request: Request<ListUsersRequest>,
    ) -> Result<Response<ListUsersResponse>, Status> {
        self.admin(&request).await?;
        let input = UserListing::try_from(request.into_inner())?;
        let page = admin::list_users(&self.state.db, &input.filter, &input.page).await?;
        let page = page.map(convert::user);
        Ok(Response::new(ListUsersResponse {
            users: page.items,
            next_page_token: page.next_page_token,
        }))
    }

    #[tracing::instrument(level = "debug", skip_all, fields(rpc = "GetUser", user_id))]
    async fn get_user(&self, request: Request<GetUserRequest>) -> Result<Response<User>, Status> {
        self.admin(&request).await?;
        let user_id = id("user_id", request.into_inner().user_id)?;
        let user = admin::get_user(&self.state.db, user_id.as_str()).await?;
        Ok(Response::new(convert::user(user)))
    }

    #[tracing::instrument(level = "debug", skip_all, fields(rpc = "UpdateUser", user_id))]
    async fn update_user(
        &self,
        request: Request<UpdateUserRequest>,
    ) -> Result<Response<User>, Status> {
        let caller = self.admin(&request).await?;
        let client = self.state.client(&request);
        let input = UserUpdate::try_from(request.into_inner())?;
        let user = self
            .users()
            .update_user(&caller, input.user_id.as_str(), input.change, &client)
            .await?;
        Ok(Response::new(convert::user(user)))
    }

    #[tracing::instrument(level = "debug", skip_all, fields(rpc = "ListUserSessions", user_id))]
    async fn list_user_sessions(
        &self,
        request: Request<ListUserSessionsRequest>,
    ) -> Result<Response<ListUserSessionsResponse>, Status> {
        self.admin(&request).await?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let user_id = v.check("user_id", Id::parse(req.user_id.clone()));
        let page = PageRequest::parse(
            req.page_size,
            &req.page_token,
            &["user_sessions", &req.user_id],
            &mut v,
        );
        let user_id = valid_then(v, || user_id)?;
        let page = admin::list_user_sessions(&self.state.db, user_id.as_str(), &page).await?;
        let now = self.state.clock.now();
        let page = page.map(|s| convert::session(s, now, ""));
        Ok(Response::new(ListUserSessionsResponse {
            sessions: page.items,
            next_page_token: page.next_page_token,
        }))
    }

    #[tracing::instrument(level = "debug", skip_all, fields(rpc = "RevokeUserSessions", user_id))]
    async fn revoke_user_sessions(
        &self,
        request: Request<RevokeUserSessionsRequest>,
    ) -> Result<Response<RevokeUserSessionsResponse>, Status> {
        let caller = self.admin(&request).await?;
        let client = self.state.client(&request);
        let user_id = id("user_id", request.into_inner().user_id)?;
        let count = self
            .users()
            .revoke_user_sessions(&caller, user_id.as_str(), &client)
            .await?;
        Ok(Response::new(RevokeUserSessionsResponse {
            revoked_count: i32::try_from(count).unwrap_or(i32::MAX),
        }))
    }

    #[tracing::instrument(level = "debug", skip_all, fields(rpc = "ListSecurityEvents", user_id))]
    async fn list_security_events(
        &self,
        request: Request<ListSecurityEventsRequest>,
    ) -> Result<Response<ListSecurityEventsResponse>, Status> {
        self.admin(&request).await?;
        let input = EventListing::try_from(request.into_inner())?;
        let page = admin::list_events(&self.state.db, &input.filter, &input.page).await?;
        let page = page.map(convert::security_event);
        Ok(Response::new(ListSecurityEventsResponse {
            events: page.items,
            next_page_token: page.next_page_token,
        }))
    }

    #[tracing::instrument(level = "debug", skip_all, fields(rpc = "RotateSigningKey", user_id))]
    async fn rotate_signing_key(
        &self,
        request: Request<RotateSigningKeyRequest>,
    ) -> Result<Response<RotateSigningKeyResponse>, Status> {
        let caller = self.admin(&request).await?;
        let client = self.state.client(&request);
        let s = &self.state;
        let kid = admin::rotate_signing_key(&s.keys, &s.config.tokens, &caller, &client).await?;
        Ok(Response::new(RotateSigningKeyResponse { kid }))
    }

    #[tracing::instrument(level = "debug", skip_all, fields(rpc = "DeleteUser", user_id))]
    async fn delete_user(
        &self,
        request: Request<DeleteUserRequest>,
    ) -> Result<Response<()>, Status> {
        let caller = self.admin(&request).await?;
        account::admin_delete_user(&self.state, &caller, request).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(rpc = "ResetUserMfa", user_id))]
    async fn reset_user_mfa(
        &self,
        request: Request<ResetUserMfaRequest>,
    ) -> Result<Response<()>, Status> {
        let caller = self.admin(&request).await?;
        mfa::admin_reset(&self.state, &caller, request).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(rpc = "GetOverview", user_id))]
    async fn get_overview(
        &self,
        request: Request<GetOverviewRequest>,
    ) -> Result<Response<GetOverviewResponse>, Status> {
        self.admin(&request).await?;
        let mut v = Violations::new();
        let days = v.check("days", Days::parse(request.into_inner().days));
        let days = valid_then(v, || days)?;
        let now = self.state.clock.now();
        let figures = overview::overview(&self.state.db, now, days).await?;
        Ok(Response::new(convert::overview(figures)))
    }

    #[tracing::instrument(level = "debug", skip_all, fields(rpc = "GetUserTokenTree", user_id))]
    async fn get_user_token_tree(
        &self,
        request: Request<GetUserTokenTreeRequest>,
    ) -> Result<Response<GetTokenTreeResponse>, Status> {
        self.admin(&request).await?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let user_id = v.check("user_id", Id::parse(req.user_id));
        let session_id = v.check("session_id", Id::parse(req.session_id));
        let (user_id, session_id) = valid_then(v, || user_id.zip(session_id))?;
        let tree = token_tree::tree(&self.state.db, user_id.as_str(), session_id.as_str()).await?;
        let now = self.state.clock.now();
        // An admin's view: no session is the caller's own (as in ListUserSessions).
        Ok(Response::new(GetTokenTreeResponse {
            tree: Some(convert::token_tree(tree, now, "")),
        }))
    }

    #[tracing::instrument(level = "debug", skip_all, fields(rpc = "GetUserAvatar", user_id))]
    async fn get_user_avatar(
        &self,
        request: Request<GetUserAvatarRequest>,
    ) -> Result<Response<GetAvatarResponse>, Status> {
        self.admin(&request).await?;
        let user_id = id("user_id", request.into_inner().user_id)?;
        let (content_type, image) = admin::user_avatar(&self.state.db, user_id.as_str()).await?;
        Ok(Response::new(GetAvatarResponse {
            image,
            content_type,
        }))
    }

    #[tracing::instrument(level = "debug", skip_all, fields(rpc = "ListSigningKeys", user_id))]
    async fn list_signing_keys(
        &self,
        request: Request<ListSigningKeysRequest>,
    ) -> Result<Response<ListSigningKeysResponse>, Status> {
        self.admin(&request).await?;
        let keys = admin::signing_keys(&self.state.keys).await;
        Ok(Response::new(ListSigningKeysResponse {
            keys: keys.iter().map(convert::signing_key).collect(),
        }))
    }
}
