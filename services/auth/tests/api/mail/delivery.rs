//! What Register queues reaches the mail server, or the mail directory.

use std::time::Duration;

use testkit::mail::{MailMessage, Mailbox, Tls};
use testkit::poll::poll_until;
use testkit::{Backend, TestAuth};

use super::{last_error, outbox_row};
use crate::helpers::*;

async fn registration_mails_a_verification_link_with_the_configured_names(backend: Backend) {
    let Some(mailbox) = Mailbox::start().await else {
        return;
    };
    let auth = TestAuth::spawn_with(backend, |config| {
        mailbox.configure(config);
        config.mail.product_name = "Acme Fit".into();
        config
            .mail
            .set_public_url("https://fit.example.com")
            .unwrap();
        config
            .mail
            .set_from("Acme Fit <hello@fit.example.com>")
            .unwrap();
    })
    .await;
    register(&auth, "ada").await;
    let m = mailbox.wait_for("ada@example.com").await;
    assert_eq!(m.subject, "Confirm your email address for Acme Fit");
    assert_eq!(m.from, "\"Acme Fit\" <hello@fit.example.com>");
    assert_eq!(m.envelope_from, "hello@fit.example.com");
    assert!(m.text.contains("Hello ada,"), "{}", m.text);
    let token = m.token().expect("the message carries a token");
    let link = format!("https://fit.example.com/verify-email?token={token}");
    assert_eq!(m.link().as_deref(), Some(link.as_str()));
    assert!(m.html.contains(&format!("href=\"{link}\"")), "{}", m.html);
    assert!(m.html.contains("Acme Fit"), "{}", m.html);
    assert!(
        token.len() >= 40
            && token
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
        "a URL-safe token: {token}"
    );

    // Sent once, and the token no longer sits in the database.
    let (row, _) = poll_until(Duration::from_secs(10), || async {
        outbox_row(&auth.db, "ada@example.com")
            .await
            .filter(|(state, _, _)| state == "SENT")
    })
    .await;
    assert_eq!(row, ("SENT".to_owned(), 1, None));
    assert_eq!(mailbox.messages().len(), 1);
}

async fn a_refused_registration_mails_nothing(backend: Backend) {
    let Some(mailbox) = Mailbox::start().await else {
        return;
    };
    let auth = TestAuth::spawn_with(backend, |config| mailbox.configure(config)).await;
    let mut request = registration("ada");
    request.password = "short".into();
    let refused = auth_client(&auth).await.register(request).await;
    assert!(refused.is_err());
    register(&auth, "bob").await;
    mailbox.wait_for("bob@example.com").await;
    let to: Vec<String> = mailbox.messages().into_iter().map(|m| m.to).collect();
    assert_eq!(to, ["bob@example.com"]);
    assert!(outbox_row(&auth.db, "ada@example.com").await.is_none());
}

async fn html_escapes_the_configured_product_name(backend: Backend) {
    let Some(mailbox) = Mailbox::start().await else {
        return;
    };
    let auth = TestAuth::spawn_with(backend, |config| {
        mailbox.configure(config);
        config.mail.product_name = "Fit <script>x()</script> & \"Co\"".into();
    })
    .await;
    register(&auth, "ada").await;
    let m = mailbox.wait_for("ada@example.com").await;
    assert!(!m.html.contains("<script>"), "{}", m.html);
    assert!(
        m.html
            .contains("Fit &lt;script&gt;x()&lt;/script&gt; &amp; &quot;Co&quot;"),
        "{}",
        m.html
    );
    assert!(
        m.text.contains("Fit <script>x()</script> & \"Co\""),
        "{}",
        m.text
    );
}

