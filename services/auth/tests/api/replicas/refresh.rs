//! Fifty concurrent refreshes of one token, alternating between auth-1 and auth-2. Rotation is
//! decided in the shared rows under the session's row lock, so the outcome is exactly what one
//! server gives (see `refresh::concurrency`): one winner, or two inside a grace window; the
//! losers' reuse revokes the session, winners included; and the chain never forks.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use shared::pb::auth::v1::{RefreshRequest, TokenPair};
use testkit::poll::poll_until;
use testkit::{Backend, postgres_tests};
use tonic::Code;

use super::*;
use crate::helpers::{jti_of, reason};

/// Concurrent presentations of the one refresh token.
const PRESENTATIONS: usize = 50;

/// What the presentations got.
struct Outcome {
    /// The pairs of the refreshes that succeeded.
    wins: Vec<TokenPair>,
    /// The `ErrorInfo` reasons of the refusals, which are all UNAUTHENTICATED.
    losses: Vec<String>,
}

impl Outcome {
    /// How many refusals gave `reason`.
    fn refused_as(&self, reason: &str) -> usize {
        self.losses.iter().filter(|r| *r == reason).count()
    }
}

/// Presents `token` [`PRESENTATIONS`] times at once, alternately to auth-1 and auth-2.
async fn concurrent_refreshes(replicas: &Replicas, token: &str) -> Outcome {
    let clients = auth_clients(replicas).await;
    let start = Arc::new(tokio::sync::Barrier::new(PRESENTATIONS));
    let tasks: Vec<_> = (0..PRESENTATIONS)
        .map(|i| {
            let mut client = clients[i % 2].clone();
            let token = token.to_owned();
            let start = start.clone();
            tokio::spawn(async move {
                start.wait().await;
                client
                    .refresh(RefreshRequest {
                        refresh_token: token,
                    })
                    .await
                    .map(|r| r.into_inner().tokens.unwrap())
            })
        })
        .collect();
    let mut outcome = Outcome {
        wins: Vec::new(),
        losses: Vec::new(),
    };
    for task in tasks {
        match task.await.unwrap() {
            Ok(pair) => outcome.wins.push(pair),
            Err(status) => {
                assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
                outcome.losses.push(reason(&status));
            }
        }
    }
    outcome
}

/// The refresh tokens of `session_id` in chain order, asserting they form one line from
/// `root` with no fork: one token without a parent, no token with two children, and every
/// token reachable from the root.
async fn linear_chain(db: &Db, session_id: &str, root: &str) -> Vec<String> {
    let rows: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT jti, parent_jti FROM refresh_tokens WHERE session_id = $1")
            .bind(session_id)
            .fetch_all(db.pool())
            .await
            .unwrap();
    let roots: Vec<&str> = rows
        .iter()
        .filter(|(_, parent)| parent.is_none())
        .map(|(jti, _)| jti.as_str())
        .collect();
    assert_eq!(roots, [root], "the session's first token is the only root");
    let mut child_of: HashMap<&str, &str> = HashMap::new();
    for (jti, parent) in &rows {
        if let Some(parent) = parent {
            let earlier = child_of.insert(parent.as_str(), jti.as_str());
            assert!(earlier.is_none(), "{parent} has two children: a fork");
        }
    }
    let mut chain = vec![root.to_owned()];
    while let Some(child) = child_of.get(chain[chain.len() - 1].as_str()) {
        chain.push((*child).to_owned());
    }
    assert_eq!(chain.len(), rows.len(), "every token is on the one line");
    chain
}

/// Refresh tokens of a session still usable: neither rotated nor revoked.
const LIVE_REFRESH_TOKENS: &str = "SELECT COUNT(*) FROM refresh_tokens \
     WHERE session_id = $1 AND rotated_at IS NULL AND revoked_at IS NULL";

/// Access tokens of a session not revoked.
const LIVE_ACCESS_TOKENS: &str =
    "SELECT COUNT(*) FROM access_tokens WHERE session_id = $1 AND revoked_at IS NULL";

/// Access tokens ever issued in a session.
const ISSUED_ACCESS_TOKENS: &str = "SELECT COUNT(*) FROM access_tokens WHERE session_id = $1";

/// The count `sql` reads for `session_id`.
async fn count(db: &Db, sql: &str, session_id: &str) -> i64 {
    sqlx::query_scalar(sql)
        .bind(session_id)
        .fetch_one(db.pool())
        .await
        .unwrap()
}

