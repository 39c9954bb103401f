//! The outbox and courier against a real database (SQLite and PostgreSQL, through
//! `testkit::TestDb`) and a real SMTP server (`testkit::mail::Mailbox`), with messages queued
//! directly by [`enqueue`]: each case controls exactly what is queued and when the courier
//! runs. Without aiosmtpd the cases that need a server skip (see `testkit::mail`).

use std::time::Duration;

use shared::db::{Backend, Db, PoolConfig};
use testkit::TestDb;
use testkit::mail::{MailMessage, Mailbox};
use testkit::poll::poll_until;

use super::courier::{Courier, sweep};
use super::transport::Transport;
use super::{MailConfig, Outgoing, Template, enqueue, wake_ups};
use crate::clock::Clock;
use crate::store::MIGRATIONS;
use crate::store::mail_outbox;

/// A migrated database, with the pool a replica would hold.
struct Fixture {
    db: Db,
    // Declared last: the database outlives the pool.
    test_db: TestDb,
}

impl Fixture {
    async fn new(backend: Backend) -> Self {
        let test_db = TestDb::create("auth", backend).await;
        let db = connect(&test_db).await;
        db.migrate(&MIGRATIONS).await.unwrap();
        Self { db, test_db }
    }
}

/// Another pool on the same database: what a second replica holds.
async fn connect(test_db: &TestDb) -> Db {
    Db::connect(test_db.url(), &PoolConfig::default())
        .await
        .unwrap()
}

/// A private temporary directory, removed when dropped.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new() -> Self {
        Self(std::env::temp_dir().join(format!("stride-mail-{}", crate::new_id())))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A courier task, aborted when dropped.
