//! Account deletion. The auth service deletes accounts; this service learns of it from the
//! revocation feed (a USER_DELETED event, kept in the feed for the deletion retention, 30 days
//! by default) and deletes every row of the user in one transaction ([`erase`]). Applying the
//! same event again deletes nothing more, so the feed may replay it (after a restart, or a
//! failed attempt) as often as it likes; the feed consumer does not move past the event until
//! the deletion has committed.
//!
//! A write of the user may race the deletion: a request authenticated just before the session
//! revocations reached this replica, committing after the deletion did. So the deletion also
//! records the user in `deleted_users`, and every write transaction of a user begins with
//! [`lock_user`]: it locks the user's stats row (which the deletion locks too, so the two are
//! serialised) and then refuses a deleted user. Either the write commits first and the
//! deletion removes what it wrote, or it waits for the deletion and is refused; nothing of a
//! deleted user survives in either order, on SQLite (one writer) as on PostgreSQL (row lock,
//! and the check is a statement of its own, which sees what committed while it waited).

use shared::db::Db;
use shared::time::now_micros;
use sqlx::AnyConnection;

use super::ids::UserId;
use crate::error::{Error, Result};
use crate::store::{deleted_users, exercises, links, request_ids, sets, stats, workouts};

/// What a write of a deleted user gets: its tokens are revoked, as the feed will soon say.
const DELETED_USER: Error = Error::Unauthenticated("TOKEN_REVOKED");

/// Locks the user's stats row until the transaction ends (creating it if missing), as every
/// write transaction of a user does first (see `stats::lock`); UNAUTHENTICATED when the user's
/// account has been deleted.
pub async fn lock_user(conn: &mut AnyConnection, user_id: &UserId, now: i64) -> Result<()> {
    stats::lock(conn, user_id, now).await?;
    refuse_deleted(conn, user_id).await
}

/// UNAUTHENTICATED when the user's account has been deleted; for a transaction that has
/// already locked or created the user's stats row in its own way.
pub async fn refuse_deleted(conn: &mut AnyConnection, user_id: &str) -> Result<()> {
    if is_deleted(conn, user_id).await? {
        tracing::info!(user_id, "refused a write of a deleted account");
        return Err(DELETED_USER);
    }
    Ok(())
}

/// True when the account `user_id` has been deleted. Read after locking the user's stats row,
/// so a deletion in progress has committed by then.
pub async fn is_deleted(conn: &mut AnyConnection, user_id: &str) -> Result<bool> {
    Ok(deleted_users::contains(conn, user_id).await?)
}

/// The training tables whose rows of a user [`erase`] deletes by `user_id` alone.
const TRAINING_TABLES: [&str; 3] = ["personal_records", "weekly_summaries", "catalogue_entries"];

/// Deletes the rows of `user_id` in `table`, one of [`TRAINING_TABLES`]; how many.
async fn delete_rows(conn: &mut AnyConnection, table: &str, user_id: &str) -> Result<u64> {
    let sql = format!("DELETE FROM {table} WHERE user_id = $1");
    let done = sqlx::query(&sql).bind(user_id).execute(conn).await?;
    Ok(done.rows_affected())
}

/// What one [`erase`] found and deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Erased {
    /// True the first time the user is erased here (false for a replayed event, or when
    /// another replica on the same database was first).
    pub first: bool,
    /// Workouts deleted.
    pub workouts: u64,
    /// Exercises deleted.
    pub exercises: u64,
    /// Links between them deleted.
    pub links: u64,
    /// Request ids (and their stored responses) deleted.
    pub request_ids: u64,
    /// Sets deleted.
    pub sets: u64,
    /// Rows of the training tables deleted: personal records, weekly summaries and custom
    /// catalogue entries.
    pub training: u64,
}

