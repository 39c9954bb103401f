//! The two-step sign-in. A Login whose password is right, for an account with a second
//! factor, opens no session: it stores a challenge (random, 256 bits, kept only as its
//! SHA-256 digest) bound to the user, the device label and the client, and returns it.
//! `CompleteLogin` with the challenge and a code opens the session, as Login would have.
//!
//! A challenge is single use, lives `STRIDE_MFA_CHALLENGE_TTL`, answers only the client that
//! logged in (same address bucket and user agent), and dies after
//! `STRIDE_MFA_CHALLENGE_ATTEMPTS` wrong codes. Every wrong code also counts toward the
//! account's lockout; the password step does not clear that count (only the opened session
//! does), so a password thief cannot reset it by logging in again. A password change,
//! deactivation or lock between the two steps ends the challenge too.

use base64::Engine as _;
use rand::RngCore as _;
use sha2::{Digest as _, Sha256};
use shared::db::Tx;
use shared::time::Micros;
use zeroize::Zeroizing;

use crate::clock::micros;
use crate::domain::login::LoggedIn;
use crate::domain::mfa::code::Code;
use crate::domain::mfa::verify::record_accepted;
use crate::domain::mfa::{Mfa, MfaConfig};
use crate::domain::security_events::{self, EventType, SecurityEvent};
use crate::domain::throttle::bucket;
use crate::domain::{Client, Role, issuance, unknown_clients};
use crate::error::{Error, Result};
use crate::store::mfa::challenges::{self, ChallengeRow};
use crate::store::sessions;
use crate::store::users::{self, lockout};

/// The reason of an unknown, expired, used or foreign challenge.
const INVALID_CHALLENGE: &str = "INVALID_MFA_CHALLENGE";

/// A challenge just issued: shown once to the client, never logged.
pub(crate) struct Issued {
    /// The challenge to send back with a code.
    pub token: Zeroizing<String>,
    /// When it stops being accepted.
    pub expires_at: Micros,
}

impl std::fmt::Debug for Issued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issued")
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// Issues a challenge for `user_id`, whose password (now stored as `password_hash`) was just
/// checked, in the Login's transaction; the user's expired challenges go.
pub(crate) async fn issue(
    tx: &mut Tx,
    config: &MfaConfig,
    user_id: &str,
    password_hash: &str,
    device_label: &str,
    client: &Client,
    now: Micros,
) -> Result<Issued> {
    let mut raw = Zeroizing::new([0_u8; 32]);
    rand::rngs::OsRng.fill_bytes(&mut raw[..]);
    let token = Zeroizing::new(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&raw[..]));
    let expires_at = now.saturating_add(micros(config.challenge_ttl));
    challenges::forget_expired_of(tx, user_id, now).await?;
    let row = ChallengeRow {
        challenge_hash: digest(&token),
        user_id: user_id.to_owned(),
        credentials_digest: digest(password_hash),
        device_label: device_label.to_owned(),
        ip_bucket: bucket(&client.ip),
        user_agent: client.user_agent.clone(),
        created_at: now,
        expires_at,
        failures: 0,
    };
    challenges::insert(tx, &row).await?;
    Ok(Issued { token, expires_at })
}

/// Base64url of the SHA-256 of `text`: how challenges (and the password hash they were
/// issued against) are stored.
fn digest(text: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(text.as_bytes()))
}

