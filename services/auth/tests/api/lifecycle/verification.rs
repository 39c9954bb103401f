//! Email verification through a real SMTP server: the link of the registration message, an
//! email change that waits for its own link (and tells the old address), resends and their
//! limit, and every bad token.

use std::time::Duration;

use prost_types::FieldMask;
use shared::pb::auth::v1::{ResendVerificationRequest, UpdateMeRequest, User, VerifyEmailRequest};
use stride_auth::clock::ManualClock;
use testkit::{Backend, TestAuth, backend_tests};
use tonic::Code;

use super::*;

async fn verify(auth: &TestAuth, token: &str) -> Result<(), Status> {
    auth_client(auth)
        .await
        .verify_email(VerifyEmailRequest {
            token: token.to_owned(),
        })
        .await
        .map(|_| ())
}

async fn change_email(auth: &TestAuth, token: &str, email: &str) -> Result<User, Status> {
    user_client(auth)
        .await
        .update_me(bearer(
            UpdateMeRequest {
                user: Some(User {
                    email: email.to_owned(),
                    ..User::default()
                }),
                update_mask: Some(FieldMask {
                    paths: vec!["email".to_owned()],
                }),
                ..UpdateMeRequest::default()
            },
            token,
        ))
        .await
        .map(|r| r.into_inner())
}

async fn resend(auth: &TestAuth, token: &str) -> Result<(), Status> {
    user_client(auth)
        .await
        .resend_verification(bearer(ResendVerificationRequest {}, token))
        .await
        .map(|_| ())
}

async fn the_registration_message_verifies_the_address_once(backend: Backend) {
    let Some((auth, mailbox)) = with_mailbox(backend, |_| {}).await else {
        return;
    };
    let ada = register(&auth, "ada").await;
    let token = access(&ada);
    assert!(!ada.user.as_ref().unwrap().email_verified);
    let message = mailbox.wait_for("ada@example.com").await;
    assert!(message.text.contains("ada"), "{}", message.text);
    let link = message.token().expect("the message carries a link");

    verify(&auth, &link).await.unwrap();
    let me = get_me(&auth, &token).await.unwrap();
    assert!(me.email_verified);
    assert_eq!(event_count(&auth, "EMAIL_VERIFIED").await, 1);
    let again = verify(&auth, &link).await.unwrap_err();
    assert_eq!(again.code(), Code::Unauthenticated);
    assert_eq!(reason(&again), "INVALID_TOKEN");
    // Nothing left to verify.
    let status = resend(&auth, &token).await.unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert_eq!(reason(&status), "EMAIL_ALREADY_VERIFIED");
    auth.stop().await;
}

async fn an_email_change_waits_for_the_new_address_and_tells_the_old_one(backend: Backend) {
    let Some((auth, mailbox)) = with_mailbox(backend, |_| {}).await else {
        return;
    };
    let token = access(&register(&auth, "ada").await);
    mailbox.wait_for("ada@example.com").await;

    let user = change_email(&auth, &token, "ada@new.example")
        .await
        .unwrap();
    assert_eq!(user.email, "ada@example.com", "the email waits");
    assert_eq!(user.pending_email, "ada@new.example");
    let link = mailbox
        .wait_for("ada@new.example")
        .await
        .token()
        .expect("a link to the new address");
    let notice = mailbox.wait_for_nth("ada@example.com", 1).await;
    assert!(
        notice.text.contains("ada@new.example"),
        "the old address is told: {}",
        notice.text
    );
    assert!(notice.token().is_none(), "the notice carries no link");
    // Signing in still goes by the current address.
    login(&auth, "ada@example.com", PASSWORD).await.unwrap();
    assert!(login(&auth, "ada@new.example", PASSWORD).await.is_err());

    verify(&auth, &link).await.unwrap();
    let me = get_me(&auth, &token).await.unwrap();
    assert_eq!(me.email, "ada@new.example");
    assert!(me.email_verified);
    assert!(me.pending_email.is_empty());
    login(&auth, "ada@new.example", PASSWORD).await.unwrap();
    assert!(login(&auth, "ada@example.com", PASSWORD).await.is_err());
    auth.stop().await;
}

async fn only_the_latest_requested_address_can_be_verified(backend: Backend) {
    let Some((auth, mailbox)) = with_mailbox(backend, |_| {}).await else {
        return;
    };
    let token = access(&register(&auth, "ada").await);
    change_email(&auth, &token, "first@example.com")
        .await
        .unwrap();
    let first = mailbox.wait_for("first@example.com").await.token().unwrap();
    change_email(&auth, &token, "second@example.com")
        .await
        .unwrap();
    let second = mailbox
        .wait_for("second@example.com")
        .await
        .token()
        .unwrap();
    assert_eq!(
        verify(&auth, &first).await.unwrap_err().code(),
        Code::Unauthenticated
    );
    verify(&auth, &second).await.unwrap();
    assert_eq!(
        get_me(&auth, &token).await.unwrap().email,
        "second@example.com"
    );
    auth.stop().await;
}

