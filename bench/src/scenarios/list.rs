//! `list-workouts`: the first page of `ListWorkouts` for a user with few rows and for one with
//! very many (1k vs 1M; 1k vs 20k in quick mode), in the same database.
//!
//! Rows are seeded with multi-row INSERTs straight into the fitness database, in batches inside
//! transactions: going through the RPC would take hours for 1M rows and measure nothing this
//! scenario is about. Fitness runs with its auth layer off (callers named by
//! `x-stride-user-id`): the auth layer costs the same for both users, and leaving it out makes
//! the ratio purely the storage's.

use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context as _, Result};
use shared::db::{Backend, Db};
use shared::pb::fitness::v1::ListWorkoutsRequest;
use shared::pb::fitness::v1::workout_service_client::WorkoutServiceClient;
use tonic::transport::Channel;

use super::setup::{self, Identity};
use super::{Ctx, process_rss};
use crate::load::{Worker, warm_then_drive};
use crate::report::{Row, Verdict};
use crate::stack;

/// Largest accepted p50(large) / p50(small).
pub const RATIO_TARGET: f64 = 1.5;
/// Rows per INSERT statement (5 parameters each, under every backend's parameter limit).
const ROWS_PER_STATEMENT: u64 = 1_000;
/// Statements per transaction.
const STATEMENTS_PER_TX: u64 = 10;
/// Workout types, cycled through by the seeded rows.
const TYPES: [&str; 5] = ["STRENGTH", "CARDIO", "FLEXIBILITY", "BALANCE", "ENDURANCE"];
/// Seeded dates spread over this many days, so pages are ordered by a real sort key.
const DAYS: u64 = 3_650;

/// Inserts `rows` workouts of `user_id`, dated over the last ten years.
pub async fn seed(db: &Db, user_id: &str, rows: u64) -> Result<()> {
    let today = time::OffsetDateTime::now_utc().date();
    let dates: Vec<String> = (0..DAYS)
        .map(|d| (today - time::Duration::days(d as i64)).to_string())
        .collect();
    let base_micros = shared::time::now_micros();
    let mut written = 0_u64;
    while written < rows {
        let mut tx = db.begin().await?;
        for _ in 0..STATEMENTS_PER_TX {
            let n = ROWS_PER_STATEMENT.min(rows - written);
            if n == 0 {
                break;
            }
            let mut sql = String::from(
                "INSERT INTO workouts (id, user_id, title, workout_date, notes, workout_type, \
                 exercise_count, total_duration_minutes, created_at, updated_at) VALUES ",
            );
            for r in 0..n {
                let p = 2 + 4 * r;
                let kind = TYPES[((written + r) % TYPES.len() as u64) as usize];
                if r > 0 {
                    sql.push(',');
                }
                // Only numbered parameters and constants from TYPES: no input reaches the SQL.
                sql.push_str(&format!(
                    "(${p}, $1, ${}, ${}, '', '{kind}', 0, 0, ${}, ${})",
                    p + 1,
                    p + 2,
                    p + 3,
                    p + 3
                ));
            }
            let mut query = sqlx::query(&sql).bind(user_id.to_owned());
            for r in 0..n {
                let i = written + r;
                query = query
                    .bind(uuid::Uuid::now_v7().to_string())
                    .bind(format!("Workout {i}"))
                    .bind(dates[(i % DAYS) as usize].clone())
                    .bind(base_micros - i as i64);
            }
            query.execute(&mut *tx).await.context("seed workouts")?;
            written += n;
        }
        tx.commit().await?;
    }
    Ok(())
}

/// Refreshes the planner's statistics, as autovacuum (PostgreSQL) or a periodic `ANALYZE`
/// (SQLite) would on a database that grew to this size.
async fn analyze(db: &Db) -> Result<()> {
    let sql = match db.backend() {
        Backend::Postgres => "ANALYZE workouts",
        Backend::Sqlite => "ANALYZE",
    };
    sqlx::query(sql).execute(db.pool()).await?;
    Ok(())
}

