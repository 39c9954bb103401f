//! Signed-in browsers, held server-side: the browser keeps only a sealed random id
//! ([`cookie`]); the token pair stays here.
//!
//! Access tokens are refreshed transparently, and **one refresh per session at a time**: the
//! pair sits behind an async mutex, so two tabs that find the access token stale wait for one
//! rotation and both use its result, instead of presenting the same refresh token twice (which
//! the auth service treats as theft and answers by revoking the session).
//!
//! The store is bounded (`STRIDE_CONSOLE_MAX_SESSIONS`, least recently used signed out beyond
//! it) and forgets browsers idle longer than `STRIDE_CONSOLE_IDLE_TIMEOUT`.

pub(crate) mod cookie;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use shared::pb::auth::v1::auth_service_client::AuthServiceClient;
use shared::pb::auth::v1::{RefreshRequest, TokenPair};
use time::OffsetDateTime;
use tonic::Code;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use crate::error::ConsoleError;
use crate::grpc::Stamp;

/// A session's key in the store (also what the cookie seals).
pub(crate) type SessionId = [u8; 32];

/// An access token this close to expiry is refreshed before use (or a quarter of its
/// lifetime, when that is shorter).
const REFRESH_AHEAD: time::Duration = time::Duration::seconds(30);
/// How long a sign-in waiting for its second factor is kept.
const PENDING_TTL: Duration = Duration::from_secs(300);
/// Sign-ins waiting for a second factor held at once.
const MAX_PENDING: usize = 10_000;
/// Sessions one user may hold in this console.
const MAX_PER_USER: usize = 20;
/// A full store signs out its least recently used session only if it is idle this long.
const EVICTABLE_AFTER: Duration = Duration::from_secs(300);

/// The token pair of a session (never printed: `Debug` is redacted).
struct Tokens {
    access: Arc<str>,
    refresh: String,
    /// When to rotate before use: shortly before the access token expires.
    refresh_at: Option<OffsetDateTime>,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tokens(<redacted>)")
    }
}

impl Tokens {
    fn from_pair(pair: TokenPair) -> Self {
        let now = OffsetDateTime::now_utc();
        let refresh_at = pair
            .access_expires_at
            .and_then(|t| OffsetDateTime::from_unix_timestamp(t.seconds).ok())
            .map(|expires| {
                let lifetime: time::Duration = (expires - now).max(time::Duration::ZERO);
                expires - (lifetime / 4_i32).min(REFRESH_AHEAD)
            });
        Self {
            access: pair.access_token.into(),
            refresh: pair.refresh_token,
            refresh_at,
        }
    }

    fn stale(&self) -> bool {
        self.refresh_at
            .is_some_and(|at| OffsetDateTime::now_utc() >= at)
    }
}

/// One signed-in browser.
#[derive(Debug)]
pub(crate) struct Session {
    id: SessionId,
    /// The CSRF token every form of this session carries.
    pub(crate) csrf: String,
    /// The auth service's id of this session (marks "this browser" on the Sessions page).
    pub(crate) auth_session_id: String,
    /// The user signed in (for the per-user bound).
    user_id: String,
    tokens: Arc<tokio::sync::Mutex<Tokens>>,
    last_seen: Mutex<Instant>,
    /// Set once the auth service refused to rotate the pair: the session ended elsewhere.
    ended: AtomicBool,
}

impl Session {
    /// Marks the session as ended elsewhere; the store forgets it at its next lookup.
    pub(crate) fn end(&self) {
        self.ended.store(true, Ordering::Relaxed);
    }

    fn has_ended(&self) -> bool {
        self.ended.load(Ordering::Relaxed)
    }

    /// The store key.
    pub(crate) fn id(&self) -> &SessionId {
        &self.id
    }

