//! The TOTP mechanism (RFC 6238) with the parameters every authenticator app assumes:
//! HMAC-SHA1, 6 digits, 30-second steps, a 160-bit random key. A code is accepted for the
//! current step or one step either side (clock drift, typing time), and only for a step later
//! than the last one accepted, so a code seen over a shoulder or in a log cannot be replayed.
//!
//! At rest the key is sealed under the master key when one is configured (AES-256-GCM, the
//! user id as associated data so a sealed key cannot be moved to another account); it leaves
//! the service once, in the enrolment response, and is never logged.

use rand::RngCore as _;
use shared::time::Micros;
use subtle::ConstantTimeEq as _;
use totp_rs::{Algorithm, TOTP};
use zeroize::Zeroizing;

use crate::config::MasterKey;
use crate::domain::mfa::code::TotpCode;
use crate::error::{Error, Result};
use crate::keys::seal;

/// Digits of a code.
pub(crate) const DIGITS: usize = 6;

/// Length of a time step, in seconds.
const STEP_SECS: i64 = 30;

/// Steps accepted either side of the current one.
const SKEW_STEPS: i64 = 1;

/// Bytes of a key (RFC 4226 recommends 160 bits).
const SECRET_BYTES: usize = 20;

/// A TOTP key in the clear; zeroed on drop, never logged.
pub(crate) struct Secret(Zeroizing<Vec<u8>>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// What the user's authenticator app needs, shown once.
pub(crate) struct Provisioning {
    /// `otpauth://totp/<issuer>:<username>?secret=…&issuer=…`.
    pub uri: Zeroizing<String>,
    /// The key in base32, for typing in by hand.
    pub base32: Zeroizing<String>,
}

impl std::fmt::Debug for Provisioning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Provisioning(<redacted>)")
    }
}

/// What a presented code is worth against a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Match {
    /// The code of this step, later than any accepted before.
    Step(i64),
    /// The code of a step already accepted (or earlier): refused.
    Replayed,
    /// Not a code of any step in the window.
    Wrong,
}

impl Secret {
    /// A new random key.
    pub(crate) fn generate() -> Self {
        let mut key = Zeroizing::new(vec![0_u8; SECRET_BYTES]);
        rand::rngs::OsRng.fill_bytes(&mut key);
        Self(key)
    }

    /// The key as stored for `user_id`: sealed under `master` when there is one. Returns the
    /// stored bytes and whether they are sealed.
    pub(crate) fn to_stored(
        &self,
        master: Option<&MasterKey>,
        user_id: &str,
    ) -> Result<(Vec<u8>, bool)> {
        match master {
            Some(master) => {
                let sealed = seal::seal(master, &aad(user_id), &self.0).map_err(Error::internal)?;
                Ok((sealed, true))
            }
            None => Ok((self.0.to_vec(), false)),
        }
    }

    /// The key stored for `user_id`.
    pub(crate) fn from_stored(
        stored: &[u8],
        sealed: bool,
        master: Option<&MasterKey>,
        user_id: &str,
    ) -> Result<Self> {
        if !sealed {
            return Ok(Self(Zeroizing::new(stored.to_vec())));
        }
        let master = master.ok_or_else(|| {
            Error::internal("a TOTP secret is sealed but no master key is configured")
        })?;
        let plain = seal::open(master, &aad(user_id), stored).map_err(Error::internal)?;
        Ok(Self(Zeroizing::new(plain)))
    }

    /// The URI and base32 key for the app, labelled `issuer:account`.
    pub(crate) fn provisioning(&self, issuer: &str, account: &str) -> Result<Provisioning> {
        let totp = self.totp(Some(issuer.to_owned()), account.to_owned())?;
        Ok(Provisioning {
            uri: Zeroizing::new(totp.get_url()),
            base32: Zeroizing::new(totp.get_secret_base32()),
        })
    }

