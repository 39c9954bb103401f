//! The rules of the auth service, free of transport types: validated inputs, roles, and the
//! operations that own a transaction each.

pub mod account;
pub mod admin;
pub mod introspect;
pub mod login;
pub mod own_sessions;
pub mod profile;
pub mod refresh;
pub mod register;
pub mod sessions;
pub mod token_tree;
pub mod validate;

/// A user's role. Ordered by privilege.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// A regular user.
    User,
    /// Staff: leaderboard and evaluations.
    Staff,
    /// Administrator.
    Admin,
}

impl Role {
    /// The stored name (`USER`, `STAFF`, `ADMIN`).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "USER",
            Role::Staff => "STAFF",
            Role::Admin => "ADMIN",
        }
    }

    /// The name in the `roles` claim (`user`, `staff`, `admin`).
    pub fn claim(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Staff => "staff",
            Role::Admin => "admin",
        }
    }

    /// Parses a stored name.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "USER" => Some(Role::User),
            "STAFF" => Some(Role::Staff),
            "ADMIN" => Some(Role::Admin),
            _ => None,
        }
    }

    /// The proto enum value.
    pub fn to_proto(self) -> i32 {
        use shared::pb::auth::v1::Role as Pb;
        match self {
            Role::User => Pb::User as i32,
            Role::Staff => Pb::Staff as i32,
            Role::Admin => Pb::Admin as i32,
        }
    }

    /// From the proto enum value; `None` for UNSPECIFIED and unknown values.
    pub fn from_proto(value: i32) -> Option<Self> {
        use shared::pb::auth::v1::Role as Pb;
        match Pb::try_from(value).ok()? {
            Pb::User => Some(Role::User),
            Pb::Staff => Some(Role::Staff),
            Pb::Admin => Some(Role::Admin),
            Pb::Unspecified => None,
        }
    }

    /// The `roles` claim of a user with this role.
    pub fn claims(self) -> Vec<String> {
        vec![self.claim().to_owned()]
    }
}

/// Where a request came from, recorded with sessions, tokens and security events.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Client {
    /// Client IP address (see `rpc::client_info` for where it comes from).
    pub ip: String,
    /// The `user-agent` metadata, truncated.
    pub user_agent: String,
}