/// Asserts what every race of this file ends in: `wins` winners forming a line from `p0` with
/// one pair issued per winner, the session revoked for reuse once, and every winner's pair
/// refused by both replicas (refresh at once; introspection, which answers access tokens from
/// each replica's mirror of the feed, within a generous deadline).
async fn assert_the_session_ended_linear(
    replicas: &Replicas,
    p0: &TokenPair,
    outcome: &Outcome,
    wins: usize,
) {
    let db = &replicas.auth[0].db;
    assert_eq!(outcome.wins.len(), wins, "losses: {:?}", outcome.losses);
    assert_eq!(
        outcome.refused_as("REFRESH_TOKEN_REUSED"),
        1,
        "the first loser past the winners detects reuse: {:?}",
        outcome.losses
    );
    assert_eq!(
        outcome.refused_as("TOKEN_REVOKED"),
        PRESENTATIONS - wins - 1,
        "every later loser finds the session revoked: {:?}",
        outcome.losses
    );

    let chain = linear_chain(db, &p0.session_id, &jti_of(&p0.refresh_token)).await;
    let won: HashSet<String> = outcome
        .wins
        .iter()
        .map(|pair| jti_of(&pair.refresh_token))
        .collect();
    assert_eq!(
        chain[1..].iter().cloned().collect::<HashSet<_>>(),
        won,
        "the chain is the first token, then exactly the winners' tokens"
    );
    assert_eq!(
        count(db, ISSUED_ACCESS_TOKENS, &p0.session_id).await,
        1 + i64::try_from(wins).unwrap(),
        "one access token per pair: no double issuance"
    );
    assert_eq!(count(db, LIVE_REFRESH_TOKENS, &p0.session_id).await, 0);
    assert_eq!(count(db, LIVE_ACCESS_TOKENS, &p0.session_id).await, 0);
    let revoke_reason: Option<String> =
        sqlx::query_scalar("SELECT revoke_reason FROM sessions WHERE id = $1")
            .bind(&p0.session_id)
            .fetch_one(db.pool())
            .await
            .unwrap();
    assert_eq!(revoke_reason.as_deref(), Some("refresh token reuse"));
    assert_eq!(event_count(db, "REFRESH_TOKEN_REUSE").await, 1);
    assert_eq!(
        event_count(db, "TOKEN_REFRESHED").await,
        i64::try_from(wins).unwrap()
    );

    let [one, two] = replicas.auth_channels().await;
    for (name, channel) in [("auth-1", one), ("auth-2", two)] {
        let mut client = AuthServiceClient::new(channel.clone());
        for pair in &outcome.wins {
            let status = client
                .refresh(RefreshRequest {
                    refresh_token: pair.refresh_token.clone(),
                })
                .await
                .unwrap_err();
            assert_eq!(
                (status.code(), reason(&status).as_str()),
                (Code::Unauthenticated, "TOKEN_REVOKED"),
                "{name} refuses a winner's refresh token"
            );
            let (answer, _) = poll_until(Duration::from_secs(10), || {
                let channel = channel.clone();
                async move {
                    let answer = introspect_at(channel, &pair.access_token).await;
                    (!answer.active).then_some(answer)
                }
            })
            .await;
            assert_eq!(answer.inactive_reason, "REVOKED", "{name}: {answer:?}");
        }
    }
}

async fn fifty_concurrent_refreshes_over_two_replicas_have_one_winner_and_end_the_session(
    backend: Backend,
) {
    let replicas = Replicas::spawn(backend).await;
    let [one, _] = replicas.auth_channels().await;
    let p0 = testkit::users::register(one, "ada").await.tokens.unwrap();
    let outcome = concurrent_refreshes(&replicas, &p0.refresh_token).await;
    // Grace 0: every loser presented a rotated token, which is reuse.
    assert_the_session_ended_linear(&replicas, &p0, &outcome, 1).await;
    replicas.stop().await;
}

async fn with_grace_fifty_concurrent_refreshes_over_two_replicas_never_fork_the_session(
    backend: Backend,
) {
    let replicas = Replicas::spawn_with(
        backend,
        |_, config| config.tokens.refresh_reuse_grace = Duration::from_secs(30),
        |_, _| {},
    )
    .await;
    let [one, _] = replicas.auth_channels().await;
    let p0 = testkit::users::register(one, "ada").await.tokens.unwrap();
    let outcome = concurrent_refreshes(&replicas, &p0.refresh_token).await;
    // The winner, then one grace retry rotating the winner's child (whichever replica it
    // reached); the next presentation finds the first token two steps behind: reuse.
    assert_the_session_ended_linear(&replicas, &p0, &outcome, 2).await;
    replicas.stop().await;
}

postgres_tests!(
    fifty_concurrent_refreshes_over_two_replicas_have_one_winner_and_end_the_session,
    with_grace_fifty_concurrent_refreshes_over_two_replicas_never_fork_the_session,
);
