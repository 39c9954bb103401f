//! `AdminService.ListSecurityEvents`: newest first, filtered by user, type and time, paged.

use shared::pb::auth::v1::{ListSecurityEventsRequest, SecurityEvent, SecurityEventType};
use testkit::{Backend, TestAuth, backend_tests};
use tonic::Status;

use crate::helpers::*;

/// A service where Ada registered, logged in, failed once and logged in again; lists events
/// as an admin.
struct Events {
    auth: TestAuth,
    admin_token: String,
    ada: String,
}

impl Events {
    async fn spawn(backend: Backend) -> Self {
        let auth = TestAuth::spawn(backend).await;
        let admin_token = admin_token(&auth).await;
        let ada = register(&auth, "ada").await.user.unwrap().id;
        login(&auth, "ada", PASSWORD).await.unwrap();
        login(&auth, "ada", OTHER_PASSWORD).await.unwrap_err();
        login(&auth, "ada", PASSWORD).await.unwrap();
        Self {
            auth,
            admin_token,
            ada,
        }
    }

    async fn list(
        &self,
        request: ListSecurityEventsRequest,
    ) -> Result<(Vec<SecurityEvent>, String), Status> {
        admin_client(&self.auth)
            .await
            .list_security_events(bearer(request, &self.admin_token))
            .await
            .map(|r| {
                let r = r.into_inner();
                (r.events, r.next_page_token)
            })
    }

    /// Every event of Ada's.
    async fn adas(&self) -> Vec<SecurityEvent> {
        self.list(ListSecurityEventsRequest {
            user_id: self.ada.clone(),
            ..ListSecurityEventsRequest::default()
        })
        .await
        .unwrap()
        .0
    }
}

async fn a_users_security_events_come_newest_first_with_their_ip(backend: Backend) {
    let events = Events::spawn(backend).await;
    let all = events.adas().await;
    let types: Vec<i32> = all.iter().map(|e| e.r#type).collect();
    assert_eq!(
        types,
        [
            SecurityEventType::LoginSucceeded as i32,
            SecurityEventType::LoginFailed as i32,
            SecurityEventType::LoginSucceeded as i32,
            // Registration queues the verification message in the same transaction.
            SecurityEventType::EmailVerificationSent as i32,
            SecurityEventType::Register as i32,
        ],
        "newest first"
    );
    assert!(
        all.iter()
            .all(|e| e.user_id == events.ada && e.ip == "127.0.0.1")
    );
    events.auth.stop().await;
}

async fn security_events_of_one_type_page_one_at_a_time(backend: Backend) {
    let events = Events::spawn(backend).await;
    let all = events.adas().await;
    let mut pages = Vec::new();
    let mut token = String::new();
    loop {
        let (page, next) = events
            .list(ListSecurityEventsRequest {
                r#type: SecurityEventType::LoginSucceeded as i32,
                page_size: 1,
                page_token: token.clone(),
                ..ListSecurityEventsRequest::default()
            })
            .await
            .unwrap();
        pages.extend(page.into_iter().map(|e| e.id));
        if next.is_empty() {
            break;
        }
        token = next;
    }
    assert_eq!(pages, [all[0].id.clone(), all[2].id.clone()]);
    events.auth.stop().await;
}

async fn the_time_filter_includes_its_start_and_excludes_its_end(backend: Backend) {
    let events = Events::spawn(backend).await;
    let cut = events.adas().await[1].created_at;
    let (before, _) = events
        .list(ListSecurityEventsRequest {
            user_id: events.ada.clone(),
            end_time: cut,
            ..ListSecurityEventsRequest::default()
        })
        .await
        .unwrap();
    assert_eq!(before.len(), 3, "end_time is exclusive");
    let (after, _) = events
        .list(ListSecurityEventsRequest {
            user_id: events.ada.clone(),
            start_time: cut,
            ..ListSecurityEventsRequest::default()
        })
        .await
        .unwrap();
    assert_eq!(after.len(), 2, "start_time is inclusive");
    events.auth.stop().await;
}

async fn a_time_range_ending_before_it_starts_names_the_end_time(backend: Backend) {
    let events = Events::spawn(backend).await;
    let all = events.adas().await;
    let backwards = events
        .list(ListSecurityEventsRequest {
            start_time: all[0].created_at,
            end_time: all[3].created_at,
            ..ListSecurityEventsRequest::default()
        })
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&backwards), ["end_time"]);
    events.auth.stop().await;
}

backend_tests!(
    a_users_security_events_come_newest_first_with_their_ip,
    security_events_of_one_type_page_one_at_a_time,
    the_time_filter_includes_its_start_and_excludes_its_end,
    a_time_range_ending_before_it_starts_names_the_end_time,
);
