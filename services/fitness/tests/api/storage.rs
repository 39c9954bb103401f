//! The fitness schema migrates on both backends, idempotently, and keeps its links consistent.

use stride_fitness::store::MIGRATIONS;
use testkit::{Backend, TestFitness, backend_tests};

async fn migrations_apply_once_and_links_cascade(backend: Backend) {
    let fitness = TestFitness::spawn(backend, "http://127.0.0.1:9".to_owned()).await;
    let db = &fitness.db;
    db.migrate(&MIGRATIONS)
        .await
        .expect("re-running migrations is a no-op");
    let applied: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(
        applied as usize,
        MIGRATIONS.for_backend(backend).iter().count()
    );

    let mut tx = db.begin().await.unwrap();
    for sql in [
        "INSERT INTO workouts (id, user_id, title, workout_date, workout_type, created_at, updated_at) \
         VALUES ('w1', 'u1', 'Legs', '2026-11-24', 'STRENGTH', 1, 1)",
        "INSERT INTO exercises (id, user_id, name, duration_minutes, created_at, updated_at) \
         VALUES ('e1', 'u1', 'Squat', 30, 1, 1)",
        "INSERT INTO workout_exercises (workout_id, exercise_id, user_id) VALUES ('w1', 'e1', 'u1')",
    ] {
        sqlx::query(sql).execute(&mut *tx).await.unwrap();
    }
    tx.commit().await.unwrap();

    let (title, date, duration): (String, String, Option<i32>) = sqlx::query_as(
        "SELECT w.title, w.workout_date, e.duration_minutes FROM workouts w \
         JOIN workout_exercises we ON we.workout_id = w.id \
         JOIN exercises e ON e.id = we.exercise_id WHERE w.user_id = $1",
    )
    .bind("u1")
    .fetch_one(db.pool())
    .await
    .unwrap();
    assert_eq!(
        (title.as_str(), date.as_str(), duration),
        ("Legs", "2026-11-24", Some(30))
    );

    // Deleting a workout removes its links (foreign keys are on for SQLite too), not exercises.
    sqlx::query("DELETE FROM workouts WHERE id = 'w1'")
        .execute(db.pool())
        .await
        .unwrap();
    let links: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM workout_exercises")
        .fetch_one(db.pool())
        .await
        .unwrap();
    let exercises: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM exercises")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!((links, exercises), (0, 1));

    // Out-of-range durations are refused by the schema as well as by validation.
    let bad = sqlx::query(
        "INSERT INTO exercises (id, user_id, name, duration_minutes, created_at, updated_at) \
         VALUES ('e2', 'u1', 'Too long', 1441, 1, 1)",
    )
    .execute(db.pool())
    .await;
    assert!(bad.is_err());
    fitness.stop().await;
}

backend_tests!(migrations_apply_once_and_links_cascade);
