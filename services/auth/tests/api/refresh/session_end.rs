//! How a session ends: its absolute and idle lifetimes, a deactivated user, and logout.

use testkit::backend_tests;

use super::*;

async fn a_session_never_outlives_its_absolute_maximum_nor_its_idle_lifetime(backend: Backend) {
    let clock = ManualClock::new();
    let auth = TestAuth::spawn_with(backend, |c| {
        c.clock = clock.clock();
        c.tokens.session_max_age = Duration::from_secs(3600);
        c.tokens.refresh_ttl = Duration::from_secs(40 * 60);
    })
    .await;
    let p0 = signed_up(&auth, "ada").await;
    let start = claims_of(&p0.refresh_token)["iat"].as_i64().unwrap();
    assert_eq!(
        claims_of(&p0.refresh_token)["exp"].as_i64().unwrap(),
        start + 40 * 60
    );
    clock.advance(Duration::from_secs(30 * 60));
    let p1 = refresh(&auth, &p0.refresh_token).await.unwrap();
    let session_end = start + 3600;
    assert!(
        claims_of(&p1.refresh_token)["exp"].as_i64().unwrap() <= session_end,
        "capped by the absolute end"
    );
    clock.advance(Duration::from_secs(25 * 60));
    let p2 = refresh(&auth, &p1.refresh_token).await.unwrap();
    assert!(claims_of(&p2.refresh_token)["exp"].as_i64().unwrap() <= session_end);
    assert!(claims_of(&p2.access_token)["exp"].as_i64().unwrap() <= session_end);
    // Past the absolute end (inside the verifier's leeway): refused.
    clock.advance(Duration::from_secs(5 * 60 + 30));
    let status = refresh(&auth, &p2.refresh_token).await.unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    assert_eq!(reason(&status), "TOKEN_EXPIRED");
    clock.advance(Duration::from_secs(120));
    let status = refresh(&auth, &p2.refresh_token).await.unwrap_err();
    assert_eq!(reason(&status), "TOKEN_EXPIRED");

    // Idle lifetime: a refresh token unused for longer than its TTL is dead.
    let q0 = signed_up(&auth, "bob").await;
    clock.advance(Duration::from_secs(40 * 60 + 61));
    let status = refresh(&auth, &q0.refresh_token).await.unwrap_err();
    assert_eq!(reason(&status), "TOKEN_EXPIRED");
    auth.stop().await;
}

async fn an_inactive_user_cannot_refresh(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    let registered = register(&auth, "ada").await;
    sqlx::query("UPDATE users SET active = $1 WHERE id = $2")
        .bind(shared::db::Flag(false))
        .bind(&registered.user.as_ref().unwrap().id)
        .execute(auth.db.pool())
        .await
        .unwrap();
    let status = refresh(&auth, &registered.tokens.unwrap().refresh_token)
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    assert_eq!(reason(&status), "USER_INACTIVE");
    auth.stop().await;
}

async fn logout_revokes_the_session_once_and_is_idempotent(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    let p0 = signed_up(&auth, "ada").await;
    let mut client = auth_client(&auth).await;
    let wrong = client
        .logout(LogoutRequest {
            refresh_token: p0.access_token.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(wrong.code(), Code::Unauthenticated, "an access token");
    for _ in 0..2 {
        client
            .logout(LogoutRequest {
                refresh_token: p0.refresh_token.clone(),
            })
            .await
            .expect("logout is idempotent");
    }
    let me = user_client(&auth)
        .await
        .get_me(bearer(GetMeRequest {}, &p0.access_token))
        .await
        .unwrap_err();
    assert_eq!(me.code(), Code::Unauthenticated);
    let again = refresh(&auth, &p0.refresh_token).await.unwrap_err();
    assert_eq!(reason(&again), "TOKEN_REVOKED");
    assert_eq!(event_count(&auth, "LOGOUT").await, 1);
    auth.stop().await;
}

backend_tests!(
    a_session_never_outlives_its_absolute_maximum_nor_its_idle_lifetime,
    an_inactive_user_cannot_refresh,
    logout_revokes_the_session_once_and_is_idempotent,
);
