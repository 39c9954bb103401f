//! The fitness auth layer, on every fitness RPC except health and reflection:
//!
//! 1. the Bearer token from `authorization` metadata (`shared::credentials::bearer`);
//! 2. verified locally against the cached JWKS ([`jwks`]), EdDSA pinned, `typ: at+jwt`,
//!    `iss`, `aud` and times checked ([`token`]);
//! 3. its `jti`, `sid` and `sub` looked up in the revocation set ([`revocation`]) that the
//!    feed consumer ([`feed`]) keeps current (the consumer also deletes the data of deleted
//!    accounts); when the feed has been silent longer than the
//!    staleness bound, the auth service is asked directly ([`check`]) and if it cannot answer
//!    the request fails closed with UNAVAILABLE;
//! 4. the [`Caller`] is handed to the handler in the request extensions ([`layer`]).

pub(crate) mod caller;
pub(crate) mod check;
pub(crate) mod client;
pub(crate) mod feed;
pub(crate) mod jwks;
pub(crate) mod layer;
pub(crate) mod revocation;
pub(crate) mod token;

use std::sync::Arc;
use std::time::Duration;

use shared::credentials::{INVALID_TOKEN, MISSING_TOKEN, bearer};
use shared::db::Db;
use tokio::task::JoinHandle;

pub(crate) use caller::Caller;
pub(crate) use layer::AuthLayer;

use self::check::{Checker, Verdict};
use self::client::AuthClient;
use self::jwks::Jwks;
use self::revocation::Revocations;
use self::token::Verifier;
use crate::config::AuthConfig;
use crate::domain::ids::UserId;
use crate::error::{Error, Result};

/// Metadata naming the caller when authentication is disabled (benchmarks only, set in code).
pub const BENCH_USER_HEADER: &str = "x-stride-user-id";
/// Metadata listing the caller's roles (comma-separated) when authentication is disabled.
pub const BENCH_ROLES_HEADER: &str = "x-stride-roles";

/// Everything needed to authenticate a request.
#[derive(Debug)]
pub struct Authenticator {
    config: AuthConfig,
    client: AuthClient,
    verifier: Verifier,
    jwks: Jwks,
    revocations: Arc<Revocations>,
    checker: Checker,
}

impl Authenticator {
    /// An authenticator talking to the auth service through `client`. Nothing is fetched
    /// until [`start`](Self::start) runs the background tasks (or a request needs a key).
    pub fn new(config: AuthConfig, client: AuthClient) -> Self {
        if config.disabled {
            warn_disabled();
        }
        let clock = config.clock.clone();
        Self {
            verifier: Verifier::new(
                &config.issuer,
                &config.audience,
                config.leeway,
                clock.clone(),
            ),
            jwks: Jwks::new(client.clone(), config.jwks_refetch_cooldown),
            revocations: Arc::new(Revocations::new(config.leeway, clock)),
            checker: Checker::new(client.clone()),
            client,
            config,
        }
    }

    /// Starts the feed consumer (which deletes the data of deleted accounts from `db`) and the
    /// periodic JWKS refresh. The returned tasks are aborted when dropped.
    pub fn start(self: &Arc<Self>, db: Db) -> BackgroundTasks {
        if self.config.disabled {
            warn_disabled();
            return BackgroundTasks(Vec::new());
        }
        let revocations = Arc::downgrade(&self.revocations);
        shared::prometheus::on_scrape(move || {
            let Some(revocations) = revocations.upgrade() else {
                return false;
            };
            metrics::gauge!("stride_revoked_entries").set(revocations.len() as f64);
            let silent = revocations
                .silent_for()
                .map_or(f64::INFINITY, |d| d.as_secs_f64());
            metrics::gauge!("stride_revocation_feed_silence_seconds").set(silent);
            true
        });
        // A silent stream is reopened after twice the staleness bound (at least 3 s), so
        // heartbeats at the default 1 s never trip it.
        let idle = (self.config.max_staleness * 2).max(Duration::from_secs(3));
        let feed = tokio::spawn(feed::follow(
            self.client.clone(),
            Arc::clone(&self.revocations),
            db,
            idle,
        ));
        let this = Arc::clone(self);
        let keys = tokio::spawn(async move { this.refresh_keys_forever().await });
        BackgroundTasks(vec![feed, keys])
    }

