//! The revocation write side the token-lifecycle RPCs build on: one token, one session, all
//! sessions of a user, each with a sequenced feed event in the same transaction.

use shared::pb::auth::v1::session_service_client::SessionServiceClient;
use shared::pb::auth::v1::{GetMeRequest, RevokeAllSessionsRequest, RevokeTokenRequest};
use testkit::{Backend, TestAuth, backend_tests};
use tonic::Code;

use crate::helpers::*;

async fn revoking_a_token_or_sessions_flags_rows_and_appends_sequenced_feed_events(
    backend: Backend,
) {
    let auth = TestAuth::spawn(backend).await;
    let registered = register(&auth, "ada").await;
    let token = access(&registered);
    let claims = claims_of(&token);
    let jti = claims["jti"].as_str().unwrap().to_owned();
    let first = claims["sid"].as_str().unwrap().to_owned();
    let second = login(&auth, "ada", PASSWORD).await.unwrap().tokens.unwrap();
    let mut sessions = SessionServiceClient::new(auth.channel().await);

    // One token, twice: the second revocation is a no-op and appends nothing.
    for _ in 0..2 {
        sessions
            .revoke_token(bearer(
                RevokeTokenRequest { jti: jti.clone() },
                &second.access_token,
            ))
            .await
            .unwrap();
    }
    let status = user_client(&auth)
        .await
        .get_me(bearer(GetMeRequest {}, &token))
        .await
        .unwrap_err();
    assert_eq!(
        (status.code(), reason(&status).as_str()),
        (Code::Unauthenticated, "TOKEN_REVOKED")
    );

    // Every session but the current one.
    let third = login(&auth, "ada", PASSWORD).await.unwrap().tokens.unwrap();
    let revoked = sessions
        .revoke_all_sessions(bearer(
            RevokeAllSessionsRequest { keep_current: true },
            &third.access_token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(revoked.revoked_count, 2);

    let feed: Vec<(i64, String, Option<String>, String, i64)> = sqlx::query_as(
        "SELECT sequence, kind, jti, session_id, expires_at FROM revocation_events \
         ORDER BY sequence",
    )
    .fetch_all(auth.db.pool())
    .await
    .unwrap();
    let exp_of = |token: &str| claims_of(token)["exp"].as_i64().unwrap() * 1_000_000;
    let access_exp = exp_of(&token);
    // A SESSION event expires with the session's last access token (what resource servers
    // must refuse), long before the session itself would have.
    assert_eq!(
        feed,
        [
            (1, "TOKEN".into(), Some(jti), first.clone(), access_exp),
            (2, "SESSION".into(), None, first.clone(), access_exp),
            (
                3,
                "SESSION".into(),
                None,
                second.session_id.clone(),
                exp_of(&second.access_token)
            ),
        ]
    );
    let session_end: i64 = sqlx::query_scalar("SELECT expires_at FROM sessions WHERE id = $1")
        .bind(&second.session_id)
        .fetch_one(auth.db.pool())
        .await
        .unwrap();
    assert!(session_end > exp_of(&second.access_token) + 86_400 * 1_000_000);
    let unrevoked: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM refresh_tokens WHERE session_id = $1 AND revoked_at IS NULL",
    )
    .bind(&second.session_id)
    .fetch_one(auth.db.pool())
    .await
    .unwrap();
    assert_eq!(
        unrevoked, 0,
        "a revoked session's tokens are revoked with it"
    );
    auth.stop().await;
}

backend_tests!(revoking_a_token_or_sessions_flags_rows_and_appends_sequenced_feed_events);
