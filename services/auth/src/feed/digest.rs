//! The digest of a feed event: a short fingerprint of its content that consumers keep with
//! their position and send back when they resume.
//!
//! A sequence alone names a position only while the feed's history is the one the consumer
//! followed. After the database is restored from a backup, the feed keeps its identity, its
//! counter restarts from the backup's head, and new events take sequences a consumer may
//! already hold: "after N" would then skip them. The event a consumer last saw at N and the
//! event stored at N have the same digest only if they are the same event, so comparing the
//! two tells a resume in this history from one in another.
//!
//! The digest is computed from the stored columns each time it is needed, never stored: it
//! cannot disagree with the row, and no migration was needed. The encoding is fixed (a version
//! tag, then the fields in order, integers big-endian, strings length-prefixed, absent strings
//! marked), so one event has the same digest on every replica and version.

use sha2::{Digest as _, Sha256};

use crate::store::revocation_events::EventRow;

/// Bytes of SHA-256 kept: 128 bits make an accidental match between two different events
/// negligible, and the hex form stays short on the wire.
const KEPT: usize = 16;

/// The digest of `event`: the first 16 bytes of SHA-256 over its content, as 32 lowercase hex
/// characters.
pub(crate) fn digest(event: &EventRow) -> String {
    let mut hash = Sha256::new();
    hash.update(b"stride.revocation_event.v1");
    hash.update(event.sequence.to_be_bytes());
    text(&mut hash, Some(&event.kind));
    text(&mut hash, event.jti.as_deref());
    text(&mut hash, event.session_id.as_deref());
    text(&mut hash, Some(&event.user_id));
    hash.update(event.revoked_at.to_be_bytes());
    hash.update(event.expires_at.to_be_bytes());
    hash.finalize()[..KEPT]
        .iter()
        .fold(String::with_capacity(KEPT * 2), |mut hex, byte| {
            hex.push(char::from(HEX[usize::from(byte >> 4)]));
            hex.push(char::from(HEX[usize::from(byte & 0x0f)]));
            hex
        })
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Feeds an optional string so that no two different field lists encode alike: a presence
/// byte, then the length, then the bytes.
fn text(hash: &mut Sha256, value: Option<&str>) {
    match value {
        None => hash.update([0]),
        Some(value) => {
            hash.update([1]);
            hash.update(u64::try_from(value.len()).unwrap_or(u64::MAX).to_be_bytes());
            hash.update(value.as_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event() -> EventRow {
        EventRow {
            sequence: 7,
            kind: "SESSION".into(),
            jti: None,
            session_id: Some("s1".into()),
            user_id: "u1".into(),
            revoked_at: 1_000,
            expires_at: 2_000,
        }
    }

    #[test]
    fn the_digest_is_32_hex_characters_and_the_same_for_the_same_event() {
        let d = digest(&event());
        assert_eq!(d.len(), 32);
        assert!(
            d.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        assert_eq!(d, digest(&event()));
    }

    /// Digests outlive a process (consumers keep them across restarts and upgrades): the
    /// encoding must not change by accident.
    #[test]
    fn the_encoding_is_fixed() {
        assert_eq!(digest(&event()), "3f125ae811179d3206cf8bb39faeb328");
    }

    #[test]
    fn every_field_changes_the_digest() {
        let base = digest(&event());
        let changes: [fn(&mut EventRow); 8] = [
            |e| e.sequence = 8,
            |e| e.kind = "TOKEN".into(),
            |e| e.jti = Some(String::new()),
            |e| e.session_id = Some("s2".into()),
            |e| e.session_id = None,
            |e| e.user_id = "u2".into(),
            |e| e.revoked_at += 1,
            |e| e.expires_at += 1,
        ];
        for change in changes {
            let mut other = event();
            change(&mut other);
            assert_ne!(digest(&other), base, "{other:?}");
        }
    }

    #[test]
    fn adjacent_strings_cannot_trade_characters() {
        let mut a = event();
        a.jti = Some("ab".into());
        a.session_id = Some("c".into());
        let mut b = event();
        b.jti = Some("a".into());
        b.session_id = Some("bc".into());
        assert_ne!(digest(&a), digest(&b));
    }
}