/// Deletes every row of `user_id` (workouts, exercises, their links and sets, personal
/// records, weekly summaries, custom catalogue entries, stats, request ids) and records the
/// user as deleted, in one transaction. Idempotent: a user already recorded costs
/// one read, no write (a restart replays a month of deletions).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn erase(db: &Db, user_id: &UserId) -> Result<Erased> {
    {
        let mut conn = db.read().await?;
        if is_deleted(&mut conn, user_id).await? {
            // Recorded with the deletion, in its transaction, and no write passes
            // `lock_user` after it: nothing of the user can be here.
            tracing::debug!(
                user_id = &**user_id,
                "a deleted account's data is already gone"
            );
            return Ok(Erased::default());
        }
    }
    let now = now_micros();
    let mut tx = db.begin().await?;
    // First, as every write of the user does: a write holding the lock commits before this
    // reads anything, and one waiting for it finds the user in `deleted_users`.
    stats::lock(&mut tx, user_id, now).await?;
    let first = deleted_users::insert(&mut tx, user_id, now).await?;
    // Sets and links first: they would cascade, but counting them says what was there.
    let sets = sets::delete_all(&mut tx, user_id).await?;
    let mut training = 0;
    for table in TRAINING_TABLES {
        training += delete_rows(&mut tx, table, user_id).await?;
    }
    let erased = Erased {
        first,
        sets,
        training,
        links: links::delete_all(&mut tx, user_id).await?,
        workouts: workouts::delete_all(&mut tx, user_id).await?,
        exercises: exercises::delete_all(&mut tx, user_id).await?,
        request_ids: request_ids::delete_all(&mut tx, user_id).await?,
    };
    stats::delete(&mut tx, user_id).await?;
    tx.commit().await?;
    if erased.first {
        metrics::counter!("stride_deleted_accounts_total").increment(1);
    }
    tracing::info!(
        user_id = &**user_id,
        first = erased.first,
        workouts = erased.workouts,
        exercises = erased.exercises,
        "deleted the data of a deleted account"
    );
    Ok(erased)
}

#[cfg(test)]
pub(crate) mod tests {
    use shared::db::{DatabaseUrl, PoolConfig};

    use super::*;
    use crate::store::exercises::ExerciseRow;
    use crate::store::workouts::WorkoutRow;

    /// A migrated fitness database in a fresh temporary SQLite file, removed when dropped.
    pub(crate) struct Scratch {
        pub db: Db,
        dir: std::path::PathBuf,
    }

    impl Scratch {
        pub async fn new() -> Self {
            let dir = std::env::temp_dir().join(format!("stride-fitness-{}", uuid::Uuid::now_v7()));
            let url: DatabaseUrl = format!("sqlite://{}/fitness.db", dir.display())
                .parse()
                .unwrap();
            let db = Db::connect(&url, &PoolConfig::default()).await.unwrap();
            db.migrate(&crate::store::MIGRATIONS).await.unwrap();
            Self { db, dir }
        }

        /// Gives `user_id` a row in every table: a workout and an exercise linked to it, the
        /// stats row and a request id.
        pub async fn seed(&self, user_id: &str) {
            let now = now_micros();
            let mut tx = self.db.begin().await.unwrap();
            stats::lock(&mut tx, user_id, now).await.unwrap();
            let workout = WorkoutRow {
                id: uuid::Uuid::now_v7().to_string(),
                title: "legs".into(),
                workout_date: "2025-01-02".into(),
                notes: String::new(),
                workout_type: "STRENGTH".into(),
                exercise_count: 0,
                total_duration_minutes: 0,
                created_at: now,
                updated_at: now,
                started_at: None,
                ended_at: None,
                time_zone: "UTC".into(),
                set_count: 0,
                total_reps: 0,
                volume_g: 0,
                distance_mm: 0,
                set_seconds: 0,
                import_key: None,
            };
            workouts::insert(&mut tx, user_id, &workout).await.unwrap();
            let exercise = ExerciseRow {
                id: uuid::Uuid::now_v7().to_string(),
                name: "squat".into(),
                description: String::new(),
                duration_minutes: Some(10),
                created_at: now,
                updated_at: now,
                catalogue_entry_id: None,
                tracking_mode: "WEIGHT_REPS".into(),
            };
            exercises::insert(&mut tx, user_id, &exercise)
                .await
                .unwrap();
            links::insert(
                &mut tx,
                user_id,
                &exercise.id,
                std::slice::from_ref(&workout.id),
            )
            .await
            .unwrap();
            sqlx::query(
                "INSERT INTO sets (id, user_id, workout_id, exercise_id, workout_date, position, \
                 set_type, reps, weight_milli, weight_unit, weight_g) \
                 VALUES ($1, $2, $3, $4, '2025-01-02', 0, 'NORMAL', 5, 100000, 'KG', 100000)",
            )
            .bind(uuid::Uuid::now_v7().to_string())
            .bind(user_id)
            .bind(&workout.id)
            .bind(&exercise.id)
            .execute(&mut *tx)
            .await
            .unwrap();
            for sql in [
                "INSERT INTO personal_records (user_id, exercise_id, kind, value, set_id, \
                 workout_id, workout_date, updated_at) \
                 VALUES ($1, $2, 'HEAVIEST_WEIGHT', 100000, 'x', 'y', '2025-01-02', 0)",
                "INSERT INTO weekly_summaries (user_id, week_start, workouts) \
                 VALUES ($1, $2, 1)",
                "INSERT INTO catalogue_entries (id, user_id, name, name_key, category, \
                 primary_muscles, equipment, tracking_mode, created_at) \
                 VALUES ($2, $1, $2, $2, 'STRENGTH', 'CHEST', 'BARBELL', 'WEIGHT_REPS', 0)",
            ] {
                sqlx::query(sql)
                    .bind(user_id)
                    .bind(&exercise.id)
                    .execute(&mut *tx)
                    .await
                    .unwrap();
            }
            let request_id = uuid::Uuid::now_v7().to_string();
            request_ids::insert(&mut tx, user_id, &request_id, "CreateWorkout", b"{}", now)
                .await
                .unwrap();
            tx.commit().await.unwrap();
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }

