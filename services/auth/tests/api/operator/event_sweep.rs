//! The sweep that forgets security events older than their retention, called as the service's
//! hourly task does.

use std::time::Duration;

use testkit::{Backend, TestAuth, backend_tests};

async fn the_sweep_forgets_security_events_older_than_the_retention(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    let day = 86_400_000_000_i64;
    let now = 1_800_000_000_000_000_i64;
    for (id, age_days) in [("old", 91), ("recent", 89)] {
        sqlx::query(
            "INSERT INTO security_events (id, event_type, created_at) VALUES ($1, 'LOGIN_FAILED', $2)",
        )
        .bind(id)
        .bind(now - age_days * day)
        .execute(auth.db.pool())
        .await
        .unwrap();
    }
    let retention = Duration::from_secs(90 * 86_400);
    let deleted = stride_auth::maintenance::sweep_security_events(&auth.db, now, retention)
        .await
        .unwrap();
    assert_eq!(deleted, 1);
    let left: Vec<String> =
        sqlx::query_scalar("SELECT id FROM security_events WHERE id IN ('old', 'recent')")
            .fetch_all(auth.db.pool())
            .await
            .unwrap();
    assert_eq!(left, ["recent"]);
    auth.stop().await;
}

backend_tests!(the_sweep_forgets_security_events_older_than_the_retention);
