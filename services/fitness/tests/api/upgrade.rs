//! A database written before the training data upgrades with its derived values right: the
//! weeks of the workouts already stored are counted, so later writes keep them exact.

use std::borrow::Cow;

use shared::db::{Db, PoolConfig};
use sqlx::migrate::Migrator;
use stride_fitness::store::MIGRATIONS;
use testkit::{Backend, TestDb, backend_tests};

/// Migrations before the training data (0001 and 0002).
const BEFORE_TRAINING: usize = 2;

async fn workouts_stored_before_the_upgrade_count_in_their_weeks(backend: Backend) {
    let test_db = TestDb::create("fitness", backend).await;
    let db = Db::connect(test_db.url(), &PoolConfig::default())
        .await
        .unwrap();
    let all = MIGRATIONS.for_backend(backend);
    let before = Migrator {
        migrations: Cow::Owned(all.iter().take(BEFORE_TRAINING).cloned().collect()),
        ..Migrator::DEFAULT
    };
    before.run(db.pool()).await.unwrap();
    for (id, user, date) in [
        ("w1", "u1", "2026-11-30"), // a Monday
        ("w2", "u1", "2026-12-06"), // the Sunday of the same week
        ("w3", "u1", "2026-12-07"), // the next Monday
        ("w4", "u2", "2026-12-02"),
    ] {
        sqlx::query(
            "INSERT INTO workouts (id, user_id, title, workout_date, workout_type, created_at, \
             updated_at) VALUES ($1, $2, 'Old', $3, 'STRENGTH', 1, 1)",
        )
        .bind(id)
        .bind(user)
        .bind(date)
        .execute(db.pool())
        .await
        .unwrap();
    }
    db.migrate(&MIGRATIONS).await.unwrap();
    let weeks: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT user_id, week_start, workouts FROM weekly_summaries ORDER BY user_id, week_start",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    assert_eq!(
        weeks,
        [
            ("u1".to_owned(), "2026-11-30".to_owned(), 2),
            ("u1".to_owned(), "2026-12-07".to_owned(), 1),
            ("u2".to_owned(), "2026-11-30".to_owned(), 1),
        ]
    );
    db.close().await;
}

backend_tests!(workouts_stored_before_the_upgrade_count_in_their_weeks);
