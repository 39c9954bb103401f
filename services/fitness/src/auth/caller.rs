//! Who is calling: what the auth layer learnt from the access token, handed to handlers
//! through request extensions.

use crate::domain::ids::UserId;

/// The authenticated caller of an RPC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The token `sub`: every query is scoped by it.
    pub user_id: UserId,
    /// Lower-case role names from the `roles` claim, e.g. `["user"]`.
    pub roles: Vec<String>,
}

impl Caller {
    /// True for role `staff` or `admin`, who may see the leaderboard and evaluate users.
    pub fn is_staff(&self) -> bool {
        self.roles
            .iter()
            .any(|r| r.eq_ignore_ascii_case("staff") || r.eq_ignore_ascii_case("admin"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_roles(roles: &[&str]) -> Caller {
        Caller {
            user_id: UserId::parse("u".into()).unwrap(),
            roles: roles.iter().map(|r| r.to_string()).collect(),
        }
    }

    #[test]
    fn staff_and_admins_are_staff_users_are_not() {
        assert!(with_roles(&["staff"]).is_staff());
        assert!(with_roles(&["admin"]).is_staff());
        assert!(!with_roles(&["user"]).is_staff());
        assert!(!with_roles(&[]).is_staff());
    }
}