    async fn refresh_keys_forever(&self) {
        // Retry quickly until the first fetch works, then settle on the configured interval.
        let mut retry = Duration::from_millis(100);
        loop {
            match self.jwks.refresh().await {
                Ok(_) => break,
                Err(status) => {
                    tracing::warn!(code = ?status.code(), "cannot fetch the signing keys yet");
                    tokio::time::sleep(retry).await;
                    retry = (retry * 2).min(self.config.jwks_refresh_interval);
                }
            }
        }
        let mut every = tokio::time::interval(self.config.jwks_refresh_interval);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        every.tick().await;
        loop {
            every.tick().await;
            if let Err(status) = self.jwks.refresh().await {
                tracing::warn!(code = ?status.code(), "periodic signing key refresh failed; keeping the cached keys");
            }
        }
    }

    /// Authenticates a request from its headers.
    pub async fn authenticate(&self, headers: &http::HeaderMap) -> Result<Caller> {
        if self.config.disabled {
            return bench_caller(headers);
        }
        let token = bearer(headers).map_err(Error::Unauthenticated)?;
        let claims = self.verifier.verify(&self.jwks, token).await?;
        if self.revocations.is_revoked(&claims.jti, &claims.sid)
            || self.revocations.is_user_revoked(&claims.sub)
        {
            return Err(Error::Unauthenticated("TOKEN_REVOKED"));
        }
        if !self.revocations.is_fresh(self.config.max_staleness) {
            let expires_at = Some(claims.exp.saturating_mul(1_000_000));
            match self.checker.check(&claims.jti, &claims.sid).await {
                Verdict::Clear => {}
                Verdict::TokenRevoked => {
                    self.revocations.revoke_token(claims.jti, expires_at);
                    return Err(Error::Unauthenticated("TOKEN_REVOKED"));
                }
                Verdict::SessionRevoked => {
                    self.revocations.revoke_session(claims.sid, expires_at);
                    return Err(Error::Unauthenticated("TOKEN_REVOKED"));
                }
                Verdict::Unknown => return Err(Error::Unavailable("REVOCATION_UNAVAILABLE")),
            }
        }
        // The verifier refuses tokens without a subject, so this only restates it as a type.
        let user_id = UserId::parse(claims.sub).ok_or(Error::Unauthenticated(INVALID_TOKEN))?;
        Ok(Caller {
            user_id,
            roles: claims.roles,
        })
    }
}

/// Says, as loudly as a log can, that anyone may claim to be anyone.
fn warn_disabled() {
    tracing::error!(
        "AUTHENTICATION IS DISABLED (config.auth.disabled): callers are whoever \
         {BENCH_USER_HEADER} says. Benchmarks only; never expose this server."
    );
}

/// The caller named by benchmark metadata; without a user id, UNAUTHENTICATED.
fn bench_caller(headers: &http::HeaderMap) -> Result<Caller> {
    let user_id = headers
        .get(BENCH_USER_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| UserId::parse(v.to_owned()))
        .ok_or(Error::Unauthenticated(MISSING_TOKEN))?;
    let roles = headers
        .get(BENCH_ROLES_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(',')
                .map(|r| r.trim().to_ascii_lowercase())
                .filter(|r| !r.is_empty())
                .collect()
        })
        .unwrap_or_else(|| vec!["user".to_owned()]);
    Ok(Caller { user_id, roles })
}

/// Background tasks of the auth layer, aborted when dropped.
#[derive(Debug)]
pub struct BackgroundTasks(Vec<JoinHandle<()>>);

impl Drop for BackgroundTasks {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn benchmark_callers_come_from_metadata() {
        let mut h = http::HeaderMap::new();
        assert!(bench_caller(&h).is_err());
        h.insert(BENCH_USER_HEADER, "u1".parse().unwrap());
        let caller = bench_caller(&h).unwrap();
        assert_eq!(&*caller.user_id, "u1");
        assert_eq!(caller.roles, ["user"]);
        h.insert(BENCH_ROLES_HEADER, "Staff, user".parse().unwrap());
        assert!(bench_caller(&h).unwrap().is_staff());
    }
}
