//! Password reset by mail through a real SMTP server: the link sets a new password once and
//! ends every session; requests answer alike for accounts that exist and ones that don't, in
//! similar time, within per-client and per-name limits.

use std::time::{Duration, Instant};

use shared::pb::auth::v1::{RequestPasswordResetRequest, ResetPasswordRequest};
use stride_auth::clock::ManualClock;
use testkit::{Backend, TestAuth, backend_tests};
use tonic::Code;

use super::*;

const NEW_PASSWORD: &str = "quartz-meadow-lantern-9921";

async fn request(auth: &TestAuth, login: &str) -> Result<(), Status> {
    auth_client(auth)
        .await
        .request_password_reset(RequestPasswordResetRequest {
            login: login.to_owned(),
        })
        .await
        .map(|_| ())
}

async fn reset(auth: &TestAuth, token: &str, password: &str) -> Result<(), Status> {
    auth_client(auth)
        .await
        .reset_password(ResetPasswordRequest {
            token: token.to_owned(),
            new_password: password.to_owned(),
        })
        .await
        .map(|_| ())
}

/// The token of the `nth` message (from 1) to ada: her verification message is the first.
async fn reset_link(mailbox: &Mailbox, nth: usize) -> String {
    mailbox
        .wait_for_nth("ada@example.com", nth - 1)
        .await
        .token()
        .expect("the reset message carries a link")
}

async fn the_mailed_link_sets_a_new_password_once_and_ends_every_session(backend: Backend) {
    let Some((auth, mailbox)) = with_mailbox(backend, |_| {}).await else {
        return;
    };
    let ada = register(&auth, "ada").await;
    let other = sign_in(&auth, "ada", "phone").await;
    request(&auth, "ADA").await.unwrap();
    let link = reset_link(&mailbox, 2).await;

    reset(&auth, &link, NEW_PASSWORD).await.unwrap();
    for token in [access(&ada), other.access_token.clone()] {
        assert_eq!(
            get_me(&auth, &token).await.unwrap_err().code(),
            Code::Unauthenticated
        );
    }
    assert!(login(&auth, "ada", PASSWORD).await.is_err());
    let fresh = login(&auth, "ada", NEW_PASSWORD).await.unwrap();
    // The link proved the address.
    assert!(fresh.user.unwrap().email_verified);
    let again = reset(&auth, &link, "another-fine-passphrase-77")
        .await
        .unwrap_err();
    assert_eq!(again.code(), Code::Unauthenticated);
    assert_eq!(reason(&again), "INVALID_TOKEN");
    assert_eq!(event_count(&auth, "PASSWORD_RESET_REQUESTED").await, 1);
    assert_eq!(event_count(&auth, "PASSWORD_RESET").await, 1);
    auth.stop().await;
}

async fn a_weak_password_is_refused_and_leaves_the_link_usable(backend: Backend) {
    let Some((auth, mailbox)) = with_mailbox(backend, |_| {}).await else {
        return;
    };
    register(&auth, "ada").await;
    request(&auth, "ada@example.com").await.unwrap();
    let link = reset_link(&mailbox, 2).await;
    let weak = reset(&auth, &link, "password").await.unwrap_err();
    assert_eq!(bad_fields(&weak), ["new_password"]);
    let guessable = reset(&auth, &link, "passwordpassword").await.unwrap_err();
    assert_eq!(bad_fields(&guessable), ["new_password"]);
    reset(&auth, &link, NEW_PASSWORD).await.unwrap();
    auth.stop().await;
}

async fn expired_forged_and_replaced_links_are_refused(backend: Backend) {
    let clock = ManualClock::new();
    let Some((auth, mailbox)) = with_mailbox(backend, |c| c.clock = clock.clock()).await else {
        return;
    };
    register(&auth, "ada").await;
    request(&auth, "ada").await.unwrap();
    let first = reset_link(&mailbox, 2).await;
    request(&auth, "ada").await.unwrap();
    let second = reset_link(&mailbox, 3).await;
    assert_eq!(
        reset(&auth, &first, NEW_PASSWORD).await.unwrap_err().code(),
        Code::Unauthenticated,
        "a newer request replaces the link"
    );
    // Another last character (one in 64 links already ends in 'A').
    let last = if second.ends_with('A') { 'E' } else { 'A' };
    let forged = format!("{}{last}", &second[..second.len() - 1]);
    assert_ne!(forged, second);
    assert_eq!(
        reset(&auth, &forged, NEW_PASSWORD)
            .await
            .unwrap_err()
            .code(),
        Code::Unauthenticated
    );
    assert_eq!(
        bad_fields(&reset(&auth, "", NEW_PASSWORD).await.unwrap_err()),
        ["token"]
    );
    clock.advance(Duration::from_secs(31 * 60));
    let expired = reset(&auth, &second, NEW_PASSWORD).await.unwrap_err();
    assert_eq!(expired.code(), Code::Unauthenticated);
    login(&auth, "ada", PASSWORD).await.unwrap();
    auth.stop().await;
}