    /// Checks `code` at `now` against the steps of the window later than `after`.
    pub(crate) fn check(&self, code: &TotpCode, now: Micros, after: Option<i64>) -> Result<Match> {
        let totp = self.totp(None, String::new())?;
        let current = now.div_euclid(1_000_000).div_euclid(STEP_SECS);
        let mut found = Match::Wrong;
        // Every step of the window is computed and compared, so the time taken does not say
        // which one matched.
        for step in current - SKEW_STEPS..=current + SKEW_STEPS {
            let Ok(time) = u64::try_from(step * STEP_SECS) else {
                continue;
            };
            let expected = Zeroizing::new(totp.generate(time));
            if !bool::from(expected.as_bytes().ct_eq(code.as_str().as_bytes())) {
                continue;
            }
            if after.is_none_or(|last| step > last) {
                found = Match::Step(step);
            } else if found == Match::Wrong {
                found = Match::Replayed;
            }
        }
        Ok(found)
    }

    /// The `totp-rs` generator of this key, labelled for the URI (its own skew is unused:
    /// [`check`](Self::check) walks the window itself to learn which step matched).
    fn totp(&self, issuer: Option<String>, account: String) -> Result<TOTP> {
        TOTP::new(
            Algorithm::SHA1,
            DIGITS,
            0,
            STEP_SECS.unsigned_abs(),
            self.0.to_vec(),
            issuer,
            account,
        )
        .map_err(Error::internal)
    }
}

/// The associated data sealing the key of `user_id`.
fn aad(user_id: &str) -> String {
    format!("totp:{user_id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> Micros {
        secs * 1_000_000
    }

    fn code(secret: &Secret, secs: i64) -> TotpCode {
        let totp = secret.totp(None, String::new()).unwrap();
        TotpCode::parse(&totp.generate(u64::try_from(secs).unwrap())).unwrap()
    }

    #[test]
    fn a_code_is_accepted_one_step_either_side_and_only_after_the_last_accepted_step() {
        let secret = Secret::generate();
        let now = 1_700_000_000_i64;
        let step = now / STEP_SECS;
        assert_eq!(
            secret.check(&code(&secret, now), at(now), None).unwrap(),
            Match::Step(step)
        );
        assert_eq!(
            secret
                .check(&code(&secret, now - 30), at(now), None)
                .unwrap(),
            Match::Step(step - 1)
        );
        assert_eq!(
            secret
                .check(&code(&secret, now + 30), at(now), None)
                .unwrap(),
            Match::Step(step + 1)
        );
        assert_eq!(
            secret
                .check(&code(&secret, now - 90), at(now), None)
                .unwrap(),
            Match::Wrong
        );
        assert_eq!(
            secret
                .check(&code(&secret, now), at(now), Some(step))
                .unwrap(),
            Match::Replayed
        );
        assert_eq!(
            secret
                .check(&code(&secret, now), at(now), Some(step - 1))
                .unwrap(),
            Match::Step(step)
        );
    }

    #[test]
    fn a_sealed_secret_opens_only_for_its_user_and_the_uri_names_issuer_and_account() {
        let secret = Secret::generate();
        let master = MasterKey([7; 32]);
        let (stored, sealed) = secret.to_stored(Some(&master), "u1").unwrap();
        assert!(sealed);
        assert!(
            !stored
                .windows(SECRET_BYTES)
                .any(|w| w == secret.0.as_slice())
        );
        let opened = Secret::from_stored(&stored, true, Some(&master), "u1").unwrap();
        assert_eq!(*opened.0, *secret.0);
        assert!(Secret::from_stored(&stored, true, Some(&master), "u2").is_err());
        assert!(Secret::from_stored(&stored, true, None, "u1").is_err());

        let shown = secret.provisioning("Stride", "ada").unwrap();
        assert!(shown.uri.starts_with("otpauth://totp/Stride:ada?secret="));
        assert!(shown.uri.contains(&format!("secret={}", *shown.base32)));
        assert!(shown.uri.ends_with("&issuer=Stride"));
        assert_eq!(shown.base32.len(), 32);
    }
}
