//! Account deletion: what goes, what stays (anonymised), who may, and the feed event that
//! tells other services.

use std::time::Duration;

use shared::pb::auth::v1::{
    CheckRevocationRequest, DeleteUserRequest, RevocationKind, SetAvatarRequest,
    WatchRevocationsRequest, watch_revocations_response::Payload,
};
use stride_auth::clock::ManualClock;
use testkit::{Backend, TestAuth, backend_tests};
use tonic::Code;

use super::*;

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

/// Every table that holds a user's rows, with the column naming the user.
const USER_TABLES: &[(&str, &str)] = &[
    ("users", "id"),
    ("profiles", "user_id"),
    ("avatars", "user_id"),
    ("sessions", "user_id"),
    ("refresh_tokens", "user_id"),
    ("access_tokens", "user_id"),
    ("known_clients", "user_id"),
    ("account_tokens", "user_id"),
];

async fn deleting_my_account_removes_every_row_and_refuses_my_tokens_everywhere(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    let ada = register(&auth, "ada").await;
    let ada_id = ada.user.as_ref().unwrap().id.clone();
    let first = ada.tokens.unwrap();
    let second = sign_in(&auth, "ada", "phone").await;
    user_client(&auth)
        .await
        .set_avatar(bearer(
            SetAvatarRequest {
                image: PNG.to_vec(),
            },
            &second.access_token,
        ))
        .await
        .unwrap();
    let bob = signed_up(&auth, "bob").await;
    for (table, column) in USER_TABLES {
        assert!(
            rows_of(&auth, table, column, &ada_id).await > 0,
            "{table} has rows of ada before the deletion"
        );
    }

    delete_me(&auth, &second.access_token, PASSWORD)
        .await
        .unwrap();

    for (table, column) in USER_TABLES {
        assert_eq!(
            rows_of(&auth, table, column, &ada_id).await,
            0,
            "{table} still has rows of ada"
        );
    }
    // Both sessions' tokens are refused here and by introspection (other services).
    for pair in [&first, &second] {
        let status = get_me(&auth, &pair.access_token).await.unwrap_err();
        assert_eq!(status.code(), Code::Unauthenticated);
        assert!(!introspect(&auth, &pair.access_token).await.active);
        assert_eq!(
            refresh(&auth, &pair.refresh_token)
                .await
                .unwrap_err()
                .code(),
            Code::Unauthenticated
        );
    }
    assert_eq!(
        login(&auth, "ada", PASSWORD).await.unwrap_err().code(),
        Code::Unauthenticated
    );
    // A resource server whose feed is silent asks CheckRevocation: the deleted sessions are
    // revoked there too, though their rows are gone.
    let answer = introspection_client(&auth)
        .await
        .check_revocation(with_key(CheckRevocationRequest {
            jtis: Vec::new(),
            sids: vec![first.session_id.clone(), second.session_id.clone()],
        }))
        .await
        .unwrap()
        .into_inner();
    let mut sids = vec![first.session_id.clone(), second.session_id.clone()];
    sids.sort();
    assert_eq!(answer.revoked_sids, sids);
    // Bob is untouched.
    get_me(&auth, &bob.access_token).await.unwrap();
    // The name and address are free again.
    register(&auth, "ada").await;
    auth.stop().await;
}

async fn the_security_log_keeps_anonymised_events_and_the_deletion(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    let ada = register(&auth, "ada").await;
    let ada_id = ada.user.as_ref().unwrap().id.clone();
    let token = access(&ada);
    delete_me(&auth, &token, PASSWORD).await.unwrap();
    let events: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT event_type, ip, user_agent, detail FROM security_events WHERE user_id = $1 \
         ORDER BY created_at, id",
    )
    .bind(&ada_id)
    .fetch_all(auth.db.pool())
    .await
    .unwrap();
    let types: Vec<&str> = events.iter().map(|e| e.0.as_str()).collect();
    assert!(types.contains(&"REGISTER"), "{types:?}");
    assert_eq!(types.last(), Some(&"USER_DELETED"));
    for (kind, ip, user_agent, detail) in &events[..events.len() - 1] {
        assert_eq!(
            (ip.as_str(), user_agent.as_str(), detail.as_str()),
            ("", "", ""),
            "{kind} is not anonymised"
        );
    }
    let text: Vec<String> = sqlx::query_scalar("SELECT detail FROM security_events")
        .fetch_all(auth.db.pool())
        .await
        .unwrap();
    assert!(
        !text.iter().any(|d| d.contains("ada@example.com")),
        "{text:?}"
    );
    auth.stop().await;
}

async fn the_deletion_goes_on_the_feed_after_the_session_revocations(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    let ada = register(&auth, "ada").await;
    let ada_id = ada.user.as_ref().unwrap().id.clone();
    let session_id = ada.tokens.as_ref().unwrap().session_id.clone();
    let before = std::time::SystemTime::now();
    delete_me(&auth, &access(&ada), PASSWORD).await.unwrap();

    let mut feed = introspection_client(&auth)
        .await
        .watch_revocations(with_key(WatchRevocationsRequest::default()))
        .await
        .unwrap()
        .into_inner();
    let mut events = Vec::new();
    while events.len() < 2 {
        let message = tokio::time::timeout(Duration::from_secs(20), feed.message())
            .await
            .expect("the feed delivers within the deadline")
            .unwrap()
            .unwrap();
        if let Some(Payload::Event(event)) = message.payload {
            events.push(event);
        }
    }
    assert_eq!(events[0].kind(), RevocationKind::Session);
    assert_eq!(events[0].sid, session_id);
    assert_eq!(events[1].kind(), RevocationKind::UserDeleted);
    assert_eq!(events[1].user_id, ada_id);
    assert!(events[1].jti.is_empty() && events[1].sid.is_empty());
    // Kept for the deletion retention (30 days by default), so a late reader still sees it.
    let expires = events[1].expires_at.unwrap().seconds;
    let base = before
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!(
        expires >= base + 29 * 86_400,
        "the deletion stays in the feed for the retention"
    );
    auth.stop().await;
}