struct Running(tokio::task::JoinHandle<()>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn courier(db: &Db, config: &MailConfig) -> Courier {
    let transport = Transport::new(config)
        .expect("a transport is configured")
        .unwrap();
    Courier::new(db.clone(), Clock::system(), config.clone(), transport)
}

fn run(db: &Db, config: &MailConfig) -> Running {
    Running(tokio::spawn(courier(db, config).run(wake_ups())))
}

/// A test configuration pointed at `mailbox`.
fn smtp_config(mailbox: &Mailbox) -> MailConfig {
    let mut config = MailConfig::for_tests();
    config.use_smtp(&mailbox.url()).unwrap();
    testkit_fast(&mut config);
    config
}

/// `testkit::mail::fast` for this crate's own `MailConfig` (testkit sees the library built
/// without `cfg(test)`, whose types differ from this test build's).
fn testkit_fast(config: &mut MailConfig) {
    config.retry_base = Duration::from_millis(50);
    config.retry_max = Duration::from_millis(200);
    config.poll_interval = Duration::from_millis(50);
    config.smtp_timeout = Duration::from_secs(2);
    config.lease = Duration::from_secs(5);
}

fn verify(token: &str) -> Template {
    Template::VerifyEmail {
        token: token.to_owned(),
        change: false,
    }
}

/// Queues `template` to `to` in a committed transaction.
async fn queue(db: &Db, to: &str, template: Template) {
    let mut tx = db.begin().await.unwrap();
    let message = Outgoing {
        to: to.to_owned(),
        username: "ada".to_owned(),
        template,
    };
    enqueue(&mut tx, Clock::system().now(), &message)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

/// The outbox row of the message to `to`.
#[derive(Debug, sqlx::FromRow)]
struct Row {
    state: String,
    attempts: i64,
    params: Option<String>,
    last_error: Option<String>,
    finished_at: Option<i64>,
}

async fn row(db: &Db, to: &str) -> Option<Row> {
    sqlx::query_as(
        "SELECT state, attempts, params, last_error, finished_at FROM mail_outbox \
         WHERE recipient = $1",
    )
    .bind(to)
    .fetch_optional(db.pool())
    .await
    .unwrap()
}

async fn rows(db: &Db) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM mail_outbox")
        .fetch_one(db.pool())
        .await
        .unwrap()
}

/// Waits (up to 10 s) until the row to `to` is in `state`, and returns it.
async fn settled(db: &Db, to: &str, state: &str) -> Row {
    let (row, _) = poll_until(Duration::from_secs(10), || async {
        row(db, to).await.filter(|r| r.state == state)
    })
    .await;
    row
}

async fn a_queued_message_is_delivered_then_scrubbed(backend: Backend) {
    let Some(mailbox) = Mailbox::start().await else {
        return;
    };
    let f = Fixture::new(backend).await;
    let mut config = smtp_config(&mailbox);
    config.product_name = "Acme Fit".to_owned();
    config.set_public_url("https://fit.example.com/").unwrap();
    config.set_from("Acme Fit <hello@fit.example.com>").unwrap();
    queue(&f.db, "ada@example.com", verify("tok-Abc_123")).await;
    // Before any courier runs, the row holds what the message needs.
    let queued = row(&f.db, "ada@example.com").await.unwrap();
    assert_eq!((queued.state.as_str(), queued.attempts), ("QUEUED", 0));
    assert!(queued.params.as_deref().unwrap().contains("tok-Abc_123"));

    let _courier = run(&f.db, &config);
    let m = mailbox.wait_for("ada@example.com").await;
    assert_eq!(m.subject, "Confirm your email address for Acme Fit");
    assert_eq!(m.from, "\"Acme Fit\" <hello@fit.example.com>");
    assert_eq!(m.envelope_from, "hello@fit.example.com");
    let link = "https://fit.example.com/verify-email?token=tok-Abc_123";
    assert!(m.text.contains("Hello ada,"), "{}", m.text);
    assert!(m.text.contains(link), "{}", m.text);
    assert!(
        m.html.contains(&format!("<a href=\"{link}\">")),
        "{}",
        m.html
    );
    assert!(m.html.contains("Acme Fit"), "{}", m.html);
    assert_eq!(m.token().as_deref(), Some("tok-Abc_123"));
    assert_eq!(m.link().as_deref(), Some(link));

    let sent = settled(&f.db, "ada@example.com", "SENT").await;
    assert_eq!(sent.attempts, 1);
    assert_eq!(sent.params, None, "the token is scrubbed once sent");
    assert!(sent.finished_at.is_some());
    assert_eq!(mailbox.messages().len(), 1);
}

async fn every_template_arrives_with_its_own_text(backend: Backend) {
    let Some(mailbox) = Mailbox::start().await else {
        return;
    };
    let f = Fixture::new(backend).await;
    let config = smtp_config(&mailbox);
    let _courier = run(&f.db, &config);
    let cases = [
        (
            "v@example.com",
            verify("t1"),
            "Confirm your email address for Stride",
        ),
        (
            "c@example.com",
            Template::VerifyEmail {
                token: "t2".into(),
                change: true,
            },
            "Confirm your new email address for Stride",
        ),
        (
            "o@example.com",
            Template::EmailChangeRequested {
                new_email: "n@example.com".into(),
            },
            "Your Stride email address is being changed",
        ),
        (
            "r@example.com",
            Template::PasswordReset {
                token: "t3".into(),
                valid_minutes: 30,
            },
            "Reset your Stride password",
        ),
        (
            "d@example.com",
            Template::AccountDeleted,
            "Your Stride account was deleted",
        ),
    ];
    for (to, template, _) in cases.clone() {
        queue(&f.db, to, template).await;
    }
    for (to, _, subject) in cases {
        let m = mailbox.wait_for(to).await;
        assert_eq!(m.subject, subject);
        assert!(!m.text.is_empty() && !m.html.is_empty());
    }
    let reset = mailbox.wait_for("r@example.com").await;
    assert!(
        reset
            .text
            .contains("http://127.0.0.1:8000/reset-password?token=t3"),
        "{}",
        reset.text
    );
    assert!(reset.text.contains("within 30 minutes"), "{}", reset.text);
    assert_eq!(
        mailbox.wait_for("c@example.com").await.token().as_deref(),
        Some("t2")
    );
    assert!(
        mailbox
            .wait_for("o@example.com")
            .await
            .text
            .contains("n@example.com")
    );
    assert_eq!(mailbox.wait_for("d@example.com").await.token(), None);
}

async fn html_parts_escape_every_value(backend: Backend) {
    let Some(mailbox) = Mailbox::start().await else {
        return;
    };
    let f = Fixture::new(backend).await;
    let mut config = smtp_config(&mailbox);
    config.product_name = "Fit & <b>Co</b>".to_owned();
    let _courier = run(&f.db, &config);
    let evil = "\"><script>alert(1)</script>@example.com";
    queue(
        &f.db,
        "old@example.com",
        Template::EmailChangeRequested {
            new_email: evil.to_owned(),
        },
    )
    .await;
    let m = mailbox.wait_for("old@example.com").await;
    assert!(!m.html.contains("<script>"), "{}", m.html);
    assert!(!m.html.contains("<b>Co"), "{}", m.html);
    assert!(
        m.html
            .contains("&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;@example.com"),
        "{}",
        m.html
    );
    assert!(
        m.html.contains("Fit &amp; &lt;b&gt;Co&lt;/b&gt;"),
        "{}",
        m.html
    );
    assert!(
        m.text.contains(evil),
        "the text part is not HTML: {}",
        m.text
    );
    assert_eq!(
        m.subject,
        "Your Fit & <b>Co</b> email address is being changed"
    );
}

async fn a_rolled_back_message_is_never_sent(backend: Backend) {
    let Some(mailbox) = Mailbox::start().await else {
        return;
    };
    let f = Fixture::new(backend).await;
    let config = smtp_config(&mailbox);
    let _courier = run(&f.db, &config);
    let mut tx = f.db.begin().await.unwrap();
    let message = Outgoing {
        to: "ghost@example.com".into(),
        username: "ghost".into(),
        template: verify("never"),
    };
    enqueue(&mut tx, Clock::system().now(), &message)
        .await
        .unwrap();
    drop(tx);
    // Queued after the rollback: once it arrives, the courier has had its chance.
    queue(&f.db, "later@example.com", verify("later")).await;
    mailbox.wait_for("later@example.com").await;
    settled(&f.db, "later@example.com", "SENT").await;
    assert!(row(&f.db, "ghost@example.com").await.is_none());
    assert_eq!(rows(&f.db).await, 1);
    let to: Vec<String> = mailbox.messages().into_iter().map(|m| m.to).collect();
    assert_eq!(to, ["later@example.com"]);
}

async fn a_server_that_comes_up_late_gets_the_message_exactly_once(backend: Backend) {
    let port = Mailbox::unused_port();
    let f = Fixture::new(backend).await;
    let mut config = MailConfig::for_tests();
    config
        .use_smtp(&format!("smtp://127.0.0.1:{port}"))
        .unwrap();
    testkit_fast(&mut config);
    config.max_attempts = 100;
    let _courier = run(&f.db, &config);
    queue(&f.db, "late@example.com", verify("late")).await;
    // Refused connections: the message goes back to the queue with a later due time.
    let (retried, _) = poll_until(Duration::from_secs(10), || async {
        row(&f.db, "late@example.com")
            .await
            .filter(|r| r.attempts >= 2 && r.last_error.is_some())
    })
    .await;
    assert!(
        retried
            .last_error
            .as_deref()
            .unwrap()
            .contains("cannot connect"),
        "{retried:?}"
    );
    assert!(
        retried.params.is_some(),
        "a message to retry keeps its parameters"
    );
    let Some(mailbox) = Mailbox::start_on(port).await else {
        return;
    };
    mailbox.wait_for("late@example.com").await;
    let sent = settled(&f.db, "late@example.com", "SENT").await;
    assert!(sent.attempts >= 3, "{sent:?}");
    assert_eq!(sent.params, None);
    // A few more polls: still one copy.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(mailbox.messages().len(), 1);
}

async fn a_deferred_message_is_given_up_after_the_last_attempt(backend: Backend) {
    let Some(mailbox) = Mailbox::start().await else {
        return;
    };
    let f = Fixture::new(backend).await;
    let mut config = smtp_config(&mailbox);
    config.max_attempts = 3;
    let _courier = run(&f.db, &config);
    queue(&f.db, "defer-me@example.com", verify("x")).await;
    let failed = settled(&f.db, "defer-me@example.com", "FAILED").await;
    assert_eq!(failed.attempts, 3);
    assert_eq!(failed.params, None, "a given-up message is scrubbed too");
    let error = failed.last_error.unwrap();
    assert!(error.contains("gave up after 3 attempts"), "{error}");
    assert!(error.contains("451"), "{error}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        row(&f.db, "defer-me@example.com").await.unwrap().attempts,
        3
    );
    assert!(mailbox.messages().is_empty());
}

async fn a_refused_recipient_is_given_up_at_once(backend: Backend) {
    let Some(mailbox) = Mailbox::start().await else {
        return;
    };
    let f = Fixture::new(backend).await;
    let config = smtp_config(&mailbox);
    let _courier = run(&f.db, &config);
    queue(&f.db, "reject-me@example.com", verify("x")).await;
    queue(&f.db, "not an address", verify("y")).await;
    let refused = settled(&f.db, "reject-me@example.com", "FAILED").await;
    assert_eq!(refused.attempts, 1);
    assert!(refused.last_error.unwrap().contains("550"));
    let invalid = settled(&f.db, "not an address", "FAILED").await;
    assert_eq!(invalid.attempts, 0, "never begun: it cannot be composed");
    assert_eq!(invalid.params, None);
    assert!(mailbox.messages().is_empty());
}

async fn a_message_without_a_verdict_is_not_sent_again(backend: Backend) {
    let Some(mailbox) = Mailbox::start().await else {
        return;
    };
    let f = Fixture::new(backend).await;
    let mut config = smtp_config(&mailbox);
    config.smtp_timeout = Duration::from_millis(500);
    config.lease = Duration::from_secs(2);
    let _courier = run(&f.db, &config);
    queue(&f.db, "hang-up@example.com", verify("x")).await;
    let failed = settled(&f.db, "hang-up@example.com", "FAILED").await;
    assert_eq!(failed.attempts, 1);
    assert!(failed.last_error.unwrap().contains("outcome unknown"));
    assert_eq!(failed.params, None);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        mailbox.messages().len(),
        1,
        "the server got it once, and only once"
    );
}