async fn unknown_accounts_get_the_same_answer_in_similar_time_and_no_mail(backend: Backend) {
    let Some((auth, mailbox)) = with_mailbox(backend, |c| {
        c.account.mail_requests_per_account = 1000;
        c.account.mail_requests_per_client = 1000;
    })
    .await
    else {
        return;
    };
    register(&auth, "ada").await;
    mailbox.wait_for("ada@example.com").await;
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for round in 0..15 {
        for (name, times) in [("ada", &mut known), ("nobody", &mut unknown)] {
            let start = Instant::now();
            let answer = request(&auth, name).await;
            times.push(start.elapsed());
            assert!(answer.is_ok(), "round {round}: {answer:?}");
        }
    }
    known.sort();
    unknown.sort();
    let (k, u) = (known[known.len() / 2], unknown[unknown.len() / 2]);
    // The answer does not wait for the lookup or the write: both medians are the cost of the
    // limits alone. Generous: a noisy machine must not fail this, a synchronous write would.
    let (low, high) = if k < u { (k, u) } else { (u, k) };
    assert!(
        high <= low * 3 + Duration::from_millis(5),
        "median answer for an account {k:?}, for no account {u:?}"
    );
    // Fifteen messages for ada, none for anyone else.
    mailbox.wait_for_nth("ada@example.com", 15).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let all = mailbox.messages();
    assert!(all.iter().all(|m| m.to == "ada@example.com"), "{all:?}");
    assert_eq!(event_count(&auth, "PASSWORD_RESET_REQUESTED").await, 15);
    auth.stop().await;
}

async fn requests_are_limited_per_name_alike_for_known_and_unknown_names(backend: Backend) {
    let Some((auth, _mailbox)) = with_mailbox(backend, |c| {
        c.account.mail_requests_per_account = 2;
        c.account.mail_requests_per_client = 100;
    })
    .await
    else {
        return;
    };
    register(&auth, "ada").await;
    for name in ["ada", "nobody"] {
        request(&auth, name).await.unwrap();
        request(&auth, name).await.unwrap();
        let refused = request(&auth, name).await.unwrap_err();
        assert_eq!(refused.code(), Code::ResourceExhausted, "{name}");
        assert!(testkit::status::retry_after(&refused).is_some());
    }
    // Per client too.
    let auth2 = TestAuth::spawn_with(backend, |c| {
        c.account.mail_requests_per_client = 3;
    })
    .await;
    for name in ["a1", "a2", "a3"] {
        request(&auth2, name).await.unwrap();
    }
    let refused = request(&auth2, "a4").await.unwrap_err();
    assert_eq!(refused.code(), Code::ResourceExhausted);
    auth2.stop().await;
    auth.stop().await;
}

async fn a_reset_lifts_a_lockout(backend: Backend) {
    let Some((auth, mailbox)) = with_mailbox(backend, |_| {}).await else {
        return;
    };
    register(&auth, "ada").await;
    for _ in 0..6 {
        let _ = login(&auth, "ada", OTHER_PASSWORD).await;
    }
    assert_eq!(
        login(&auth, "ada", PASSWORD).await.unwrap_err().code(),
        Code::ResourceExhausted
    );
    request(&auth, "ada").await.unwrap();
    let link = reset_link(&mailbox, 2).await;
    reset(&auth, &link, NEW_PASSWORD).await.unwrap();
    login(&auth, "ada", NEW_PASSWORD).await.unwrap();
    auth.stop().await;
}