async fn an_address_taken_meanwhile_cannot_be_adopted(backend: Backend) {
    let Some((auth, mailbox)) = with_mailbox(backend, |_| {}).await else {
        return;
    };
    let token = access(&register(&auth, "ada").await);
    change_email(&auth, &token, "shared@example.com")
        .await
        .unwrap();
    let link = mailbox
        .wait_for("shared@example.com")
        .await
        .token()
        .unwrap();
    // A pending change reserves nothing: someone else registers the address first.
    let mut other = testkit::users::registration("bob");
    other.email = "Shared@Example.com".to_owned();
    auth_client(&auth).await.register(other).await.unwrap();
    let status = verify(&auth, &link).await.unwrap_err();
    assert_eq!(status.code(), Code::AlreadyExists);
    assert_eq!(reason(&status), "EMAIL_TAKEN");
    assert_eq!(
        get_me(&auth, &token).await.unwrap().email,
        "ada@example.com"
    );
    auth.stop().await;
}

async fn expired_forged_and_empty_tokens_are_refused(backend: Backend) {
    let clock = ManualClock::new();
    let Some((auth, mailbox)) = with_mailbox(backend, |c| c.clock = clock.clock()).await else {
        return;
    };
    let token = access(&register(&auth, "ada").await);
    let link = mailbox.wait_for("ada@example.com").await.token().unwrap();
    let forged = format!("{}x", &link[..link.len() - 1]);
    assert_eq!(
        verify(&auth, &forged).await.unwrap_err().code(),
        Code::Unauthenticated
    );
    assert_eq!(bad_fields(&verify(&auth, "").await.unwrap_err()), ["token"]);
    assert_eq!(
        bad_fields(&verify(&auth, &"a".repeat(500)).await.unwrap_err()),
        ["token"]
    );
    clock.advance(Duration::from_secs(49 * 3600));
    let expired = verify(&auth, &link).await.unwrap_err();
    assert_eq!(expired.code(), Code::Unauthenticated);
    let _ = token;
    auth.stop().await;
}

async fn a_resend_replaces_the_link_and_is_limited_per_account(backend: Backend) {
    let Some((auth, mailbox)) = with_mailbox(backend, |c| {
        c.account.mail_requests_per_account = 2;
    })
    .await
    else {
        return;
    };
    let token = access(&register(&auth, "ada").await);
    let first = mailbox.wait_for("ada@example.com").await.token().unwrap();
    resend(&auth, &token).await.unwrap();
    let second = mailbox
        .wait_for_nth("ada@example.com", 1)
        .await
        .token()
        .unwrap();
    assert_ne!(first, second);
    assert_eq!(
        verify(&auth, &first).await.unwrap_err().code(),
        Code::Unauthenticated,
        "a resend replaces the earlier link"
    );
    resend(&auth, &token).await.unwrap();
    let limited = resend(&auth, &token).await.unwrap_err();
    assert_eq!(limited.code(), Code::ResourceExhausted);
    assert!(testkit::status::retry_after(&limited).is_some());
    assert_eq!(event_count(&auth, "MAIL_REQUEST_THROTTLED").await, 1);
    let last = mailbox
        .wait_for_nth("ada@example.com", 2)
        .await
        .token()
        .unwrap();
    verify(&auth, &last).await.unwrap();
    auth.stop().await;
}

async fn sign_in_can_wait_for_a_verified_address(backend: Backend) {
    let Some((auth, mailbox)) =
        with_mailbox(backend, |c| c.account.require_verified_email = true).await
    else {
        return;
    };
    let registered = register(&auth, "ada").await;
    assert!(
        registered.tokens.is_none(),
        "no session before the address is verified"
    );
    let refused = login(&auth, "ada", PASSWORD).await.unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert_eq!(reason(&refused), "EMAIL_NOT_VERIFIED");
    // Without the password nothing is told.
    let wrong = login(&auth, "ada", OTHER_PASSWORD).await.unwrap_err();
    assert_eq!(wrong.code(), Code::Unauthenticated);
    let link = mailbox.wait_for("ada@example.com").await.token().unwrap();
    verify(&auth, &link).await.unwrap();
    login(&auth, "ada", PASSWORD).await.unwrap();
    auth.stop().await;
}

backend_tests!(
    sign_in_can_wait_for_a_verified_address,
    the_registration_message_verifies_the_address_once,
    an_email_change_waits_for_the_new_address_and_tells_the_old_one,
    only_the_latest_requested_address_can_be_verified,
    an_address_taken_meanwhile_cannot_be_adopted,
    expired_forged_and_empty_tokens_are_refused,
    a_resend_replaces_the_link_and_is_limited_per_account,
);
