//! The auth schema migrates on both backends, idempotently, and stores what it reads back.

use shared::db::{Db, Flag};
use stride_auth::MIGRATIONS;
use testkit::{Backend, TestAuth, backend_tests};

async fn migrations_apply_once_and_rows_round_trip(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    // The service migrated at start; running again is a no-op.
    auth.db
        .migrate(&MIGRATIONS)
        .await
        .expect("re-running migrations is a no-op");
    let applied: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success")
        .fetch_one(auth.db.pool())
        .await
        .unwrap();
    assert_eq!(
        applied as usize,
        MIGRATIONS.for_backend(backend).iter().count()
    );

    round_trip_user(&auth.db).await;
    auth.stop().await;
}

/// Writes a user and a signing key (text, integer, boolean, NULL and blob columns) and reads
/// them back unchanged; checks case-insensitive uniqueness is enforced by the schema.
async fn round_trip_user(db: &Db) {
    let mut tx = db.begin().await.unwrap();
    sqlx::query(
        "INSERT INTO users (id, username, username_key, email, email_key, password_hash, \
         active, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind("0190-user")
    .bind("Ada")
    .bind("ada")
    .bind("Ada@Example.com")
    .bind("ada@example.com")
    .bind("$argon2id$placeholder")
    .bind(Flag(true))
    .bind(1_700_000_000_000_000_i64)
    .bind(1_700_000_000_000_001_i64)
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO signing_keys (kid, private_key, encrypted, public_key, created_at, \
         retired_at, expires_at) VALUES ($1, $2, $3, $4, $5, $5, $5)",
    )
    .bind("kid-1")
    .bind(vec![0_u8, 1, 2, 255])
    .bind(Flag(false))
    .bind(vec![9_u8; 32])
    .bind(5_i64)
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let (username, active, created_at, locked_until): (String, Flag, i64, Option<i64>) =
        sqlx::query_as(
            "SELECT username, active, created_at, locked_until FROM users WHERE id = $1",
        )
        .bind("0190-user")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(
        (username.as_str(), active.into(), created_at, locked_until),
        ("Ada", true, 1_700_000_000_000_000, None)
    );
    let (private_key, encrypted): (Vec<u8>, Flag) =
        sqlx::query_as("SELECT private_key, encrypted FROM signing_keys WHERE kid = $1")
            .bind("kid-1")
            .fetch_one(db.pool())
            .await
            .unwrap();
    assert_eq!((private_key, encrypted.into()), (vec![0, 1, 2, 255], false));

    let duplicate = sqlx::query(
        "INSERT INTO users (id, username, username_key, email, email_key, password_hash, \
         created_at, updated_at) VALUES ('other', 'ADA', 'ada', 'x@y.z', 'x@y.z', 'h', 0, 0)",
    )
    .execute(db.pool())
    .await
    .unwrap_err();
    assert!(shared::db::is_unique_violation(&duplicate), "{duplicate}");
}

backend_tests!(migrations_apply_once_and_rows_round_trip);
