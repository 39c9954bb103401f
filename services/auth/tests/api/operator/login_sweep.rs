//! The sweeps that forget per-client attempt windows, stale known clients and the failure
//! counts of quiet login names, called as the service's background task does.

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

async fn the_sweep_forgets_stale_known_clients_and_quiet_login_names(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    let user_id = crate::helpers::register(&auth, "ada")
        .await
        .user
        .unwrap()
        .id;
    let day = 86_400_000_000_i64;
    let hour = 3_600_000_000_i64;
    let now = 1_800_000_000_000_000_i64;
    sqlx::query("DELETE FROM known_clients")
        .execute(auth.db.pool())
        .await
        .unwrap();
    for (bucket, age_days) in [("10.0.0.1", 91), ("10.0.0.2", 89)] {
        sqlx::query("INSERT INTO known_clients (user_id, bucket, last_seen) VALUES ($1, $2, $3)")
            .bind(&user_id)
            .bind(bucket)
            .bind(now - age_days * day)
            .execute(auth.db.pool())
            .await
            .unwrap();
    }
    // Quiet for 13 hours: forgotten. Quiet as long but still waiting, or failing an hour ago: kept.
    for (digest, last_failure, blocked_until) in [
        ("quiet", now - 13 * hour, None),
        ("waiting", now - 13 * hour, Some(now + hour)),
        ("recent", now - hour, None),
    ] {
        sqlx::query(
            "INSERT INTO login_throttles (login_digest, failures, last_failure, blocked_until) \
             VALUES ($1, 3, $2, $3)",
        )
        .bind(digest)
        .bind(last_failure)
        .bind(blocked_until)
        .execute(auth.db.pool())
        .await
        .unwrap();
    }
    // The defaults: clients remembered 90 days, counts forgotten after 12 quiet hours.
    let policy = stride_auth::config::UnknownClientConfig::defaults();
    let deleted = stride_auth::maintenance::sweep_known_and_unknown_clients(&auth.db, now, &policy)
        .await
        .unwrap();
    assert_eq!(deleted, 2);
    let clients: Vec<String> = sqlx::query_scalar("SELECT bucket FROM known_clients")
        .fetch_all(auth.db.pool())
        .await
        .unwrap();
    assert_eq!(clients, ["10.0.0.2"]);
    let mut names: Vec<String> = sqlx::query_scalar("SELECT login_digest FROM login_throttles")
        .fetch_all(auth.db.pool())
        .await
        .unwrap();
    names.sort();
    assert_eq!(names, ["recent", "waiting"]);
    auth.stop().await;
}

backend_tests!(
    the_sweep_forgets_windows_of_clients_that_never_came_back,
    the_sweep_forgets_stale_known_clients_and_quiet_login_names,
);
