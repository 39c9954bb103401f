//! The sweep that forgets per-IP login windows, called as the service's background task does.

use testkit::{Backend, TestAuth, backend_tests};

async fn the_sweep_forgets_ip_windows_of_clients_that_never_came_back(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    let minute = 60_000_000_i64;
    let now = 1_800_000_000_000_000_i64;
    let current = now - now.rem_euclid(minute);
    for (ip, window) in [("10.0.0.1", current - 5 * minute), ("10.0.0.2", current)] {
        sqlx::query("INSERT INTO login_attempts (ip, window_start, attempts) VALUES ($1, $2, 3)")
            .bind(ip)
            .bind(window)
            .execute(auth.db.pool())
            .await
            .unwrap();
    }
    let deleted = stride_auth::maintenance::sweep_ip_windows(&auth.db, now)
        .await
        .unwrap();
    assert_eq!(deleted, 1);
    let left: Vec<String> = sqlx::query_scalar("SELECT ip FROM login_attempts")
        .fetch_all(auth.db.pool())
        .await
        .unwrap();
    assert_eq!(left, ["10.0.0.2"], "the current window stays");
    auth.stop().await;
}

backend_tests!(the_sweep_forgets_ip_windows_of_clients_that_never_came_back);