async fn a_mail_server_that_comes_up_late_gets_the_message_once(backend: Backend) {
    let port = Mailbox::unused_port();
    let auth = TestAuth::spawn_with(backend, |config| {
        config
            .mail
            .use_smtp(&format!("smtp://127.0.0.1:{port}"))
            .unwrap();
        testkit::mail::fast(&mut config.mail);
        config.mail.max_attempts = 100;
    })
    .await;
    register(&auth, "ada").await;
    // Connections are refused: the message is retried, with backoff, and kept.
    queued_after_retries(&auth, "ada@example.com").await;
    let Some(mailbox) = Mailbox::start_on(port).await else {
        return;
    };
    let m = mailbox.wait_for("ada@example.com").await;
    assert!(m.token().is_some());
    let (row, _) = poll_until(Duration::from_secs(10), || async {
        outbox_row(&auth.db, "ada@example.com")
            .await
            .filter(|(state, _, _)| state == "SENT")
    })
    .await;
    assert!(row.1 >= 3, "{row:?}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(mailbox.messages().len(), 1);
}

async fn the_courier_logs_in_when_the_server_wants_it(backend: Backend) {
    let Some(mailbox) = Mailbox::start_with_login("mailer", "s3cret-pass").await else {
        return;
    };
    let auth = TestAuth::spawn_with(backend, |config| mailbox.configure(config)).await;
    register(&auth, "ada").await;
    let m = mailbox.wait_for("ada@example.com").await;
    assert_eq!(m.login.as_deref(), Some("mailer"));
}

async fn a_wrong_smtp_password_is_retried_and_nothing_is_sent(backend: Backend) {
    let Some(mailbox) = Mailbox::start_with_login("mailer", "s3cret-pass").await else {
        return;
    };
    let auth = TestAuth::spawn_with(backend, |config| {
        mailbox.configure(config);
        config.mail.use_smtp_credentials("mailer", "wrong");
    })
    .await;
    register(&auth, "ada").await;
    queued_after_retries(&auth, "ada@example.com").await;
    let error = last_error(&auth.db, "ada@example.com").await;
    // aiosmtpd may stall a failed login past the SMTP timeout: either way, before the message.
    assert!(
        error.contains("cannot log in") || error.contains("before the message was handed over"),
        "{error}"
    );
    assert!(
        !error.contains("wrong"),
        "no password in the error: {error}"
    );
    assert!(mailbox.messages().is_empty());
}

/// Waits until the message to `to` failed at least twice and waits, queued, with its
/// parameters.
async fn queued_after_retries(auth: &TestAuth, to: &str) {
    poll_until(Duration::from_secs(10), || async {
        outbox_row(&auth.db, to)
            .await
            .filter(|(state, attempts, params)| {
                state == "QUEUED" && *attempts >= 2 && params.is_some()
            })
    })
    .await;
}

async fn mail_goes_over_starttls_with_a_login(backend: Backend) {
    let Some(mailbox) = Mailbox::start_tls(Tls::StartTls, Some(("mailer", "s3cret-pass"))).await
    else {
        return;
    };
    let auth = TestAuth::spawn_with(backend, |config| mailbox.configure(config)).await;
    register(&auth, "ada").await;
    let m = mailbox.wait_for("ada@example.com").await;
    assert!(m.tls, "the session was encrypted");
    assert_eq!(m.login.as_deref(), Some("mailer"));
    assert!(m.token().is_some());
}

async fn mail_goes_over_implicit_tls(backend: Backend) {
    let Some(mailbox) = Mailbox::start_tls(Tls::Implicit, None).await else {
        return;
    };
    let auth = TestAuth::spawn_with(backend, |config| mailbox.configure(config)).await;
    register(&auth, "ada").await;
    let m = mailbox.wait_for("ada@example.com").await;
    assert!(m.tls, "the session was encrypted");
    assert!(m.token().is_some());
}

async fn a_server_whose_certificate_is_not_trusted_gets_nothing(backend: Backend) {
    let Some(mailbox) = Mailbox::start_tls(Tls::StartTls, None).await else {
        return;
    };
    // The sink's CA is not trusted: only the web PKI roots are.
    let auth = TestAuth::spawn_with(backend, |config| {
        config.mail.use_smtp(&mailbox.url()).unwrap();
        testkit::mail::fast(&mut config.mail);
    })
    .await;
    register(&auth, "ada").await;
    queued_after_retries(&auth, "ada@example.com").await;
    let error = last_error(&auth.db, "ada@example.com").await;
    assert!(error.contains("STARTTLS failed"), "{error}");
    assert!(mailbox.messages().is_empty());
}

async fn the_file_transport_writes_a_readable_message(backend: Backend) {
    let dir = std::env::temp_dir().join(format!("stride-mail-{}", stride_auth::new_id()));
    let mail_dir = dir.join("mail");
    let auth = TestAuth::spawn_with(backend, |config| {
        config.mail.use_dir(&mail_dir);
        testkit::mail::fast(&mut config.mail);
    })
    .await;
    register(&auth, "ada").await;
    let (files, _) = poll_until(Duration::from_secs(10), || async {
        let files: Vec<_> = std::fs::read_dir(&mail_dir)
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect();
        (!files.is_empty()).then_some(files)
    })
    .await;
    assert_eq!(files.len(), 1, "{files:?}");
    let raw = std::fs::read_to_string(&files[0]).unwrap();
    assert!(
        raw.contains("Subject: Confirm your email address for Stride"),
        "{raw}"
    );
    let m = MailMessage::parse_eml(&raw);
    assert_eq!(m.to, "ada@example.com");
    assert!(m.token().is_some(), "{}", m.text);
    assert!(m.text.contains("http://127.0.0.1:8000/verify-email?token="));
    let _ = std::fs::remove_dir_all(dir);
}

testkit::backend_tests!(
    registration_mails_a_verification_link_with_the_configured_names,
    a_refused_registration_mails_nothing,
    html_escapes_the_configured_product_name,
    a_mail_server_that_comes_up_late_gets_the_message_once,
    the_courier_logs_in_when_the_server_wants_it,
    a_wrong_smtp_password_is_retried_and_nothing_is_sent,
    mail_goes_over_starttls_with_a_login,
    mail_goes_over_implicit_tls,
    a_server_whose_certificate_is_not_trusted_gets_nothing,
    the_file_transport_writes_a_readable_message,
);
