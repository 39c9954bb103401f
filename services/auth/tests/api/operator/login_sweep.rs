//! The sweep that forgets per-client attempt windows, called as the service's background task
//! does.

use std::time::Duration;

use testkit::{Backend, TestAuth, backend_tests};

async fn the_sweep_forgets_windows_of_clients_that_never_came_back(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    let hour = 3_600_000_000_i64;
    let now = 1_800_000_000_000_000_i64;
    let current = now - now.rem_euclid(hour);
    for (bucket, window) in [("10.0.0.1", current - 5 * hour), ("10.0.0.2", current)] {
        sqlx::query(
            "INSERT INTO ip_windows (action, bucket, window_start, attempts) \
             VALUES ('login', $1, $2, 3)",
        )
        .bind(bucket)
        .bind(window)
        .execute(auth.db.pool())
        .await
        .unwrap();
    }
    let deleted = stride_auth::maintenance::sweep_windows(&auth.db, now, Duration::from_secs(3600))
        .await
        .unwrap();
    assert_eq!(deleted, 1);
    let left: Vec<String> = sqlx::query_scalar("SELECT bucket FROM ip_windows")
        .fetch_all(auth.db.pool())
        .await
        .unwrap();
    assert_eq!(left, ["10.0.0.2"], "the current window stays");
    auth.stop().await;
}

backend_tests!(the_sweep_forgets_windows_of_clients_that_never_came_back);