async fn expired_leases_requeue_claims_and_give_up_interrupted_sends(backend: Backend) {
    let Some(mailbox) = Mailbox::start().await else {
        return;
    };
    let f = Fixture::new(backend).await;
    queue(&f.db, "claimed@example.com", verify("a")).await;
    queue(&f.db, "sending@example.com", verify("b")).await;
    // A replica claimed both, began sending one, and died.
    let now = Clock::system().now();
    let mut tx = f.db.begin().await.unwrap();
    let claimed = mail_outbox::claim_due(&mut tx, f.db.backend(), "dead", now, now + 1, 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 2);
    let attempts = mail_outbox::begin_sending(&mut tx, &claimed[1].id, "dead", now + 1)
        .await
        .unwrap();
    assert_eq!(attempts, Some(1));
    tx.commit().await.unwrap();
    tokio::time::sleep(Duration::from_millis(5)).await;

    let config = smtp_config(&mailbox);
    courier(&f.db, &config).round().await.unwrap();
    courier(&f.db, &config).round().await.unwrap();
    mailbox.wait_for("claimed@example.com").await;
    settled(&f.db, "claimed@example.com", "SENT").await;
    let interrupted = settled(&f.db, "sending@example.com", "FAILED").await;
    assert!(interrupted.last_error.unwrap().contains("lease expired"));
    assert_eq!(interrupted.params, None);
    assert_eq!(mailbox.messages().len(), 1);

    // The dead replica's claim is gone: it cannot begin sending what it claimed.
    let mut tx = f.db.begin().await.unwrap();
    let late = mail_outbox::begin_sending(&mut tx, &claimed[0].id, "dead", now + 10)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(late, None);
}