async fn a_wrong_password_deletes_nothing_and_counts_toward_the_lockout(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    let ada = register(&auth, "ada").await;
    let token = access(&ada);
    let status = delete_me(&auth, &token, OTHER_PASSWORD).await.unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    get_me(&auth, &token).await.unwrap();
    let failures: i64 = sqlx::query_scalar("SELECT CAST(failed_logins AS BIGINT) FROM users")
        .fetch_one(auth.db.pool())
        .await
        .unwrap();
    assert_eq!(failures, 1);
    auth.stop().await;
}

async fn without_the_password_only_a_recent_sign_in_may_delete(backend: Backend) {
    let clock = ManualClock::new();
    let auth = TestAuth::spawn_with(backend, |c| c.clock = clock.clock()).await;
    let ada = register(&auth, "ada").await;
    let old = access(&ada);
    clock.advance(Duration::from_secs(6 * 60));
    let status = delete_me(&auth, &old, "").await.unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert_eq!(reason(&status), "PASSWORD_REQUIRED");
    get_me(&auth, &old).await.unwrap();
    // A refresh is not a sign-in: the session stays as old as it was.
    let refreshed = refresh(&auth, &ada.tokens.as_ref().unwrap().refresh_token)
        .await
        .unwrap();
    let status = delete_me(&auth, &refreshed.access_token, "")
        .await
        .unwrap_err();
    assert_eq!(reason(&status), "PASSWORD_REQUIRED");
    let fresh = sign_in(&auth, "ada", "laptop").await;
    delete_me(&auth, &fresh.access_token, "").await.unwrap();
    assert_eq!(
        get_me(&auth, &old).await.unwrap_err().code(),
        Code::Unauthenticated
    );
    auth.stop().await;
}

async fn admins_delete_other_accounts_and_nobody_else_may(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    let admin = admin_token(&auth).await;
    let ada = register(&auth, "ada").await;
    let ada_id = ada.user.as_ref().unwrap().id.clone();
    let bob = signed_up(&auth, "bob").await;
    let mut admins = admin_client(&auth).await;
    let request = |id: &str| DeleteUserRequest {
        user_id: id.to_owned(),
    };

    let denied = admins
        .delete_user(bearer(request(&ada_id), &bob.access_token))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);
    let unknown = admins
        .delete_user(bearer(
            request("0190a5d8-ac96-774b-bcce-b302099a8057"),
            &admin,
        ))
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);
    let malformed = admins
        .delete_user(bearer(request(""), &admin))
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&malformed), ["user_id"]);
    let admin_id = claims_of(&admin)["sub"].as_str().unwrap().to_owned();
    let own = admins
        .delete_user(bearer(request(&admin_id), &admin))
        .await
        .unwrap_err();
    assert_eq!(reason(&own), "CANNOT_DELETE_SELF");

    admins
        .delete_user(bearer(request(&ada_id), &admin))
        .await
        .unwrap();
    assert_eq!(rows_of(&auth, "users", "id", &ada_id).await, 0);
    assert_eq!(
        get_me(&auth, &access(&ada)).await.unwrap_err().code(),
        Code::Unauthenticated
    );
    let again = admins
        .delete_user(bearer(request(&ada_id), &admin))
        .await
        .unwrap_err();
    assert_eq!(again.code(), Code::NotFound);
    let detail: String =
        sqlx::query_scalar("SELECT detail FROM security_events WHERE event_type = 'USER_DELETED'")
            .fetch_one(auth.db.pool())
            .await
            .unwrap();
    assert!(
        detail.starts_with(&format!("by admin {admin_id}")),
        "{detail}"
    );
    auth.stop().await;
}

async fn two_concurrent_deletions_delete_once(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    let ada = register(&auth, "ada").await;
    let token = access(&ada);
    let (a, b) = tokio::join!(
        delete_me(&auth, &token, PASSWORD),
        delete_me(&auth, &token, PASSWORD)
    );
    let oks = [&a, &b].iter().filter(|r| r.is_ok()).count();
    assert_eq!(oks, 1, "{a:?} {b:?}");
    let deleted: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM revocation_events WHERE kind = 'USER_DELETED'")
            .fetch_one(auth.db.pool())
            .await
            .unwrap();
    assert_eq!(deleted, 1);
    auth.stop().await;
}

backend_tests!(
    deleting_my_account_removes_every_row_and_refuses_my_tokens_everywhere,
    the_security_log_keeps_anonymised_events_and_the_deletion,
    the_deletion_goes_on_the_feed_after_the_session_revocations,
    a_wrong_password_deletes_nothing_and_counts_toward_the_lockout,
    without_the_password_only_a_recent_sign_in_may_delete,
    admins_delete_other_accounts_and_nobody_else_may,
    two_concurrent_deletions_delete_once,
);
