//! BeginTotpEnrollment and ConfirmTotpEnrollment.

use shared::db::Flag;
use stride_auth::config::MasterKey;
use testkit::backend_tests;
use tonic::Code;

use super::*;

async fn enrolling_shows_the_secret_once_and_the_first_code_enables_it_with_recovery_codes(
    backend: Backend,
) {
    let clock = ManualClock::new();
    let auth = spawn(backend, &clock, |_| {}).await;
    let registered = register(&auth, "ada").await;
    let token = access(&registered);
    let begun = begin(&auth, &token, PASSWORD).await.unwrap();
    assert!(
        begun.otpauth_uri.starts_with(&format!(
            "otpauth://totp/Stride:ada?secret={}",
            begun.secret
        )),
        "{}",
        begun.otpauth_uri
    );
    assert!(begun.otpauth_uri.ends_with("&issuer=Stride"));
    assert_eq!(begun.secret.len(), 32, "160 bits in base32");
    let totp = authenticator(&begun);
    assert_eq!((totp.digits, totp.step), (6, 30));
    assert!(
        !mfa_enabled(&auth, &token).await,
        "nothing changes before confirmation"
    );

    let codes = confirm(&auth, &token, &code_at(&totp, &clock))
        .await
        .unwrap();
    assert_eq!(codes.len(), 10);
    let mut distinct = codes.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 10);
    for code in &codes {
        assert_eq!(code.len(), 14, "{code}");
        assert_eq!(code.matches('-').count(), 2, "{code}");
    }
    assert!(mfa_enabled(&auth, &token).await);
    assert_eq!(event_count(&auth, "MFA_ENABLED").await, 1);

    // Stored as digests only.
    let stored: Vec<String> = sqlx::query_scalar("SELECT code_hash FROM mfa_recovery_codes")
        .fetch_all(auth.db.pool())
        .await
        .unwrap();
    assert_eq!(stored.len(), 10);
    for code in &codes {
        let bare = code.replace('-', "");
        assert!(!stored.iter().any(|s| s.contains(&bare) || s.contains(code)));
    }

    let again = begin(&auth, &token, PASSWORD).await.unwrap_err();
    assert_eq!(
        (again.code(), reason(&again).as_str()),
        (Code::FailedPrecondition, "MFA_ALREADY_ENABLED")
    );
    auth.stop().await;
}

async fn a_wrong_first_code_does_not_enable_the_factor(backend: Backend) {
    let clock = ManualClock::new();
    let auth = spawn(backend, &clock, |_| {}).await;
    let token = access(&register(&auth, "ada").await);
    let nothing_pending = confirm(&auth, &token, "123456").await.unwrap_err();
    assert_eq!(
        (nothing_pending.code(), reason(&nothing_pending).as_str()),
        (Code::FailedPrecondition, "MFA_NOT_PENDING")
    );
    let totp = authenticator(&begin(&auth, &token, PASSWORD).await.unwrap());

    let wrong = confirm(&auth, &token, &wrong_code(&totp, &clock))
        .await
        .unwrap_err();
    assert_eq!(
        (wrong.code(), reason(&wrong).as_str()),
        (Code::Unauthenticated, "INVALID_MFA_CODE")
    );
    assert_eq!(
        bad_fields(&confirm(&auth, &token, "12345").await.unwrap_err()),
        ["code"]
    );
    assert!(!mfa_enabled(&auth, &token).await);
    assert_eq!(event_count(&auth, "MFA_FAILED").await, 1);
    let signed_in = login(&auth, "ada", PASSWORD).await.unwrap();
    assert!(
        signed_in.tokens.is_some() && signed_in.mfa_challenge.is_empty(),
        "a pending enrolment does not change sign-in"
    );

    // A code of two steps ago is outside the window.
    let stale = totp.generate(u64::try_from(clock.clock().now_secs()).unwrap() - 60);
    if stale != code_at(&totp, &clock) {
        confirm(&auth, &token, &stale).await.unwrap_err();
    }
    confirm(&auth, &token, &code_at(&totp, &clock))
        .await
        .unwrap();
    assert!(mfa_enabled(&auth, &token).await);
    auth.stop().await;
}

