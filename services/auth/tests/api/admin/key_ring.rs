//! `AdminService.ListSigningKeys`: the key ring newest first, each key's public half exactly as
//! the JWKS publishes it, and when it was made, retired and leaves the JWKS.

use std::time::Duration;

use shared::pb::auth::v1::{ListSigningKeysRequest, RotateSigningKeyRequest, SigningKey};
use shared::time::from_timestamp;
use stride_auth::clock::ManualClock;
use testkit::{Backend, TestAuth, backend_tests};

use crate::helpers::*;

async fn ring(auth: &TestAuth, admin: &str) -> Vec<SigningKey> {
    admin_client(auth)
        .await
        .list_signing_keys(bearer(ListSigningKeysRequest {}, admin))
        .await
        .unwrap()
        .into_inner()
        .keys
}

/// `(created_at, retired_at, expires_at)` of key `kid` as stored.
async fn stored_times(auth: &TestAuth, kid: &str) -> (i64, Option<i64>, Option<i64>) {
    sqlx::query_as("SELECT created_at, retired_at, expires_at FROM signing_keys WHERE kid = $1")
        .bind(kid)
        .fetch_one(auth.db.pool())
        .await
        .unwrap()
}

/// A key's times as listed, in microseconds.
fn listed_times(key: &SigningKey) -> (i64, Option<i64>, Option<i64>) {
    (
        from_timestamp(key.created_at.as_ref().unwrap()),
        key.retired_at.as_ref().map(from_timestamp),
        key.expires_at.as_ref().map(from_timestamp),
    )
}

async fn the_key_ring_lists_the_active_key_then_retired_ones_as_the_jwks_has_them(
    backend: Backend,
) {
    let clock = ManualClock::new();
    let auth = TestAuth::spawn_with(backend, |c| c.clock = clock.clock()).await;
    let admin = admin_token(&auth).await;
    let started = clock.clock().now();

    let first = ring(&auth, &admin).await;
    assert_eq!(first.len(), 1);
    let old = &first[0];
    assert!(old.active);
    assert_eq!(listed_times(old), (started, None, None));
    assert_eq!(old.public_key.as_ref(), jwks(&auth).await.keys.first());

    clock.advance(Duration::from_secs(300));
    let rotated_at = clock.clock().now();
    let new_kid = admin_client(&auth)
        .await
        .rotate_signing_key(bearer(RotateSigningKeyRequest {}, &admin))
        .await
        .unwrap()
        .into_inner()
        .kid;
    let keys = ring(&auth, &admin).await;
    let kids: Vec<&str> = keys.iter().map(|k| k.kid.as_str()).collect();
    assert_eq!(kids, [new_kid.as_str(), old.kid.as_str()], "newest first");
    assert_eq!(
        keys.iter().map(|k| k.active).collect::<Vec<_>>(),
        [true, false]
    );
    assert_eq!(listed_times(&keys[0]), (rotated_at, None, None));
    let (created, retired, expires) = listed_times(&keys[1]);
    assert_eq!((created, retired), (started, Some(rotated_at)));
    assert!(
        expires.unwrap() - rotated_at >= 14 * 86_400 * 1_000_000,
        "the retired key stays until every refresh token it signed has expired"
    );
    for key in &keys {
        assert_eq!(listed_times(key), stored_times(&auth, &key.kid).await);
    }
    let published: Vec<_> = keys.iter().map(|k| k.public_key.clone().unwrap()).collect();
    assert_eq!(
        published,
        jwks(&auth).await.keys,
        "the JWKS entries, in order"
    );
    auth.stop().await;
}

backend_tests!(the_key_ring_lists_the_active_key_then_retired_ones_as_the_jwks_has_them);
