//! AdminService.ResetUserMfa.

use shared::pb::auth::v1::ResetUserMfaRequest;
use testkit::backend_tests;
use tonic::Code;

use super::*;

/// `ResetUserMfa` of `user_id` as the session of `token`.
async fn reset(auth: &TestAuth, token: &str, user_id: &str) -> Result<(), Status> {
    admin_client(auth)
        .await
        .reset_user_mfa(bearer(
            ResetUserMfaRequest {
                user_id: user_id.to_owned(),
            },
            token,
        ))
        .await
        .map(drop)
}

async fn an_admin_removes_a_users_second_factor(backend: Backend) {
    let clock = ManualClock::new();
    let auth = spawn(backend, &clock, |_| {}).await;
    let ada = enrolled(&auth, &clock, "ada").await;
    let pending = challenge(&auth, "ada", PASSWORD).await;

    let denied = reset(&auth, &ada.token, &ada.id).await.unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied, "needs ADMIN");
    let admin = admin_token(&auth).await;
    let unknown = reset(&auth, &admin, &stride_auth::new_id())
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);
    assert_eq!(
        bad_fields(&reset(&auth, &admin, "").await.unwrap_err()),
        ["user_id"]
    );
    assert!(mfa_enabled(&auth, &ada.token).await);

    reset(&auth, &admin, &ada.id).await.unwrap();
    assert!(!mfa_enabled(&auth, &ada.token).await);
    let (kind, detail): (String, String) = sqlx::query_as(
        "SELECT event_type, detail FROM security_events WHERE user_id = $1 \
         AND event_type = 'MFA_RESET'",
    )
    .bind(&ada.id)
    .fetch_one(auth.db.pool())
    .await
    .unwrap();
    assert_eq!(kind, "MFA_RESET");
    assert!(detail.starts_with("by admin "), "{detail}");
    for table in ["mfa_totp", "mfa_recovery_codes", "mfa_challenges"] {
        let left: i64 =
            sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table} WHERE user_id = $1"))
                .bind(&ada.id)
                .fetch_one(auth.db.pool())
                .await
                .unwrap();
        assert_eq!(left, 0, "{table}");
    }
    // The pending challenge died with the factor; the password alone signs in now.
    let code = code_at(&ada.totp, &clock);
    assert_eq!(
        reason(&complete(&auth, &pending, &code).await.unwrap_err()),
        "INVALID_MFA_CHALLENGE"
    );
    let signed_in = login(&auth, "ada", PASSWORD).await.unwrap();
    assert!(signed_in.tokens.is_some() && signed_in.mfa_challenge.is_empty());
    auth.stop().await;
}

backend_tests!(an_admin_removes_a_users_second_factor);
