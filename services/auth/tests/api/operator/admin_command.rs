//! The library behind `stride admin create` and `stride keys rotate`, called directly.

use shared::pb::auth::v1::Role;
use testkit::{Backend, TestAuth, backend_tests};

use crate::helpers::*;

async fn the_admin_create_command_writes_an_admin_to_the_database(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    let config = stride_auth::Config::for_tests(auth.test_db().url().clone());
    let id = stride_auth::bootstrap::create_admin(&config, "ops", "ops@example.com", PASSWORD)
        .await
        .unwrap();
    let user = login(&auth, "ops", PASSWORD).await.unwrap().user.unwrap();
    assert_eq!((user.id, user.role), (id, Role::Admin as i32));
    let again =
        stride_auth::bootstrap::create_admin(&config, "OPS", "other@example.com", PASSWORD).await;
    assert!(matches!(
        again,
        Err(stride_auth::Error::AlreadyExists("USERNAME_TAKEN"))
    ));
    let weak =
        stride_auth::bootstrap::create_admin(&config, "ops2", "o2@example.com", "short").await;
    assert!(matches!(weak, Err(stride_auth::Error::InvalidArgument(_))));
    let kid = stride_auth::bootstrap::rotate_keys(&config).await.unwrap();
    let active: String =
        sqlx::query_scalar("SELECT kid FROM signing_keys WHERE retired_at IS NULL")
            .fetch_one(auth.db.pool())
            .await
            .unwrap();
    assert_eq!(active, kid, "stride keys rotate makes a new key active");
    auth.stop().await;
}

backend_tests!(the_admin_create_command_writes_an_admin_to_the_database);
