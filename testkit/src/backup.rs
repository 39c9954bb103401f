//! What restoring the auth database from a backup does to its revocation feed, for tests of
//! consumers that resume across it.

use shared::db::{DatabaseUrl, Db, PoolConfig};

/// Puts the revocation feed of the auth database at `url` back to how a backup taken when its
/// head was `sequence` holds it: the events after it are gone and the counter is back at it,
/// while the feed keeps its id (the backup has the same one). An operator restores with auth
/// stopped; a test may also restore under a running service. The next revocations then take
/// sequences from `sequence + 1` again: sequences consumers have already seen, for other
/// events.
pub async fn restore_revocation_feed(url: &DatabaseUrl, sequence: i64) {
    let db = Db::connect(url, &PoolConfig::default())
        .await
        .expect("open the auth database");
    let mut tx = db.begin().await.expect("begin the restore");
    sqlx::query("DELETE FROM revocation_events WHERE sequence > $1")
        .bind(sequence)
        .execute(&mut *tx)
        .await
        .expect("drop the events after the backup");
    sqlx::query("UPDATE revocation_sequence SET value = $1 WHERE id = 1")
        .bind(sequence)
        .execute(&mut *tx)
        .await
        .expect("set the counter back");
    tx.commit().await.expect("commit the restore");
    db.close().await;
}
