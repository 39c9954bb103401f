//! The revocation write side the token-lifecycle RPCs build on: one token, one session, all
//! sessions of a user, each with a sequenced feed event in the same transaction.

use shared::pb::auth::v1::GetMeRequest;
use testkit::{Backend, TestAuth, backend_tests};
use tonic::Code;

use crate::helpers::*;

async fn revoking_a_token_or_a_session_flags_rows_and_appends_sequenced_feed_events(
    backend: Backend,
) {
    let auth = TestAuth::spawn(backend).await;
    let registered = register(&auth, "ada").await;
    let token = access(&registered);
    let claims = claims_of(&token);
    let jti = claims["jti"].as_str().unwrap().to_owned();
    let sid = claims["sid"].as_str().unwrap().to_owned();
    let other = login(&auth, "ada", PASSWORD).await.unwrap().tokens.unwrap();

    let mut tx = auth.db.begin().await.unwrap();
    let revoked = stride_auth::revocation::revoke_token(&mut tx, &jti, 1)
        .await
        .unwrap()
        .expect("an active token is revoked");
    assert_eq!(
        (revoked.session_id.as_str(), revoked.sequence),
        (sid.as_str(), 1)
    );
    assert!(
        stride_auth::revocation::revoke_token(&mut tx, &jti, 2)
            .await
            .unwrap()
            .is_none(),
        "revoking twice is a no-op"
    );
    tx.commit().await.unwrap();
    let status = user_client(&auth)
        .await
        .get_me(bearer(GetMeRequest {}, &token))
        .await
        .unwrap_err();
    assert_eq!(
        (status.code(), reason(&status).as_str()),
        (Code::Unauthenticated, "TOKEN_REVOKED")
    );

    let mut tx = auth.db.begin().await.unwrap();
    let sessions = stride_auth::revocation::revoke_user_sessions(
        &mut tx,
        claims["sub"].as_str().unwrap(),
        Some(&sid),
        "test",
        3,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].session_id, other.session_id);

    let feed: Vec<(i64, String, Option<String>, String, i64)> = sqlx::query_as(
        "SELECT sequence, kind, jti, session_id, expires_at FROM revocation_events \
         ORDER BY sequence",
    )
    .fetch_all(auth.db.pool())
    .await
    .unwrap();
    let access_exp = claims["exp"].as_i64().unwrap() * 1_000_000;
    let session_exp: i64 = sqlx::query_scalar("SELECT expires_at FROM sessions WHERE id = $1")
        .bind(&other.session_id)
        .fetch_one(auth.db.pool())
        .await
        .unwrap();
    assert_eq!(
        feed,
        [
            (1, "TOKEN".into(), Some(jti), sid, access_exp),
            (
                2,
                "SESSION".into(),
                None,
                other.session_id.clone(),
                session_exp
            ),
        ]
    );
    let unrevoked: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM refresh_tokens WHERE session_id = $1 AND revoked_at IS NULL",
    )
    .bind(&other.session_id)
    .fetch_one(auth.db.pool())
    .await
    .unwrap();
    assert_eq!(
        unrevoked, 0,
        "a revoked session's tokens are revoked with it"
    );
    auth.stop().await;
}

backend_tests!(revoking_a_token_or_a_session_flags_rows_and_appends_sequenced_feed_events);
