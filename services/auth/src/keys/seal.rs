//! Private signing keys at rest: AES-256-GCM under the master key, stored as
//! `nonce (12 bytes) || ciphertext`, with the key id as associated data so a sealed key cannot
//! be moved to another row.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use rand::RngCore;

use crate::config::MasterKey;

const NONCE_LEN: usize = 12;

/// Why a sealed key could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// The row is too short to hold a nonce.
    #[error("sealed key is truncated")]
    Truncated,
    /// Wrong master key, or the row was altered.
    #[error("sealed key does not open with this master key")]
    Mismatch,
}

/// Encrypts `plain` (a PKCS#8 document) for the row `kid`.
pub fn seal(master: &MasterKey, kid: &str, plain: &[u8]) -> Result<Vec<u8>, SealError> {
    let cipher = Aes256Gcm::new((&master.0).into());
    let mut nonce = [0_u8; NONCE_LEN];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let sealed = cipher
        .encrypt(
            &Nonce::from(nonce),
            Payload {
                msg: plain,
                aad: kid.as_bytes(),
            },
        )
        .map_err(|_| SealError::Mismatch)?;
    let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&sealed);
    Ok(out)
}

/// Decrypts what [`seal`] produced for `kid`.
pub fn open(master: &MasterKey, kid: &str, sealed: &[u8]) -> Result<Vec<u8>, SealError> {
    if sealed.len() < NONCE_LEN {
        return Err(SealError::Truncated);
    }
    let (nonce, body) = sealed.split_at(NONCE_LEN);
    let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| SealError::Truncated)?;
    Aes256Gcm::new((&master.0).into())
        .decrypt(
            &Nonce::from(nonce),
            Payload {
                msg: body,
                aad: kid.as_bytes(),
            },
        )
        .map_err(|_| SealError::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_key_opens_only_with_its_master_key_and_kid() {
        let master = MasterKey([1; 32]);
        let sealed = seal(&master, "kid-a", b"pkcs8 bytes").unwrap();
        assert_ne!(&sealed[NONCE_LEN..], b"pkcs8 bytes");
        assert_eq!(open(&master, "kid-a", &sealed).unwrap(), b"pkcs8 bytes");
        assert!(open(&MasterKey([2; 32]), "kid-a", &sealed).is_err());
        assert!(open(&master, "kid-b", &sealed).is_err());
        assert!(open(&master, "kid-a", &sealed[..5]).is_err());
    }
}
