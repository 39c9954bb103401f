//! Signing keys at rest.

use shared::db::Flag;
use shared::pb::auth::v1::GetJwksRequest;
use shared::pb::auth::v1::auth_service_client::AuthServiceClient;
use stride_auth::config::MasterKey;
use testkit::{Backend, TestAuth, backend_tests};

use crate::helpers::*;

async fn a_master_key_encrypts_the_private_key_at_rest_and_a_restart_with_it_works(
    backend: Backend,
) {
    let master = MasterKey([42; 32]);
    let auth = TestAuth::spawn_with(backend, |c| c.master_key = Some(master.clone())).await;
    let (kid, stored, encrypted): (String, Vec<u8>, Flag) =
        sqlx::query_as("SELECT kid, private_key, encrypted FROM signing_keys")
            .fetch_one(auth.db.pool())
            .await
            .unwrap();
    assert!(encrypted.0);
    // The stored bytes are not a PKCS#8 document; unsealed with the master key they are.
    use ed25519_dalek::pkcs8::DecodePrivateKey as _;
    assert!(ed25519_dalek::SigningKey::from_pkcs8_der(&stored).is_err());
    let plain = stride_auth::seal::open(&master, &kid, &stored).unwrap();
    assert!(ed25519_dalek::SigningKey::from_pkcs8_der(&plain).is_ok());
    assert!(!stored.windows(plain.len()).any(|w| w == plain.as_slice()));
    register(&auth, "ada").await;

    // A second instance on the same database (a restart, or a replica) with the same key.
    let mut config = stride_auth::Config::for_tests(auth.test_db().url().clone());
    config.master_key = Some(master);
    let again = stride_auth::App::build(config)
        .await
        .expect("restart works");
    let addr = again.local_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(again.run(async {
        let _ = stopped.await;
    }));
    let jwks = AuthServiceClient::new(testkit::channel(addr).await)
        .get_jwks(GetJwksRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        jwks.keys[0].kid, kid,
        "the restarted instance signs with the same key"
    );
    let _ = stop.send(());
    serving.await.unwrap().unwrap();
    login(&auth, "ada", PASSWORD).await.unwrap();

    let mut wrong = stride_auth::Config::for_tests(auth.test_db().url().clone());
    wrong.master_key = Some(MasterKey([1; 32]));
    assert!(stride_auth::App::build(wrong).await.is_err());
    let mut missing = stride_auth::Config::for_tests(auth.test_db().url().clone());
    missing.master_key = None;
    assert!(stride_auth::App::build(missing).await.is_err());
    auth.stop().await;
}

backend_tests!(a_master_key_encrypts_the_private_key_at_rest_and_a_restart_with_it_works);