    /// The access token to use now, refreshed first when it is about to expire.
    pub(crate) async fn access_token(
        &self,
        auth: &AuthServiceClient<InterceptedService<Channel, Stamp>>,
    ) -> Result<Arc<str>, ConsoleError> {
        if self.has_ended() {
            return Err(ConsoleError::SignedOut);
        }
        let tokens = self.tokens.clone().lock_owned().await;
        if tokens.stale() {
            return self.rotate_detached(tokens, auth).await;
        }
        Ok(tokens.access.clone())
    }

    /// Rotates in a task of its own that holds the lock until the new pair is stored: a
    /// request cancelled mid-rotation (a closed tab, a timeout) must not lose the pair the
    /// auth service already issued, or the next rotation would present a spent refresh token
    /// and be taken for theft.
    async fn rotate_detached(
        &self,
        mut tokens: tokio::sync::OwnedMutexGuard<Tokens>,
        auth: &AuthServiceClient<InterceptedService<Channel, Stamp>>,
    ) -> Result<Arc<str>, ConsoleError> {
        let auth = auth.clone();
        let rotation = tokio::spawn(async move {
            rotate(&mut tokens, auth).await?;
            Ok(tokens.access.clone())
        });
        let result = rotation
            .await
            .unwrap_or_else(|e| Err(ConsoleError::Internal(format!("rotation task: {e}"))));
        result.inspect_err(|e| self.end_on_sign_out(e))
    }

    /// After a call was refused UNAUTHENTICATED with `used`: a fresh access token, rotating the
    /// pair unless another request already did since `used` was handed out.
    pub(crate) async fn refreshed_after(
        &self,
        used: &Arc<str>,
        auth: &AuthServiceClient<InterceptedService<Channel, Stamp>>,
    ) -> Result<Arc<str>, ConsoleError> {
        let tokens = self.tokens.clone().lock_owned().await;
        if self.has_ended() {
            return Err(ConsoleError::SignedOut);
        }
        if Arc::ptr_eq(&tokens.access, used) {
            return self.rotate_detached(tokens, auth).await;
        }
        Ok(tokens.access.clone())
    }

    /// The refresh token, for `Logout`.
    pub(crate) async fn refresh_token(&self) -> String {
        self.tokens.lock().await.refresh.clone()
    }

    fn end_on_sign_out(&self, err: &ConsoleError) {
        if matches!(err, ConsoleError::SignedOut) {
            self.end();
        }
    }

    fn touch(&self) -> Instant {
        let now = Instant::now();
        *lock(&self.last_seen) = now;
        now
    }

    fn last_seen(&self) -> Instant {
        *lock(&self.last_seen)
    }
}

/// Rotates the pair; a refusal means the session ended elsewhere (revoked, reused, expired).
async fn rotate(
    tokens: &mut Tokens,
    mut auth: AuthServiceClient<InterceptedService<Channel, Stamp>>,
) -> Result<(), ConsoleError> {
    let request = RefreshRequest {
        refresh_token: tokens.refresh.clone(),
    };
    match auth.refresh(request).await {
        Ok(response) => {
            let pair = response
                .into_inner()
                .tokens
                .ok_or_else(|| ConsoleError::Internal("Refresh returned no tokens".into()))?;
            *tokens = Tokens::from_pair(pair);
            Ok(())
        }
        Err(status)
            if matches!(
                status.code(),
                Code::Unauthenticated | Code::PermissionDenied | Code::NotFound
            ) =>
        {
            tracing::debug!(code = ?status.code(), "refresh refused; the session has ended");
            Err(ConsoleError::SignedOut)
        }
        Err(status) => Err(ConsoleError::Rpc(status)),
    }
}

/// A sign-in that passed the password and waits for its second factor.
#[derive(Clone)]
pub(crate) struct Pending {
    /// The single-use challenge `CompleteLogin` takes.
    pub(crate) challenge: String,
    created: Instant,
}

impl std::fmt::Debug for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pending(<redacted>)")
    }
}

/// Why a sign-in could not be kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Full;