    /// How many rows of `user_id` the tables hold, all together.
    pub(crate) async fn count_rows(db: &Db, user_id: &str) -> i64 {
        let mut total = 0;
        for table in [
            "workouts",
            "exercises",
            "workout_exercises",
            "stats",
            "request_ids",
            "sets",
            "personal_records",
            "weekly_summaries",
            "catalogue_entries",
        ] {
            let n: i64 =
                sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table} WHERE user_id = $1"))
                    .bind(user_id)
                    .fetch_one(db.pool())
                    .await
                    .unwrap();
            total += n;
        }
        total
    }

    fn user(id: &str) -> UserId {
        UserId::parse(id.to_owned()).unwrap()
    }

    #[tokio::test]
    async fn erasing_deletes_every_row_of_the_user_and_only_theirs() {
        let scratch = Scratch::new().await;
        scratch.seed("ada").await;
        scratch.seed("ada").await;
        scratch.seed("bob").await;
        let before = count_rows(&scratch.db, "bob").await;
        let erased = erase(&scratch.db, &user("ada")).await.unwrap();
        assert_eq!(
            erased,
            Erased {
                first: true,
                workouts: 2,
                exercises: 2,
                links: 2,
                request_ids: 2,
                sets: 2,
                training: 6,
            }
        );
        assert_eq!(count_rows(&scratch.db, "ada").await, 0);
        assert_eq!(count_rows(&scratch.db, "bob").await, before);
    }

    #[tokio::test]
    async fn erasing_again_deletes_nothing_more_and_says_it_was_replayed() {
        let scratch = Scratch::new().await;
        scratch.seed("ada").await;
        erase(&scratch.db, &user("ada")).await.unwrap();
        let again = erase(&scratch.db, &user("ada")).await.unwrap();
        assert_eq!(again, Erased::default(), "not first, nothing found");
        assert_eq!(count_rows(&scratch.db, "ada").await, 0);
    }

    #[tokio::test]
    async fn a_write_of_a_deleted_user_is_refused_and_leaves_nothing() {
        let scratch = Scratch::new().await;
        erase(&scratch.db, &user("ada")).await.unwrap();
        let mut tx = scratch.db.begin().await.unwrap();
        let refused = lock_user(&mut tx, &user("ada"), now_micros()).await;
        assert!(
            matches!(refused, Err(Error::Unauthenticated("TOKEN_REVOKED"))),
            "{refused:?}"
        );
        drop(tx);
        assert_eq!(count_rows(&scratch.db, "ada").await, 0, "rolled back");
        let mut tx = scratch.db.begin().await.unwrap();
        lock_user(&mut tx, &user("bob"), now_micros())
            .await
            .expect("another user writes");
    }
}
