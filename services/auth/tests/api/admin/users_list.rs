//! `AdminService.ListUsers`: paging oldest first, page tokens bound to their filters, literal
//! search over usernames and full names, role and activity filters.

use shared::pb::auth::v1::{ListUsersRequest, ListUsersResponse, Role};
use testkit::{Backend, TestAuth, backend_tests};
use tonic::Status;

use crate::helpers::*;

/// A service with an admin and five users; lists users as the admin.
struct Listing {
    auth: TestAuth,
    admin_token: String,
}

impl Listing {
    async fn spawn(backend: Backend) -> Self {
        let auth = TestAuth::spawn(backend).await;
        let admin_token = admin_token(&auth).await;
        for name in ["alice", "bob", "carol", "dave", "erin_50"] {
            register(&auth, name).await;
        }
        Self { auth, admin_token }
    }

    async fn list(&self, request: ListUsersRequest) -> Result<ListUsersResponse, Status> {
        admin_client(&self.auth)
            .await
            .list_users(bearer(request, &self.admin_token))
            .await
            .map(tonic::Response::into_inner)
    }

    async fn search(&self, query: &str) -> Vec<String> {
        let found = self
            .list(ListUsersRequest {
                query: query.into(),
                ..ListUsersRequest::default()
            })
            .await
            .unwrap();
        found.users.into_iter().map(|u| u.username).collect()
    }
}

async fn pages_of_users_cover_every_user_once_oldest_first(backend: Backend) {
    let listing = Listing::spawn(backend).await;
    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let page = listing
            .list(ListUsersRequest {
                page_size: 2,
                page_token: token.clone(),
                role: Role::User as i32,
                ..ListUsersRequest::default()
            })
            .await
            .unwrap();
        assert!(page.users.len() <= 2);
        seen.extend(page.users.into_iter().map(|u| u.username));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(
        seen,
        ["alice", "bob", "carol", "dave", "erin_50"],
        "oldest first"
    );
    listing.auth.stop().await;
}

async fn a_page_token_reused_with_other_filters_or_a_negative_page_size_is_rejected(
    backend: Backend,
) {
    let listing = Listing::spawn(backend).await;
    let first = listing
        .list(ListUsersRequest {
            page_size: 1,
            ..ListUsersRequest::default()
        })
        .await
        .unwrap();
    let reused = listing
        .list(ListUsersRequest {
            page_size: 1,
            page_token: first.next_page_token,
            query: "a".into(),
            ..ListUsersRequest::default()
        })
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&reused), ["page_token"]);
    let negative = listing
        .list(ListUsersRequest {
            page_size: -1,
            ..ListUsersRequest::default()
        })
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&negative), ["page_size"]);
    listing.auth.stop().await;
}

async fn search_ignores_case_and_matches_full_names(backend: Backend) {
    let listing = Listing::spawn(backend).await;
    assert_eq!(listing.search("CAR").await, ["carol"]);
    assert_eq!(
        listing.search("lovelace").await.len(),
        6,
        "full names match too"
    );
    listing.auth.stop().await;
}

async fn search_takes_underscore_and_percent_literally(backend: Backend) {
    let listing = Listing::spawn(backend).await;
    assert_eq!(
        listing.search("n_5").await.len(),
        1,
        "'_' matches literally"
    );
    assert!(
        listing.search("%").await.is_empty(),
        "'%' matches literally"
    );
    listing.auth.stop().await;
}

async fn users_filter_by_role_and_by_activity(backend: Backend) {
    let listing = Listing::spawn(backend).await;
    let admins = listing
        .list(ListUsersRequest {
            role: Role::Admin as i32,
            ..ListUsersRequest::default()
        })
        .await
        .unwrap();
    assert_eq!(admins.users.len(), 1);
    let inactive = listing
        .list(ListUsersRequest {
            active: Some(false),
            ..ListUsersRequest::default()
        })
        .await
        .unwrap();
    assert!(inactive.users.is_empty());
    listing.auth.stop().await;
}

backend_tests!(
    pages_of_users_cover_every_user_once_oldest_first,
    a_page_token_reused_with_other_filters_or_a_negative_page_size_is_rejected,
    search_ignores_case_and_matches_full_names,
    search_takes_underscore_and_percent_literally,
    users_filter_by_role_and_by_activity,
);
