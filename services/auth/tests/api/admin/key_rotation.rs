//! `AdminService.RotateSigningKey`: the new key signs, the old one keeps verifying.

use shared::pb::auth::v1::user_service_client::UserServiceClient;
use shared::pb::auth::v1::{GetMeRequest, RotateSigningKeyRequest};
use testkit::{Backend, TestAuth, backend_tests};

use crate::helpers::*;

async fn key_rotation_signs_new_tokens_with_the_new_kid_and_old_tokens_keep_verifying(
    backend: Backend,
) {
    let auth = TestAuth::spawn(backend).await;
    let admin_token = admin_token(&auth).await;
    let old_kid = header_of(&admin_token)["kid"].as_str().unwrap().to_owned();
    // A replica sharing the database, loaded before the rotation.
    let mut config = stride_auth::Config::for_tests(auth.test_db().url().clone());
    config.tokens.issuer = "stride".into();
    let replica = stride_auth::App::build(config).await.unwrap();

    let rotated = admin_client(&auth)
        .await
        .rotate_signing_key(bearer(RotateSigningKeyRequest {}, &admin_token))
        .await
        .unwrap()
        .into_inner();
    assert_ne!(rotated.kid, old_kid);
    let fresh = access(&register(&auth, "ada").await);
    assert_eq!(header_of(&fresh)["kid"], rotated.kid.as_str());
    user_client(&auth)
        .await
        .get_me(bearer(GetMeRequest {}, &admin_token))
        .await
        .expect("a token signed by the retired key still verifies");
    let jwks = jwks(&auth).await;
    let kids: Vec<&str> = jwks.keys.iter().map(|k| k.kid.as_str()).collect();
    assert_eq!(
        kids,
        [rotated.kid.as_str(), old_kid.as_str()],
        "active key first"
    );
    let replica_addr = replica.local_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(replica.run(async {
        let _ = stopped.await;
    }));
    UserServiceClient::new(testkit::channel(replica_addr).await)
        .get_me(bearer(GetMeRequest {}, &fresh))
        .await
        .expect("another replica learns the new kid from the database");
    let _ = stop.send(());
    serving.await.unwrap().unwrap();

    let (retired_at, expires_at): (Option<i64>, Option<i64>) =
        sqlx::query_as("SELECT retired_at, expires_at FROM signing_keys WHERE kid = $1")
            .bind(&old_kid)
            .fetch_one(auth.db.pool())
            .await
            .unwrap();
    let lifetime = expires_at.unwrap() - retired_at.unwrap();
    assert!(
        lifetime >= 14 * 86_400 * 1_000_000,
        "a retired key outlives every refresh token it signed"
    );
    assert_eq!(event_count(&auth, "SIGNING_KEY_ROTATED").await, 1);
    auth.stop().await;
}

backend_tests!(key_rotation_signs_new_tokens_with_the_new_kid_and_old_tokens_keep_verifying);
