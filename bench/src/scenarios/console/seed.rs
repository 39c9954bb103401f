//! The population the console's pages read: users registered through `Register`, one of them
//! made an admin, and their workouts and statistics written straight into the fitness
//! database.
//!
//! Workouts go in with multi-row INSERTs, as `list-workouts` seeds its rows: 100,000
//! `CreateWorkout` calls would take minutes and measure nothing this scenario is about. Each
//! user's statistics row is written beside them, consistent with them (their count and total
//! duration; no exercises), as fitness keeps it in the transaction of every change; nine users
//! in ten carry an evaluation, the tenth none, so the leaderboard orders both kinds.

use std::ops::Range;

use anyhow::{Context as _, Result};
use futures::{StreamExt as _, TryStreamExt as _};
use shared::db::Db;
use tonic::transport::Channel;

use crate::scenarios::setup::{self, User};

/// Registrations in flight at once (cheap Argon2: the auth service's hashing permits and its
/// database take them as fast as they come).
pub const REGISTERING: usize = 16;
/// Workout rows per INSERT statement (6 parameters each, under every backend's limit).
const ROWS_PER_STATEMENT: usize = 1_000;
/// Statements per transaction.
const STATEMENTS_PER_TX: usize = 10;
/// Workout types, cycled through.
const TYPES: [&str; 5] = ["STRENGTH", "CARDIO", "FLEXIBILITY", "BALANCE", "ENDURANCE"];
/// Workouts are dated over the last year.
const DAYS: u64 = 365;
/// Microseconds in a day.
const DAY_MICROS: i64 = 86_400_000_000;

/// Registers users `<prefix>_<i>` for every `i` of `range`, [`REGISTERING`] at a time, in
/// the order of `i`.
pub async fn users(auth: &Channel, prefix: &str, range: Range<usize>) -> Result<Vec<User>> {
    futures::stream::iter(range)
        .map(|i| {
            let name = format!("{prefix}_{i}");
            async move { setup::register(auth, &name).await }
        })
        .buffered(REGISTERING)
        .try_collect()
        .await
}

/// Signs each of `users` in `times` times (each sign-in a new session and a
/// `LOGIN_SUCCEEDED` event), [`REGISTERING`] at a time.
pub async fn sign_ins(auth: &Channel, users: &[User], times: usize) -> Result<()> {
    futures::stream::iter(
        users
            .iter()
            .flat_map(|user| std::iter::repeat_n(user, times)),
    )
    .map(|user| async move { setup::login(auth, &user.username).await.map(drop) })
    .buffer_unordered(REGISTERING)
    .try_collect::<()>()
    .await
}

/// Gives `user_id` the ADMIN role in the auth database, as an operator would.
pub async fn make_admin(auth: &Db, user_id: &str) -> Result<()> {
    let done = sqlx::query("UPDATE users SET role = 'ADMIN' WHERE id = $1")
        .bind(user_id)
        .execute(auth.pool())
        .await
        .context("make the admin")?;
    anyhow::ensure!(done.rows_affected() == 1, "no user {user_id} to make admin");
    Ok(())
}

/// One seeded workout: whose, which of theirs, and its derived fields.
struct Workout<'a> {
    user_id: &'a str,
    title: String,
    date: String,
    minutes: i64,
    kind: &'static str,
    created_at: i64,
}

/// User `u`'s workout `w` of `per_user`, spread evenly over the last year.
fn workout<'a>(
    user_id: &'a str,
    u: usize,
    w: u64,
    per_user: u64,
    today: time::Date,
    now: i64,
) -> Workout<'a> {
    let days_ago = (w * DAYS / per_user.max(1) + u as u64 % 3) as i64;
    Workout {
        user_id,
        title: format!("Workout {w}"),
        date: (today - time::Duration::days(days_ago)).to_string(),
        minutes: minutes(u, w),
        kind: TYPES[(u + w as usize) % TYPES.len()],
        created_at: now - days_ago * DAY_MICROS - u as i64,
    }
}

/// The duration of user `u`'s workout `w`: 20 to 90 minutes.
fn minutes(u: usize, w: u64) -> i64 {
    20 + ((u as u64 + w * 7) % 71) as i64
}

/// User `u`'s evaluation: none for one user in ten, otherwise 0–100.
fn evaluation(u: usize) -> Option<i64> {
    (u % 10 != 9).then_some(((u * 37) % 101) as i64)
}

