//! Refresh rotation, reuse detection, the grace window, concurrency, lifetimes and Logout.

mod concurrency;
mod rotation;
mod session_end;

use std::time::Duration;

use shared::pb::auth::v1::{
    GetMeRequest, GetTokenTreeRequest, LogoutRequest, RefreshRequest, TokenStatus,
};
use stride_auth::clock::ManualClock;
use testkit::{Backend, TestAuth};
use tonic::Code;

use crate::helpers::*;

async fn tree_statuses(auth: &TestAuth, access: &str, session_id: &str) -> Vec<(String, i32)> {
    let tree = session_client(auth)
        .await
        .get_token_tree(bearer(
            GetTokenTreeRequest {
                session_id: session_id.to_owned(),
            },
            access,
        ))
        .await
        .unwrap()
        .into_inner()
        .tree
        .unwrap();
    tree.refresh_tokens
        .into_iter()
        .map(|n| (n.jti, n.status))
        .collect()
}

async fn active_refresh_tokens(auth: &TestAuth, session_id: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM refresh_tokens WHERE session_id = $1 \
         AND rotated_at IS NULL AND revoked_at IS NULL",
    )
    .bind(session_id)
    .fetch_one(auth.db.pool())
    .await
    .unwrap()
}

async fn parents_are_distinct(auth: &TestAuth, session_id: &str) -> bool {
    let (rows, distinct): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), COUNT(DISTINCT parent_jti) FROM refresh_tokens \
         WHERE session_id = $1 AND parent_jti IS NOT NULL",
    )
    .bind(session_id)
    .fetch_one(auth.db.pool())
    .await
    .unwrap();
    rows == distinct
}

/// Fires `n` concurrent refreshes of `token`; returns the successes and the failure reasons.
async fn concurrent_refreshes(
    auth: &TestAuth,
    token: &str,
    n: usize,
) -> (Vec<String>, Vec<String>) {
    let client = auth_client(auth).await;
    let start = std::sync::Arc::new(tokio::sync::Barrier::new(n));
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let mut client = client.clone();
            let token = token.to_owned();
            let start = start.clone();
            tokio::spawn(async move {
                start.wait().await;
                client
                    .refresh(RefreshRequest {
                        refresh_token: token,
                    })
                    .await
                    .map(|r| r.into_inner().tokens.unwrap().refresh_token)
            })
        })
        .collect();
    let (mut wins, mut losses) = (Vec::new(), Vec::new());
    for task in tasks {
        match task.await.unwrap() {
            Ok(token) => wins.push(token),
            Err(status) => {
                assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
                losses.push(reason(&status));
            }
        }
    }
    (wins, losses)
}
