//! Verified tokens, remembered until they expire: a client sends the same access token on
//! every call for minutes, and an Ed25519 verification costs far more than a hash lookup.
//! Only signature and claim checks are skipped on a hit; revocation is checked every time, by
//! the caller. Both services keep one: fitness for every request, auth for introspection.

use std::collections::HashMap;
use std::sync::RwLock;

/// Most tokens remembered; when full, expired entries go, and if that is not enough, all.
const CAPACITY: usize = 50_000;

/// Tokens that passed verification, by their full text, with their claims and expiry.
#[derive(Debug)]
pub struct VerifiedTokens<C> {
    entries: RwLock<HashMap<String, (i64, C)>>,
}

impl<C> Default for VerifiedTokens<C> {
    fn default() -> Self {
        Self {
            entries: RwLock::new(HashMap::new()),
        }
    }
}

impl<C: Clone> VerifiedTokens<C> {
    /// The claims of `token` if it was verified before and still verifies at `now` (Unix
    /// seconds): while `now <= exp + leeway`, as the verifiers judge it.
    pub fn get(&self, token: &str, now: i64, leeway: i64) -> Option<C> {
        let entries = self.entries.read().unwrap_or_else(|p| p.into_inner());
        entries
            .get(token)
            .filter(|(exp, _)| exp.saturating_add(leeway) >= now)
            .map(|(_, claims)| claims.clone())
    }

    /// Remembers a token verified at `now` whose claims expire at `exp` (Unix seconds).
    pub fn insert(&self, token: &str, claims: &C, exp: i64, now: i64, leeway: i64) {
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= CAPACITY {
            entries.retain(|_, (exp, _)| exp.saturating_add(leeway) >= now);
            if entries.len() >= CAPACITY {
                entries.clear();
            }
        }
        entries.insert(token.to_owned(), (exp, claims.clone()));
    }

    /// How many tokens are remembered.
    pub fn len(&self) -> usize {
        self.entries.read().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// True when none is.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_remembered_token_is_served_until_it_no_longer_verifies() {
        let cache = VerifiedTokens::<&str>::default();
        assert!(cache.get("t", 100, 0).is_none());
        cache.insert("t", &"claims", 200, 100, 0);
        assert_eq!(cache.get("t", 150, 0), Some("claims"));
        assert_eq!(
            cache.get("t", 200, 0),
            Some("claims"),
            "exp itself verifies"
        );
        assert!(cache.get("t", 201, 0).is_none());
        assert!(cache.get("t", 260, 60).is_some(), "leeway applies");
        assert!(cache.get("t", 261, 60).is_none());
        assert!(cache.get("other", 150, 0).is_none());
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn a_full_cache_drops_expired_entries_first() {
        let cache = VerifiedTokens::<u8>::default();
        for i in 0..CAPACITY {
            // Half expired at 100, half live.
            let exp = if i % 2 == 0 { 50 } else { 500 };
            cache.insert(&format!("t{i}"), &1, exp, 10, 0);
        }
        cache.insert("new", &2, 500, 100, 0);
        assert_eq!(cache.len(), CAPACITY / 2 + 1);
        assert_eq!(cache.get("new", 100, 0), Some(2));
        assert_eq!(cache.get("t1", 100, 0), Some(1));
    }
}
