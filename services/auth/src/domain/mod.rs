//! The rules of the auth service, free of transport types. Each operation takes the
//! components it needs (database, clock, tokens, hasher, feed notifier) as arguments, begins
//! its one transaction, calls one-query store functions and commits once; what must happen
//! after the commit (log lines, waking feed streams) is registered on the transaction by the
//! code that causes it.
//!
//! - Inputs: [`values`] (parsed at the RPC edge).
//! - Identity: [`register`], [`login`], [`password_change`], [`profile`], [`admin`],
//!   [`overview`] (the admin dashboard's figures).
//! - Guessing: [`throttle`] (per client), [`lockout`] (per account, for the clients it
//!   knows), [`unknown_clients`] (per account, slowing every other client).
//! - Tokens and sessions: [`issuance`] (a session's pairs), [`refresh`] (rotation, reuse,
//!   logout), [`session_list`], [`token_tree`], [`revoke_own`], [`caller`] (who is calling).
//! - Revocation and its audience: [`revocation`] (the write side of the feed),
//!   [`introspect`] (other services' questions), [`security_events`] (the security log).

pub(crate) mod admin;
pub(crate) mod caller;
pub(crate) mod deletion;
pub(crate) mod expiry;
pub(crate) mod export;
pub(crate) mod introspect;
pub(crate) mod issuance;
pub(crate) mod link_tokens;
pub(crate) mod lockout;
pub(crate) mod login;
pub(crate) mod mfa;
pub(crate) mod overview;
pub(crate) mod password_change;
pub(crate) mod password_reset;
pub(crate) mod profile;
pub(crate) mod reauth;
pub(crate) mod refresh;
pub(crate) mod register;
pub(crate) mod revocation;
pub(crate) mod revoke_own;
pub(crate) mod security_events;
pub(crate) mod session_list;
pub(crate) mod throttle;
pub(crate) mod token_tree;
pub(crate) mod unknown_clients;
pub(crate) mod values;
pub(crate) mod verification;

/// A user's role. Ordered by privilege.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Role {
    /// A regular user.
    User,
    /// Staff: leaderboard and evaluations.
    Staff,
    /// Administrator.
    Admin,
}

impl Role {
    /// The stored name (`USER`, `STAFF`, `ADMIN`).
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Role::User => "USER",
            Role::Staff => "STAFF",
            Role::Admin => "ADMIN",
        }
    }

    /// The name in the `roles` claim (`user`, `staff`, `admin`).
    fn claim(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Staff => "staff",
            Role::Admin => "admin",
        }
    }

    /// Parses a stored name.
    pub(crate) fn parse(name: &str) -> Option<Self> {
        match name {
            "USER" => Some(Role::User),
            "STAFF" => Some(Role::Staff),
            "ADMIN" => Some(Role::Admin),
            _ => None,
        }
    }

    /// Parses a stored name that the schema guarantees is one of ours.
    pub(crate) fn stored(name: &str) -> crate::error::Result<Self> {
        Self::parse(name).ok_or_else(|| crate::error::Error::internal("stored role is unknown"))
    }

    /// The `roles` claim of a user with this role.
    pub(crate) fn claims(self) -> Vec<String> {
        vec![self.claim().to_owned()]
    }
}

/// Where a request came from, recorded with sessions, tokens and security events.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Client {
    /// Client IP address (see `rpc::client_info` for where it comes from).
    pub ip: String,
    /// The `user-agent` metadata, truncated.
    pub user_agent: String,
}