async fn enrolling_needs_the_password_and_wrong_guesses_count_toward_the_lockout(backend: Backend) {
    let clock = ManualClock::new();
    let auth = spawn(backend, &clock, |c| c.lockout.threshold = 2).await;
    let token = access(&register(&auth, "ada").await);
    let wrong = begin(&auth, &token, OTHER_PASSWORD).await.unwrap_err();
    assert_eq!(
        (wrong.code(), reason(&wrong).as_str()),
        (Code::Unauthenticated, "INVALID_CREDENTIALS")
    );
    begin(&auth, &token, OTHER_PASSWORD).await.unwrap_err();
    let locked = begin(&auth, &token, PASSWORD).await.unwrap_err();
    assert_eq!(
        (locked.code(), reason(&locked).as_str()),
        (Code::ResourceExhausted, "ACCOUNT_LOCKED")
    );
    assert!(retry_after(&locked).is_some());
    assert_eq!(event_count(&auth, "ACCOUNT_LOCKED").await, 1);
    let pending: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM mfa_totp")
        .fetch_one(auth.db.pool())
        .await
        .unwrap();
    assert_eq!(pending, 0);
    assert_eq!(
        bad_fields(&begin(&auth, &token, "").await.unwrap_err()),
        ["password"]
    );
    auth.stop().await;
}

async fn with_a_master_key_the_secret_is_sealed_at_rest(backend: Backend) {
    let clock = ManualClock::new();
    let master = MasterKey([9; 32]);
    let auth = spawn(backend, &clock, |c| c.master_key = Some(master.clone())).await;
    let registered = register(&auth, "ada").await;
    let id = registered.user.as_ref().unwrap().id.clone();
    let begun = begin(&auth, &access(&registered), PASSWORD).await.unwrap();
    let raw = authenticator(&begun).secret.clone();
    let (stored, sealed): (Vec<u8>, Flag) =
        sqlx::query_as("SELECT secret, sealed FROM mfa_totp WHERE user_id = $1")
            .bind(&id)
            .fetch_one(auth.db.pool())
            .await
            .unwrap();
    assert!(sealed.0);
    assert!(!stored.windows(raw.len()).any(|w| w == raw.as_slice()));
    assert!(
        !String::from_utf8_lossy(&stored).contains(&begun.secret),
        "not even in base32"
    );
    let opened = stride_auth::seal::open(&master, &format!("totp:{id}"), &stored).unwrap();
    assert_eq!(opened, raw);
    auth.stop().await;

    // Without a master key it is stored as is (and flagged so).
    let auth = spawn(backend, &clock, |_| {}).await;
    begin(&auth, &access(&register(&auth, "ada").await), PASSWORD)
        .await
        .unwrap();
    let sealed: Flag = sqlx::query_scalar("SELECT sealed FROM mfa_totp")
        .fetch_one(auth.db.pool())
        .await
        .unwrap();
    assert!(!sealed.0);
    auth.stop().await;
}

async fn a_sealed_secret_still_signs_in(backend: Backend) {
    let clock = ManualClock::new();
    let auth = spawn(backend, &clock, |c| c.master_key = Some(MasterKey([3; 32]))).await;
    let ada = enrolled(&auth, &clock, "ada").await;
    let token = sign_in_with(&auth, "ada", &code_at(&ada.totp, &clock))
        .await
        .unwrap();
    assert!(mfa_enabled(&auth, &token).await);
    auth.stop().await;
}

backend_tests!(
    enrolling_shows_the_secret_once_and_the_first_code_enables_it_with_recovery_codes,
    a_wrong_first_code_does_not_enable_the_factor,
    enrolling_needs_the_password_and_wrong_guesses_count_toward_the_lockout,
    with_a_master_key_the_secret_is_sealed_at_rest,
    a_sealed_secret_still_signs_in,
);