async fn a_claim_in_progress_is_skipped_by_another_replica_not_shared(backend: Backend) {
    let f = Fixture::new(backend).await;
    let other = connect(&f.test_db).await;
    queue(&f.db, "one@example.com", verify("a")).await;
    let now = Clock::system().now();
    let lease = now + 60_000_000;
    let mut first = f.db.begin().await.unwrap();
    let mine = mail_outbox::claim_due(&mut first, backend, "first", now, lease, 10)
        .await
        .unwrap();
    assert_eq!(mine.len(), 1);
    // The second replica claims while the first transaction is still open.
    let second = tokio::spawn(async move {
        let mut tx = other.begin().await.unwrap();
        let theirs = mail_outbox::claim_due(&mut tx, backend, "second", now, lease, 10)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        theirs
    });
    if backend == Backend::Postgres {
        // SKIP LOCKED: it does not wait for the first claim to commit.
        let theirs = tokio::time::timeout(Duration::from_secs(5), second)
            .await
            .expect("the second claim does not wait")
            .unwrap();
        assert!(theirs.is_empty(), "{theirs:?}");
        first.commit().await.unwrap();
    } else {
        // SQLite: the second writer waits for the first, then finds the row taken.
        first.commit().await.unwrap();
        assert!(second.await.unwrap().is_empty());
    }
    let owner: Option<String> =
        sqlx::query_scalar("SELECT lease_owner FROM mail_outbox WHERE recipient = $1")
            .bind("one@example.com")
            .fetch_one(f.db.pool())
            .await
            .unwrap();
    assert_eq!(owner.as_deref(), Some("first"));
}