/// Every signed-in browser of this console.
#[derive(Debug)]
pub(crate) struct Sessions {
    live: Mutex<HashMap<SessionId, Arc<Session>>>,
    pending: Mutex<HashMap<SessionId, Pending>>,
    max: usize,
    idle: Duration,
    evictable_after: Duration,
}

impl Sessions {
    pub(crate) fn new(max: usize, idle: Duration) -> Self {
        Self {
            live: Mutex::new(HashMap::new()),
            pending: Mutex::new(HashMap::new()),
            max,
            idle,
            evictable_after: EVICTABLE_AFTER,
        }
    }

    /// The same store, letting a full store sign out sessions idle `after` (tests).
    #[cfg(test)]
    fn evicting_after(mut self, after: Duration) -> Self {
        self.evictable_after = after;
        self
    }

    /// Keeps a new pair of `user_id`; returns the session to set the cookie for.
    ///
    /// One user holds at most [`MAX_PER_USER`] sessions here (their least recently used goes
    /// first), so one account cannot fill the store. When the store is full, the least recently
    /// used session gives way only if it has been idle [`EVICTABLE_AFTER`]; otherwise the
    /// sign-in is refused ([`Full`]) rather than signing out someone active.
    pub(crate) fn insert(&self, pair: TokenPair, user_id: &str) -> Result<Arc<Session>, Full> {
        let session = Arc::new(Session {
            id: rand::random(),
            csrf: URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>()),
            auth_session_id: pair.session_id.clone(),
            user_id: user_id.to_owned(),
            tokens: Arc::new(tokio::sync::Mutex::new(Tokens::from_pair(pair))),
            last_seen: Mutex::new(Instant::now()),
            ended: AtomicBool::new(false),
        });
        let mut live = lock(&self.live);
        let now = Instant::now();
        let theirs: Vec<(SessionId, Instant)> = live
            .iter()
            .filter(|(_, s)| s.user_id == user_id)
            .map(|(id, s)| (*id, s.last_seen()))
            .collect();
        if theirs.len() >= MAX_PER_USER
            && let Some((oldest, _)) = theirs.iter().min_by_key(|(_, seen)| *seen)
        {
            live.remove(oldest);
        }
        if live.len() >= self.max {
            live.retain(|_, s| now.duration_since(s.last_seen()) < self.idle && !s.has_ended());
        }
        if live.len() >= self.max {
            let oldest = live
                .iter()
                .min_by_key(|(_, s)| s.last_seen())
                .map(|(id, s)| (*id, s.last_seen()));
            match oldest {
                Some((id, seen)) if now.duration_since(seen) >= self.evictable_after => {
                    live.remove(&id);
                }
                _ => return Err(Full),
            }
        }
        live.insert(session.id, session.clone());
        Ok(session)
    }

    /// The live session with this id, marked as seen now; an idle one is forgotten.
    pub(crate) fn get(&self, id: &SessionId) -> Option<Arc<Session>> {
        let mut live = lock(&self.live);
        let session = live.get(id)?.clone();
        let now = Instant::now();
        if session.has_ended() || now.duration_since(session.last_seen()) >= self.idle {
            live.remove(id);
            return None;
        }
        session.touch();
        Some(session)
    }

    /// Forgets a session (sign-out, or the auth service ended it).
    pub(crate) fn remove(&self, id: &SessionId) -> Option<Arc<Session>> {
        lock(&self.live).remove(id)
    }

    /// Number of live sessions.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        lock(&self.live).len()
    }

    /// Remembers a challenge for the browser with pre-session `id`.
    pub(crate) fn hold_pending(&self, id: SessionId, challenge: String) {
        let mut pending = lock(&self.pending);
        let now = Instant::now();
        if pending.len() >= MAX_PENDING {
            pending.retain(|_, p| now.duration_since(p.created) < PENDING_TTL);
        }
        if pending.len() >= MAX_PENDING
            && let Some(oldest) = pending
                .iter()
                .min_by_key(|(_, p)| p.created)
                .map(|(id, _)| *id)
        {
            pending.remove(&oldest);
        }
        pending.insert(
            id,
            Pending {
                challenge,
                created: now,
            },
        );
    }

    /// The challenge waiting for this browser, if still fresh (it stays until used or expired).
    pub(crate) fn pending(&self, id: &SessionId) -> Option<Pending> {
        let mut pending = lock(&self.pending);
        let found = pending.get(id)?.clone();
        if found.created.elapsed() >= PENDING_TTL {
            pending.remove(id);
            return None;
        }
        Some(found)
    }

    /// Drops the challenge of this browser.
    pub(crate) fn forget_pending(&self, id: &SessionId) {
        lock(&self.pending).remove(id);
    }
}