/// Lists the first page (the default 50) of one user's workouts.
struct ListWorker {
    client: WorkoutServiceClient<Channel>,
    who: Identity,
}

impl Worker for ListWorker {
    async fn call(&mut self) -> Result<(), tonic::Status> {
        let mut request = tonic::Request::new(ListWorkoutsRequest::default());
        self.who.apply(&mut request);
        let page = self.client.list_workouts(request).await?.into_inner();
        if page.workouts.len() == 50 {
            Ok(())
        } else {
            Err(tonic::Status::internal(format!(
                "first page has {} workouts, not 50",
                page.workouts.len()
            )))
        }
    }
}

/// Seeds both users, then measures each one's first page at the same concurrency.
pub async fn run(ctx: &Ctx) -> Result<Vec<Row>> {
    let (small, large) = ctx.plan.list_rows;
    let fitness = stack::start_fitness(ctx.plan.backend, "http://127.0.0.1:9".into(), true).await?;
    let small_user = uuid::Uuid::now_v7().to_string();
    let large_user = uuid::Uuid::now_v7().to_string();
    let t0 = Instant::now();
    seed(&fitness.db, &small_user, small).await?;
    seed(&fitness.db, &large_user, large).await?;
    analyze(&fitness.db).await?;
    let seeded = t0.elapsed();

    let concurrency = 4.min(ctx.plan.concurrency);
    let channels = Arc::new(stack::channels(fitness.addr, 1).await?);
    let mut rows = Vec::new();
    let mut p50s = Vec::new();
    for (user, count) in [(&small_user, small), (&large_user, large)] {
        let who = Identity::UserId(setup::ascii(user)?);
        let outcome = warm_then_drive(
            async || {
                Ok((0..concurrency)
                    .map(|_| ListWorker {
                        client: WorkoutServiceClient::new(channels[0].clone()),
                        who: who.clone(),
                    })
                    .collect())
            },
            ctx.limits(),
        )
        .await?;
        p50s.push(outcome.latency.map_or(0, |l| l.p50));
        let mut row = Row::from_outcome(format!("list-workouts: {} rows", human(count)), &outcome)
            .noted(format!(
                "{concurrency} in flight, page of 50, auth layer off"
            ));
        row.rss = process_rss();
        rows.push(row);
    }
    let ratio = match p50s.as_slice() {
        [small_p50, large_p50] if *small_p50 > 0 => *large_p50 as f64 / *small_p50 as f64,
        _ => f64::INFINITY,
    };
    let mut ratio_row = Row::empty(format!(
        "list-workouts: p50 ratio {}/{}",
        human(large),
        human(small)
    ))
    .judged(
        "p50 ratio ≤ 1.5",
        Verdict::check(ratio <= RATIO_TARGET, || format!("ratio {ratio:.2}")),
    )
    .noted(format!(
        "ratio {ratio:.2}; seeded {} rows in {:.1} s (multi-row INSERTs, {} rows per statement)",
        small + large,
        seeded.as_secs_f64(),
        ROWS_PER_STATEMENT
    ));
    ratio_row.rss = process_rss();
    rows.push(ratio_row);
    fitness.stop().await?;
    Ok(rows)
}

/// `1k`, `20k`, `1M`.
pub fn human(n: u64) -> String {
    if n >= 1_000_000 && n.is_multiple_of(1_000_000) {
        format!("{}M", n / 1_000_000)
    } else if n >= 1_000 && n.is_multiple_of(1_000) {
        format!("{}k", n / 1_000)
    } else {
        n.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_counts_are_shown_in_thousands_and_millions() {
        assert_eq!(human(1_000), "1k");
        assert_eq!(human(20_000), "20k");
        assert_eq!(human(1_000_000), "1M");
        assert_eq!(human(1_500), "1500");
    }
}
