//! Key rotation end to end: old tokens keep verifying until they expire, new ones carry the
//! new kid, and the JWKS serves both until the retired key can have no live token.

use std::time::Duration;

use shared::pb::auth::v1::{
    GetMeRequest, RotateSigningKeyRequest, admin_service_client::AdminServiceClient,
};
use stride_auth::clock::ManualClock;
use testkit::{Backend, TestAuth, backend_tests};

use crate::helpers::*;

async fn jwks_kids(auth: &TestAuth) -> Vec<String> {
    jwks(auth).await.keys.into_iter().map(|k| k.kid).collect()
}

async fn a_retired_key_verifies_its_tokens_until_they_expire_then_leaves_the_jwks(
    backend: Backend,
) {
    let clock = ManualClock::new();
    let auth = TestAuth::spawn_with(backend, |c| c.clock = clock.clock()).await;
    let admin = register(&auth, "root").await;
    sqlx::query("UPDATE users SET role = 'ADMIN' WHERE id = $1")
        .bind(&admin.user.as_ref().unwrap().id)
        .execute(auth.db.pool())
        .await
        .unwrap();
    let old = signed_up(&auth, "ada").await;
    let old_kid = header_of(&old.access_token)["kid"]
        .as_str()
        .unwrap()
        .to_owned();

    let new_kid = AdminServiceClient::new(auth.channel().await)
        .rotate_signing_key(bearer(
            RotateSigningKeyRequest {},
            &admin.tokens.as_ref().unwrap().access_token,
        ))
        .await
        .unwrap()
        .into_inner()
        .kid;
    assert_ne!(new_kid, old_kid);
    assert_eq!(jwks_kids(&auth).await, [new_kid.clone(), old_kid.clone()]);

    // Old tokens keep working: GetMe, introspection, and refreshing the old refresh token,
    // which yields a pair signed by the new key.
    user_client(&auth)
        .await
        .get_me(bearer(GetMeRequest {}, &old.access_token))
        .await
        .expect("an access token of the retired key");
    assert!(introspect(&auth, &old.access_token).await.active);
    let renewed = refresh(&auth, &old.refresh_token).await.unwrap();
    assert_eq!(header_of(&renewed.access_token)["kid"], new_kid.as_str());
    assert_eq!(header_of(&renewed.refresh_token)["kid"], new_kid.as_str());
    let fresh = signed_up(&auth, "bob").await;
    assert_eq!(header_of(&fresh.access_token)["kid"], new_kid.as_str());

    // A token of the retired key still verifies near the end of its life…
    let late = signed_up(&auth, "cyd").await; // new key; control for the end
    clock.advance(Duration::from_secs(9 * 60));
    assert!(introspect(&auth, &old.access_token).await.active);
    assert_eq!(jwks_kids(&auth).await.len(), 2);
    // …and once every token it signed must have expired, the JWKS drops it.
    clock.advance(Duration::from_secs(14 * 86_400 + 120));
    assert_eq!(jwks_kids(&auth).await, vec![new_kid.clone()]);
    let gone = introspect(&auth, &old.refresh_token).await;
    assert!(!gone.active);
    assert_eq!(gone.inactive_reason, "UNKNOWN_KEY");
    assert!(!introspect(&auth, &late.access_token).await.active);
    auth.stop().await;
}

backend_tests!(a_retired_key_verifies_its_tokens_until_they_expire_then_leaves_the_jwks);