/// Locks a std mutex, recovering from poisoning (the data are plain maps and instants).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(n: u8) -> TokenPair {
        TokenPair {
            access_token: format!("access-{n}"),
            refresh_token: format!("refresh-{n}"),
            session_id: format!("session-{n}"),
            ..TokenPair::default()
        }
    }

    #[test]
    fn a_full_store_refuses_a_sign_in_rather_than_sign_out_someone_active() {
        let sessions = Sessions::new(2, Duration::from_secs(3600));
        let first = sessions.insert(pair(1), "u1").unwrap();
        let second = sessions.insert(pair(2), "u2").unwrap();
        assert_eq!(sessions.insert(pair(3), "u3").unwrap_err(), Full);
        assert!(sessions.get(first.id()).is_some());
        assert!(sessions.get(second.id()).is_some());
    }

    #[test]
    fn one_user_holds_a_bounded_number_of_sessions_and_loses_their_oldest() {
        let sessions = Sessions::new(1000, Duration::from_secs(3600));
        let oldest = sessions.insert(pair(0), "mallory").unwrap();
        std::thread::sleep(Duration::from_millis(2));
        for n in 1..=MAX_PER_USER {
            sessions.insert(pair(1), "mallory").unwrap();
            let _ = n;
        }
        assert_eq!(sessions.len(), MAX_PER_USER);
        assert!(sessions.get(oldest.id()).is_none());
        let other = sessions.insert(pair(2), "ada").unwrap();
        assert!(sessions.get(other.id()).is_some());
    }

    #[test]
    fn a_full_store_signs_out_the_least_recently_used_once_it_idles() {
        let sessions =
            Sessions::new(2, Duration::from_secs(3600)).evicting_after(Duration::from_millis(1));
        let first = sessions.insert(pair(1), "u1").unwrap();
        std::thread::sleep(Duration::from_millis(2));
        let second = sessions.insert(pair(2), "u2").unwrap();
        std::thread::sleep(Duration::from_millis(2));
        assert!(sessions.get(first.id()).is_some());
        let third = sessions.insert(pair(3), "u3").unwrap();
        assert_eq!(sessions.len(), 2);
        assert!(sessions.get(second.id()).is_none());
        assert!(sessions.get(first.id()).is_some());
        assert!(sessions.get(third.id()).is_some());
    }

    #[test]
    fn an_idle_session_is_forgotten() {
        let sessions = Sessions::new(10, Duration::from_millis(20));
        let session = sessions.insert(pair(1), "u1").unwrap();
        std::thread::sleep(Duration::from_millis(40));
        assert!(sessions.get(session.id()).is_none());
        assert_eq!(sessions.len(), 0);
    }

    #[test]
    fn sessions_get_distinct_ids_and_csrf_tokens() {
        let sessions = Sessions::new(10, Duration::from_secs(60));
        let (a, b) = (
            sessions.insert(pair(1), "u1").unwrap(),
            sessions.insert(pair(2), "u2").unwrap(),
        );
        assert_ne!(a.id(), b.id());
        assert_ne!(a.csrf, b.csrf);
        assert!(a.csrf.len() >= 43);
    }
}
