//! Per-client limits: refusals write nothing, one event per client and window, IPv6 clients
//! counted per /64, registration limited per client, proxies believed only when trusted.

use stride_auth::proxies::TrustedProxies;
use testkit::{Backend, TestAuth, backend_tests};
use tonic::Code;

use super::*;

async fn limited(backend: Backend, adjust: impl FnOnce(&mut stride_auth::Config)) -> TestAuth {
    TestAuth::spawn_with(backend, |c| {
        c.lockout.ip_limit = 3;
        c.lockout.threshold = 1000;
        c.trusted_proxies = TrustedProxies::parse("127.0.0.1").unwrap();
        adjust(c);
    })
    .await
}

async fn logins_refused_over_the_limit_write_nothing_and_record_one_event(backend: Backend) {
    let auth = limited(backend, |_| {}).await;
    register(&auth, "ada").await;
    let mut client = auth_client(&auth).await;
    for _ in 0..3 {
        client
            .login(from("198.51.100.1", login_request("ada", PASSWORD)))
            .await
            .unwrap();
    }
    let crossing = client
        .login(from("198.51.100.1", login_request("ada", PASSWORD)))
        .await
        .unwrap_err();
    assert_eq!(crossing.code(), Code::ResourceExhausted);
    assert!(
        retry_after(&crossing).is_some(),
        "RetryInfo says when to come back"
    );
    let (windows, events) = (
        rows(&auth, "ip_windows").await,
        rows(&auth, "security_events").await,
    );
    for _ in 0..20 {
        let refused = client
            .login(from(
                "198.51.100.1",
                login_request("ada", "wrong password!!"),
            ))
            .await
            .unwrap_err();
        assert_eq!(reason(&refused), "TOO_MANY_ATTEMPTS");
    }
    assert_eq!(
        rows(&auth, "security_events").await,
        events,
        "refusals record nothing"
    );
    assert_eq!(rows(&auth, "ip_windows").await, windows);
    let counted: i64 = sqlx::query_scalar(
        "SELECT CAST(attempts AS BIGINT) FROM ip_windows WHERE action = 'login'",
    )
    .fetch_one(auth.db.pool())
    .await
    .unwrap();
    assert_eq!(
        counted, 4,
        "counted up to one past the limit, then never again"
    );
    let throttled: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM security_events WHERE detail LIKE 'too many login attempts%'",
    )
    .fetch_one(auth.db.pool())
    .await
    .unwrap();
    assert_eq!(throttled, 1, "one event per client and window");
    auth.stop().await;
}

async fn ipv6_clients_of_one_slash_64_share_a_limit(backend: Backend) {
    let auth = limited(backend, |_| {}).await;
    register(&auth, "ada").await;
    let mut client = auth_client(&auth).await;
    for host in 1..=3 {
        client
            .login(from(
                &format!("2001:db8:7:7::{host}"),
                login_request("ada", PASSWORD),
            ))
            .await
            .unwrap();
    }
    let refused = client
        .login(from("2001:db8:7:7:ffff::9", login_request("ada", PASSWORD)))
        .await
        .unwrap_err();
    assert_eq!(reason(&refused), "TOO_MANY_ATTEMPTS");
    client
        .login(from("2001:db8:7:8::1", login_request("ada", PASSWORD)))
        .await
        .expect("the next /64 is another client");
    auth.stop().await;
}

async fn registration_is_limited_per_client_with_retry_info(backend: Backend) {
    let auth = limited(backend, |c| c.lockout.register_ip_limit = 2).await;
    let mut client = auth_client(&auth).await;
    for name in ["ada", "grace"] {
        client
            .register(from("198.51.100.4", registration(name)))
            .await
            .unwrap();
    }
    let refused = client
        .register(from("198.51.100.4", registration("alan")))
        .await
        .unwrap_err();
    assert_eq!(
        (refused.code(), reason(&refused).as_str()),
        (Code::ResourceExhausted, "TOO_MANY_ATTEMPTS")
    );
    let retry = retry_after(&refused).expect("RetryInfo");
    assert!(retry <= std::time::Duration::from_secs(3600));
    assert_eq!(event_count(&auth, "REGISTER_THROTTLED").await, 1);
    client
        .register(from("198.51.100.5", registration("alan")))
        .await
        .expect("another client may register");
    auth.stop().await;
}

async fn forwarded_for_is_ignored_from_a_peer_that_is_not_a_trusted_proxy(backend: Backend) {
    let auth = limited(backend, |c| {
        c.trusted_proxies = TrustedProxies::parse("10.0.0.0/8").unwrap();
    })
    .await;
    register(&auth, "ada").await;
    let mut client = auth_client(&auth).await;
    // Each request claims another address, but the peer (127.0.0.1) is not trusted: one bucket.
    for i in 0..3 {
        client
            .login(from(
                &format!("198.51.100.{i}"),
                login_request("ada", PASSWORD),
            ))
            .await
            .unwrap();
    }
    let refused = client
        .login(from("198.51.100.99", login_request("ada", PASSWORD)))
        .await
        .unwrap_err();
    assert_eq!(reason(&refused), "TOO_MANY_ATTEMPTS");
    auth.stop().await;
}

backend_tests!(
    logins_refused_over_the_limit_write_nothing_and_record_one_event,
    ipv6_clients_of_one_slash_64_share_a_limit,
    registration_is_limited_per_client_with_retry_info,
    forwarded_for_is_ignored_from_a_peer_that_is_not_a_trusted_proxy,
);
