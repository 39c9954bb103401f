//! Verified tokens, remembered until they expire: a client sends the same access token on
//! every call for minutes, and an Ed25519 verification costs far more than a hash lookup.
//! Only signature and claim checks are skipped on a hit; revocation is checked every time.

use std::collections::HashMap;
use std::sync::RwLock;

use super::token::Claims;

/// Most tokens remembered; when full, expired entries go, and if that is not enough, all.
const CAPACITY: usize = 50_000;

/// Tokens that passed verification, by their full text.
#[derive(Debug, Default)]
pub struct VerifiedTokens {
    entries: RwLock<HashMap<String, Claims>>,
}

impl VerifiedTokens {
    /// The claims of `token` if it was verified before and has not expired by `now`
    /// (Unix seconds, the leeway already added by the caller's policy).
    pub fn get(&self, token: &str, now: i64, leeway: i64) -> Option<Claims> {
        let entries = self.entries.read().unwrap_or_else(|p| p.into_inner());
        entries
            .get(token)
            .filter(|claims| claims.exp.saturating_add(leeway) > now)
            .cloned()
    }

    /// Remembers a verified token.
    pub fn insert(&self, token: &str, claims: &Claims, now: i64, leeway: i64) {
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= CAPACITY {
            entries.retain(|_, c| c.exp.saturating_add(leeway) > now);
            if entries.len() >= CAPACITY {
                entries.clear();
            }
        }
        entries.insert(token.to_owned(), claims.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp: i64) -> Claims {
        Claims {
            sub: "u".into(),
            sid: "s".into(),
            jti: "j".into(),
            exp,
            iat: 0,
            nbf: None,
            roles: vec!["user".into()],
        }
    }

    #[test]
    fn a_remembered_token_is_served_until_it_expires() {
        let cache = VerifiedTokens::default();
        assert!(cache.get("t", 100, 0).is_none());
        cache.insert("t", &claims(200), 100, 0);
        assert_eq!(cache.get("t", 150, 0).map(|c| c.sub), Some("u".into()));
        assert!(cache.get("t", 200, 0).is_none());
        assert!(cache.get("t", 200, 60).is_some(), "leeway applies");
        assert!(cache.get("other", 150, 0).is_none());
    }
}