async fn a_link_dies_with_a_password_change_an_address_change_or_a_deactivation(backend: Backend) {
    let Some((auth, mailbox)) = with_mailbox(backend, |_| {}).await else {
        return;
    };
    let ada = register(&auth, "ada").await;
    let token = access(&ada);
    // A password change.
    request(&auth, "ada").await.unwrap();
    let before_change = reset_link(&mailbox, 2).await;
    user_client(&auth)
        .await
        .change_password(bearer(
            shared::pb::auth::v1::ChangePasswordRequest {
                current_password: PASSWORD.to_owned(),
                new_password: OTHER_PASSWORD.to_owned(),
                ..Default::default()
            },
            &token,
        ))
        .await
        .unwrap();
    let refused = reset(&auth, &before_change, NEW_PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(reason(&refused), "INVALID_TOKEN");
    // An adopted address change: links sent to the old address stop working.
    request(&auth, "ada").await.unwrap();
    let to_old_address = reset_link(&mailbox, 3).await;
    let update = shared::pb::auth::v1::UpdateMeRequest {
        user: Some(shared::pb::auth::v1::User {
            email: "ada@new.example".to_owned(),
            ..Default::default()
        }),
        update_mask: Some(prost_types::FieldMask {
            paths: vec!["email".to_owned()],
        }),
        ..Default::default()
    };
    user_client(&auth)
        .await
        .update_me(bearer(update, &token))
        .await
        .unwrap();
    let verify = mailbox
        .wait_for_nth("ada@new.example", 0)
        .await
        .token()
        .unwrap();
    auth_client(&auth)
        .await
        .verify_email(shared::pb::auth::v1::VerifyEmailRequest { token: verify })
        .await
        .unwrap();
    let refused = reset(&auth, &to_old_address, NEW_PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(reason(&refused), "INVALID_TOKEN");
    // A deactivation.
    request(&auth, "ada").await.unwrap();
    let before_deactivation = mailbox
        .wait_for_nth("ada@new.example", 1)
        .await
        .token()
        .unwrap();
    sqlx::query("UPDATE users SET active = $1")
        .bind(shared::db::Flag(false))
        .execute(auth.db.pool())
        .await
        .unwrap();
    let refused = reset(&auth, &before_deactivation, NEW_PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(reason(&refused), "INVALID_TOKEN");
    auth.stop().await;
}

async fn two_concurrent_resets_with_one_link_succeed_once(backend: Backend) {
    let Some((auth, mailbox)) = with_mailbox(backend, |_| {}).await else {
        return;
    };
    register(&auth, "ada").await;
    request(&auth, "ada").await.unwrap();
    let link = reset_link(&mailbox, 2).await;
    let (a, b) = tokio::join!(
        reset(&auth, &link, NEW_PASSWORD),
        reset(&auth, &link, "another-fine-passphrase-77")
    );
    assert_eq!(
        [&a, &b].iter().filter(|r| r.is_ok()).count(),
        1,
        "{a:?} {b:?}"
    );
    assert_eq!(event_count(&auth, "PASSWORD_RESET").await, 1);
    auth.stop().await;
}

async fn the_username_and_the_email_share_the_accounts_mail_limit(backend: Backend) {
    let Some((auth, mailbox)) = with_mailbox(backend, |c| {
        c.account.mail_requests_per_account = 2;
    })
    .await
    else {
        return;
    };
    register(&auth, "ada").await;
    for login in ["ada", "ada", "ada@example.com", "ada@example.com"] {
        request(&auth, login)
            .await
            .expect("each name is within its own limit");
    }
    // The registration message and two reset messages; the other two requests sent nothing.
    mailbox.wait_for_nth("ada@example.com", 2).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(mailbox.messages().len(), 3, "{:?}", mailbox.messages());
    assert_eq!(event_count(&auth, "PASSWORD_RESET_REQUESTED").await, 2);
    auth.stop().await;
}

backend_tests!(
    the_username_and_the_email_share_the_accounts_mail_limit,
    a_link_dies_with_a_password_change_an_address_change_or_a_deactivation,
    two_concurrent_resets_with_one_link_succeed_once,
    the_mailed_link_sets_a_new_password_once_and_ends_every_session,
    a_weak_password_is_refused_and_leaves_the_link_usable,
    expired_forged_and_replaced_links_are_refused,
    unknown_accounts_get_the_same_answer_in_similar_time_and_no_mail,
    requests_are_limited_per_name_alike_for_known_and_unknown_names,
    a_reset_lifts_a_lockout,
);