/// Writes `per_user` workouts for every user of `user_ids`, and each one's statistics row.
pub async fn workouts(db: &Db, user_ids: &[String], per_user: u64) -> Result<()> {
    let today = time::OffsetDateTime::now_utc().date();
    let now = shared::time::now_micros();
    let mut all = user_ids
        .iter()
        .enumerate()
        .flat_map(|(u, id)| (0..per_user).map(move |w| workout(id, u, w, per_user, today, now)));
    let mut done = false;
    while !done {
        let mut tx = db.begin().await?;
        for _ in 0..STATEMENTS_PER_TX {
            let batch: Vec<Workout<'_>> = all.by_ref().take(ROWS_PER_STATEMENT).collect();
            if batch.is_empty() {
                done = true;
                break;
            }
            insert_workouts(&mut tx, &batch).await?;
        }
        tx.commit().await?;
    }
    let mut tx = db.begin().await?;
    for (chunk, ids) in user_ids.chunks(ROWS_PER_STATEMENT).enumerate() {
        insert_stats(&mut tx, chunk * ROWS_PER_STATEMENT, ids, per_user, now).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// One multi-row INSERT of `batch`.
async fn insert_workouts(conn: &mut sqlx::AnyConnection, batch: &[Workout<'_>]) -> Result<()> {
    let mut sql = String::from(
        "INSERT INTO workouts (id, user_id, title, workout_date, notes, workout_type, \
         exercise_count, total_duration_minutes, created_at, updated_at) VALUES ",
    );
    for (r, row) in batch.iter().enumerate() {
        let p = 1 + 6 * r;
        if r > 0 {
            sql.push(',');
        }
        // Only numbered parameters and constants from TYPES: no input reaches the SQL.
        sql.push_str(&format!(
            "(${p}, ${}, ${}, ${}, '', '{}', 0, ${}, ${}, ${})",
            p + 1,
            p + 2,
            p + 3,
            row.kind,
            p + 4,
            p + 5,
            p + 5
        ));
    }
    let mut query = sqlx::query(&sql);
    for row in batch {
        query = query
            .bind(uuid::Uuid::now_v7().to_string())
            .bind(row.user_id)
            .bind(row.title.as_str())
            .bind(row.date.as_str())
            .bind(row.minutes)
            .bind(row.created_at);
    }
    query.execute(conn).await.context("seed workouts")?;
    Ok(())
}

/// One multi-row INSERT of the statistics rows of `ids`, the first being user `first`.
async fn insert_stats(
    conn: &mut sqlx::AnyConnection,
    first: usize,
    ids: &[String],
    per_user: u64,
    now: i64,
) -> Result<()> {
    let mut sql = String::from(
        "INSERT INTO stats (user_id, total_workouts, total_exercises, total_duration_minutes, \
         evaluation, updated_at) VALUES ",
    );
    let total_workouts = i64::try_from(per_user)?;
    for r in 0..ids.len() {
        let p = 1 + 3 * r;
        if r > 0 {
            sql.push(',');
        }
        // Counts and evaluations are numbers computed here (or NULL): no input reaches the SQL.
        let evaluation = evaluation(first + r).map_or_else(|| "NULL".to_owned(), |e| e.to_string());
        sql.push_str(&format!(
            "(${p}, {total_workouts}, 0, ${}, {evaluation}, ${})",
            p + 1,
            p + 2
        ));
    }
    let mut query = sqlx::query(&sql);
    for (r, id) in ids.iter().enumerate() {
        let u = first + r;
        let total_minutes: i64 = (0..per_user).map(|w| minutes(u, w)).sum();
        query = query.bind(id.as_str()).bind(total_minutes).bind(now);
    }
    query.execute(conn).await.context("seed statistics")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stack;
    use shared::db::Backend;

    #[test]
    fn durations_and_evaluations_stay_in_range() {
        for u in 0..50 {
            for w in 0..100 {
                assert!((20..=90).contains(&minutes(u, w)));
            }
            match evaluation(u) {
                Some(e) => assert!((0..=100).contains(&e)),
                None => assert_eq!(u % 10, 9),
            }
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_statistics_row_matches_its_users_workouts() {
        let fitness = stack::start_fitness(Backend::Sqlite, "http://127.0.0.1:9".into(), true)
            .await
            .unwrap();
        let ids: Vec<String> = (0..12).map(|_| uuid::Uuid::now_v7().to_string()).collect();
        workouts(&fitness.db, &ids, 100).await.unwrap();
        let rows: Vec<(String, i64, i64, Option<i64>, i64, i64)> = sqlx::query_as(
            "SELECT s.user_id, s.total_workouts, s.total_duration_minutes, s.evaluation, \
             COUNT(w.id), COALESCE(SUM(w.total_duration_minutes), 0) \
             FROM stats s LEFT JOIN workouts w ON w.user_id = s.user_id \
             GROUP BY s.user_id, s.total_workouts, s.total_duration_minutes, s.evaluation",
        )
        .fetch_all(fitness.db.pool())
        .await
        .unwrap();
        assert_eq!(rows.len(), ids.len());
        for (user_id, total, minutes, _, counted, summed) in &rows {
            assert_eq!((*total, *minutes), (*counted, *summed), "{user_id}");
            assert_eq!(*total, 100);
        }
        assert!(rows.iter().any(|r| r.3.is_none()) && rows.iter().any(|r| r.3.is_some()));
        let workouts: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM workouts")
            .fetch_one(fitness.db.pool())
            .await
            .unwrap();
        assert_eq!(workouts, 12 * 100);
        fitness.stop().await.unwrap();
    }
}