impl Mfa<'_> {
    /// `CompleteLogin`: checks the challenge and the code, then opens the session with its
    /// first pair (`MFA_SUCCEEDED`, `RECOVERY_CODE_USED` for a recovery code,
    /// `LOGIN_SUCCEEDED`), clearing the account's failure count, all in one transaction.
    #[tracing::instrument(skip_all, fields(user_id))]
    pub(crate) async fn complete_login(
        &self,
        presented: &str,
        code: Code,
        client: &Client,
    ) -> Result<LoggedIn> {
        self.throttle(client).await?;
        let challenge_hash = digest(presented);
        let now = self.clock.now();
        let (challenge, account) = {
            let mut conn = self.db.read().await?;
            match challenges::get(&mut conn, &challenge_hash).await? {
                Some(c) => {
                    let account = lockout::credentials_by_id(&mut conn, &c.user_id).await?;
                    (Some(c), account)
                }
                None => (None, None),
            }
        };
        let guard = self.lockout();
        let (Some(challenge), Some(account)) = (challenge, account) else {
            guard
                .refused(EventType::MfaFailed, None, "unknown challenge", client)
                .await?;
            return Err(Error::Unauthenticated(INVALID_CHALLENGE));
        };
        let user_id = account.id.as_str();
        tracing::Span::current().record("user_id", user_id);
        let max_failures = i64::from(self.config.challenge_attempts);
        let dead = if challenge.expires_at <= now {
            Some("expired challenge")
        } else if challenge.failures >= max_failures {
            Some("challenge spent by wrong codes")
        } else if challenge.ip_bucket != bucket(&client.ip)
            || challenge.user_agent != client.user_agent
        {
            Some("challenge presented by another client")
        } else if !account.active.0
            || challenge.credentials_digest != digest(&account.password_hash)
        {
            Some("the account changed since the password was checked")
        } else {
            None
        };
        if let Some(why) = dead {
            guard
                .refused(EventType::MfaFailed, Some(user_id), why, client)
                .await?;
            return Err(Error::Unauthenticated(INVALID_CHALLENGE));
        }
        guard
            .refuse_if_locked(&account, EventType::MfaFailed, client)
            .await?;
        let role = Role::stored(&account.role)?;
        let attempts = {
            let mut tx = self.db.begin().await?;
            let reserved =
                challenges::reserve_attempt(&mut tx, &challenge_hash, now, max_failures).await?;
            tx.commit().await?;
            reserved
        };
        let Some(attempts) = attempts else {
            guard
                .refused(
                    EventType::MfaFailed,
                    Some(user_id),
                    "challenge spent",
                    client,
                )
                .await?;
            return Err(Error::Unauthenticated(INVALID_CHALLENGE));
        };
        let mut tx = self.db.begin().await?;
        let accepted = match self.spend(&mut tx, user_id, &code, now).await? {
            Ok(accepted) => accepted,
            Err(refusal) => {
                drop(tx);
                if attempts >= max_failures {
                    self.forget(&challenge_hash).await?;
                }
                return Err(self.refuse(user_id, refusal, client).await?);
            }
        };
        if !challenges::take(&mut tx, &challenge_hash, now, max_failures).await? {
            // Taken by a concurrent request (or killed by its wrong codes) meanwhile.
            return Err(Error::Unauthenticated(INVALID_CHALLENGE));
        }
        // The session's birth is conditional on the account being what was checked.
        if !lockout::clear_failures(&mut tx, &account, now).await? {
            drop(tx);
            return Err(guard
                .not_cleared(&account, EventType::LoginFailed, client)
                .await?);
        }
        let known_clients = &self.lockout.unknown_clients;
        unknown_clients::remember(&mut tx, known_clients, user_id, client, now).await?;
        let pair = issuance::open(
            &mut tx,
            self.tokens,
            user_id,
            role.claims(),
            &challenge.device_label,
            client,
            now,
        )
        .await?;
        sessions::mark_mfa_verified(&mut tx, &pair.session_id, now).await?;
        let session = Some(pair.session_id.as_str());
        record_accepted(&mut tx, accepted, user_id, session, client, now).await?;
        let event = SecurityEvent::new(EventType::LoginSucceeded)
            .user(user_id)
            .session(&pair.session_id)
            .by(client)
            .detail(format!("second factor: {}", code.kind()));
        security_events::record(&mut tx, &event, now).await?;
        let user = users::get(&mut tx, user_id)
            .await?
            .ok_or_else(|| Error::internal("user vanished during login"))?;
        tx.commit().await?;
        Ok(LoggedIn { user, pair })
    }

    /// Deletes a challenge whose last attempt was spent on a wrong code.
    async fn forget(&self, challenge_hash: &str) -> Result<()> {
        let mut tx = self.db.begin().await?;
        challenges::delete(&mut tx, challenge_hash).await?;
        tx.commit().await?;
        Ok(())
    }
}
