//! Sweeping what can no longer be used: mailed-link tokens and second-factor challenges past
//! their expiry. Run hourly by the app (and from `stride_auth::maintenance`).

use shared::db::Db;
use shared::time::Micros;

use crate::error::Result;
use crate::store::account_tokens;
use crate::store::mfa::challenges;

/// Deletes link tokens and challenges that expired before `now`; returns how many went.
pub async fn sweep(db: &Db, now: Micros) -> Result<u64> {
    let mut tx = db.begin().await?;
    let tokens = account_tokens::delete_expired(&mut tx, now).await?;
    let challenges = challenges::delete_expired(&mut tx, now).await?;
    tx.commit().await?;
    Ok(tokens + challenges)
}
