//! Two auth replicas on one PostgreSQL database, each running its courier: every message is
//! delivered exactly once, whichever replica queued it and whichever claims it.

use std::time::Duration;

use testkit::mail::Mailbox;
use testkit::poll::poll_until;
use testkit::replicas::Replicas;
use testkit::{Backend, postgres_tests};

async fn two_replicas_deliver_each_queued_message_exactly_once(backend: Backend) {
    let Some(mailbox) = Mailbox::start().await else {
        return;
    };
    let replicas = Replicas::spawn_with(
        backend,
        |_, config| {
            mailbox.configure(config);
            // Small batches, so both couriers take turns claiming.
            config.mail.batch_size = 2;
        },
        |_, _| {},
    )
    .await;
    let channels = replicas.auth_channels().await;
    const N: usize = 12;
    for i in 0..N {
        testkit::users::register(channels[i % 2].clone(), &format!("user{i}")).await;
    }
    mailbox.wait_for_count(N).await;
    let db = &replicas.auth[0].db;
    poll_until(Duration::from_secs(10), || async {
        let sent: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM mail_outbox WHERE state = 'SENT'")
            .fetch_one(db.pool())
            .await
            .unwrap();
        (sent == N as i64).then_some(())
    })
    .await;
    // Several more polls of both couriers: nothing is sent again.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut to: Vec<String> = mailbox.messages().into_iter().map(|m| m.to).collect();
    to.sort();
    let mut expected: Vec<String> = (0..N).map(|i| format!("user{i}@example.com")).collect();
    expected.sort();
    assert_eq!(to, expected, "each message exactly once");
    replicas.stop().await;
}

postgres_tests!(two_replicas_deliver_each_queued_message_exactly_once);