async fn two_couriers_on_one_database_send_each_message_once(backend: Backend) {
    let Some(mailbox) = Mailbox::start().await else {
        return;
    };
    let f = Fixture::new(backend).await;
    let other = connect(&f.test_db).await;
    let mut config = smtp_config(&mailbox);
    // Small batches, so both couriers take turns claiming.
    config.batch_size = 3;
    let _first = run(&f.db, &config);
    let _second = run(&other, &config);
    const N: usize = 24;
    for i in 0..N {
        let db = if i % 2 == 0 { &f.db } else { &other };
        queue(
            db,
            &format!("user{i}@example.com"),
            verify(&format!("t{i}")),
        )
        .await;
    }
    let messages = mailbox.wait_for_count(N).await;
    poll_until(Duration::from_secs(10), || async {
        let sent: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM mail_outbox WHERE state = 'SENT'")
            .fetch_one(f.db.pool())
            .await
            .unwrap();
        (sent == N as i64).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut to: Vec<String> = mailbox.messages().into_iter().map(|m| m.to).collect();
    to.sort();
    let mut expected: Vec<String> = (0..N).map(|i| format!("user{i}@example.com")).collect();
    expected.sort();
    assert_eq!(to, expected, "each message exactly once");
    assert!(messages.iter().all(|m| m.token().is_some()));
}

async fn the_file_transport_writes_a_readable_message(backend: Backend) {
    let f = Fixture::new(backend).await;
    let dir = TempDir::new();
    let mut config = MailConfig::for_tests();
    config.use_dir(dir.0.join("mail"));
    queue(&f.db, "ada@example.com", verify("file-token")).await;
    courier(&f.db, &config).round().await.unwrap();
    let files: Vec<_> = std::fs::read_dir(dir.0.join("mail"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(files[0].extension().unwrap(), "eml");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&files[0]).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "it holds a live link");
    }
    let raw = std::fs::read_to_string(&files[0]).unwrap();
    assert!(
        raw.contains("Subject: Confirm your email address for Stride"),
        "{raw}"
    );
    assert!(raw.contains("To: ada@example.com"), "{raw}");
    let m = MailMessage::parse_eml(&raw);
    assert_eq!(m.to, "ada@example.com");
    assert_eq!(m.token().as_deref(), Some("file-token"));
    assert!(m.html.contains("verify-email?token=file-token"));
    let sent = row(&f.db, "ada@example.com").await.unwrap();
    assert_eq!((sent.state.as_str(), sent.params), ("SENT", None));
}

async fn finished_messages_are_swept_after_the_retention(backend: Backend) {
    let f = Fixture::new(backend).await;
    let dir = TempDir::new();
    let mut config = MailConfig::for_tests();
    config.use_dir(&dir.0);
    queue(&f.db, "sent@example.com", verify("a")).await;
    courier(&f.db, &config).round().await.unwrap();
    queue(&f.db, "queued@example.com", verify("b")).await;
    let now = Clock::system().now();
    let day = Duration::from_secs(86_400);
    assert_eq!(sweep(&f.db, now, day).await.unwrap(), 0);
    let later = now + crate::clock::micros(day) + 1_000_000;
    assert_eq!(sweep(&f.db, later, day).await.unwrap(), 1);
    assert!(row(&f.db, "sent@example.com").await.is_none());
    assert_eq!(
        row(&f.db, "queued@example.com").await.unwrap().state,
        "QUEUED",
        "unsent mail is never swept"
    );
}

async fn without_a_transport_messages_stay_queued(backend: Backend) {
    let f = Fixture::new(backend).await;
    let config = MailConfig::for_tests();
    assert!(Transport::new(&config).is_none());
    let running = super::courier::start(&f.db, &Clock::system(), &config);
    assert_eq!(running.tasks.len(), 1, "only the sweep runs");
    assert!(!running.has_courier());
    queue(&f.db, "ada@example.com", verify("a")).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(row(&f.db, "ada@example.com").await.unwrap().state, "QUEUED");
}

async fn a_stopping_courier_starts_no_new_send_and_hands_its_claims_back(backend: Backend) {
    let Some(mailbox) = Mailbox::start().await else {
        return;
    };
    let f = Fixture::new(backend).await;
    let recipients = ["a@example.com", "b@example.com", "c@example.com"];
    for to in recipients {
        queue(&f.db, to, verify(to)).await;
    }
    let config = smtp_config(&mailbox);
    let stopping = courier(&f.db, &config);
    // Told to stop as its round begins: it claims, but sends nothing more.
    let (_stop, stopped) = tokio::sync::watch::channel(true);
    assert_eq!(stopping.round_until(&stopped).await.unwrap(), 3);
    for to in recipients {
        assert_eq!(row(&f.db, to).await.unwrap().state, "CLAIMED");
    }
    stopping.release().await;
    for to in recipients {
        assert_eq!(row(&f.db, to).await.unwrap().state, "QUEUED", "{to}");
    }
    // Another courier takes them at once, without waiting out the stopped one's lease.
    courier(&f.db, &config).round().await.unwrap();
    mailbox.wait_for_count(3).await;
    assert!(mailbox.messages().len() == 3, "each sent once");
}

testkit::backend_tests!(
    a_stopping_courier_starts_no_new_send_and_hands_its_claims_back,
    a_queued_message_is_delivered_then_scrubbed,
    every_template_arrives_with_its_own_text,
    html_parts_escape_every_value,
    a_rolled_back_message_is_never_sent,
    a_server_that_comes_up_late_gets_the_message_exactly_once,
    a_deferred_message_is_given_up_after_the_last_attempt,
    a_refused_recipient_is_given_up_at_once,
    a_message_without_a_verdict_is_not_sent_again,
    expired_leases_requeue_claims_and_give_up_interrupted_sends,
    a_claim_in_progress_is_skipped_by_another_replica_not_shared,
    two_couriers_on_one_database_send_each_message_once,
    the_file_transport_writes_a_readable_message,
    finished_messages_are_swept_after_the_retention,
    without_a_transport_messages_stay_queued,
);

#[test]
fn debug_output_never_shows_a_token() {
    let template = Template::PasswordReset {
        token: "secret-token".into(),
        valid_minutes: 5,
    };
    let message = Outgoing {
        to: "a@example.com".into(),
        username: "a".into(),
        template,
    };
    let shown = format!("{message:?}");
    assert!(!shown.contains("secret-token"), "{shown}");
    assert!(shown.contains("PASSWORD_RESET"), "{shown}");
}
